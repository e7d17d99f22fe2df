import type { Generated } from 'kysely'
import type { EmailAccountTermsTable, EmailSyncFailuresTable, EmailSyncRunsTable } from './sync-tables.js'
import type { EmailAttachmentTextsTable, EmailVectorChunksTable, EmailVectorIndexTable } from './search-tables.js'
import type { EmailOauthStatesTable, EmailOauthTokensTable } from './oauth-tables.js'
import type { EmailAuditLogTable, EmailBlobErasuresTable, EmailPrivateThreadsTable, EmailSuppressionsTable, SharingLevel } from './lifecycle-tables.js'

export type { EmailOauthStatesTable, EmailOauthTokensTable } from './oauth-tables.js'
export type { AttachmentTextStatus, EmailAttachmentTextsTable, EmailVectorChunksTable, EmailVectorIndexTable } from './search-tables.js'
export type {
  AuditAction,
  AuditTargetKind,
  EmailAuditLogTable,
  EmailBlobErasuresTable,
  EmailPrivateThreadsTable,
  EmailSuppressionsTable,
  SharingLevel,
} from './lifecycle-tables.js'

export type {
  AccountTermState,
  EmailAccountTermsTable,
  EmailSyncFailuresTable,
  EmailSyncRunsTable,
  SyncFailureKind,
  SyncRunStatus,
} from './sync-tables.js'

/**
 * The tables the library owns, written by hand to match `migrations/`. A test migrates a fresh
 * SQLite (and, when configured, PostgreSQL) database and compares it with this interface.
 *
 * Conventions, the same on every dialect:
 * - timestamps are ISO-8601 UTC text with milliseconds (`2026-06-01T07:00:00.000Z`), so they
 *   sort and compare as text everywhere;
 * - booleans are integers `0` / `1` (SQLite has no boolean type);
 * - ids are integers the database assigns; the public API shows them as strings;
 * - Gmail ids and history ids are text (history ids are unsigned 64-bit).
 */
export interface EmailDatabase {
  email_accounts: EmailAccountsTable
  email_oauth_tokens: EmailOauthTokensTable
  email_oauth_states: EmailOauthStatesTable
  email_threads: EmailThreadsTable
  email_thread_keys: EmailThreadKeysTable
  emails: EmailsTable
  email_references: EmailReferencesTable
  email_copies: EmailCopiesTable
  email_participants: EmailParticipantsTable
  email_identity_links: EmailIdentityLinksTable
  email_blobs: EmailBlobsTable
  email_attachments: EmailAttachmentsTable
  email_sync_runs: EmailSyncRunsTable
  email_sync_failures: EmailSyncFailuresTable
  email_digest_runs: EmailDigestRunsTable
  email_account_terms: EmailAccountTermsTable
  email_audit_log: EmailAuditLogTable
  email_private_threads: EmailPrivateThreadsTable
  email_suppressions: EmailSuppressionsTable
  email_blob_erasures: EmailBlobErasuresTable
  email_attachment_texts: EmailAttachmentTextsTable
  email_vector_index: EmailVectorIndexTable
  email_vector_chunks: EmailVectorChunksTable
}

/**
 * Where an account stands: whether the scheduler syncs it, and why not. `removing`: its removal
 * was asked for and has not finished (`accounts.remove`); it is never synced again.
 */
export type AccountStatus = 'active' | 'needs_consent' | 'needs_attention' | 'paused' | 'removing'

/** How the library reaches an account's mailbox. */
export type AuthMethod = 'dwd' | 'oauth'

/** A kind of sync run, and of the list scan an account may be in the middle of. */
export type SyncKind = 'backfill' | 'incremental' | 'catchup' | 'targeted'

/**
 * How a scan or run finds CRM mail: `search` lists the candidates Gmail's search finds for the
 * directory's identities; `headers` lists everything and reads each message's headers.
 */
export type CaptureStrategy = 'search' | 'headers'

/** One enrolled teammate's mailbox and where its sync stands. */
export interface EmailAccountsTable {
  id: Generated<number>
  /** The mailbox address, lower-case; unique. */
  address: string
  auth_method: AuthMethod
  status: AccountStatus
  /** Why the account is not `active`, in words an operator can act on. */
  status_reason: string | null
  /** The incremental cursor: the Gmail historyId up to which all changes are committed. */
  history_id: string | null
  /** When the cursor was last confirmed by a successful run (the stale-cursor check). */
  history_checked_at: string | null
  /** The list scan in progress (`backfill` or `catchup`), or null when none is. */
  scan_kind: SyncKind | null
  /** The messages.list query of the scan in progress (a page token is only valid with it). */
  scan_query: string | null
  /** The page token of the next page to list, committed with the page before it. */
  scan_page_token: string | null
  /** The historyId read before the scan started; it becomes the cursor when the scan ends. */
  scan_history_id: string | null
  scan_started_at: string | null
  /** The strategy of the scan in progress (migration 0006; `null` for a scan started before it: `headers`). */
  scan_strategy: CaptureStrategy | null
  /** The scan's queries as a JSON array, one per chunk of terms; `null`: the single `scan_query`. */
  scan_queries: string | null
  /** The index in `scan_queries` of the query being listed. */
  scan_chunk: number | null
  /** The term keys the scan captures for, as a JSON array: marked captured when it ends. */
  scan_terms: string | null
  /** Set when the recall guard found CRM mail Gmail's search missed: the account reads headers until cleared. */
  search_fallback_at: string | null
  search_fallback_reason: string | null
  /** Since when an admin paused the account (migration 0008); `null` unless `status` is `paused`. */
  paused_at: string | null
  /** The status and reason the account had when paused: what resuming puts back. */
  paused_status: AccountStatus | null
  paused_reason: string | null
  /**
   * What teammates see of this mailbox's mail (migration 0009); `null` follows
   * `CRM_GMAIL_DEFAULT_SHARING`.
   */
  sharing: SharingLevel | null
  /**
   * When an admin asked for the account's removal (migration 0011), while it has not finished:
   * the next `accounts.remove` or the scheduler finishes it. `null` otherwise.
   */
  removal_requested_at: string | null
  /** Who asked for it (the audit log's actor), or `null` for the host's own code. */
  removal_requested_by: string | null
  backfill_completed_at: string | null
  last_sync_at: string | null
  last_success_at: string | null
  last_error: string | null
  /** The process that holds the sync lease, and until when; see the sync engine. */
  lease_owner: string | null
  lease_expires_at: string | null
  /** The lease holder's host name, process id and the host's boot identity (migration 0004). */
  lease_host: string | null
  lease_pid: number | null
  lease_boot_id: string | null
  /** The key of the PostgreSQL session lock the holder keeps while it syncs; `null` on SQLite. */
  lease_session: string | null
  /** When the holder took the lease (renewals keep it). */
  lease_acquired_at: string | null
  created_at: string
  updated_at: string
}

/** A conversation as the CRM sees it: one row however many mailboxes hold it. */
export interface EmailThreadsTable {
  id: Generated<number>
  subject: string
  first_at: string | null
  last_at: string | null
  message_count: Generated<number>
  /** Set when a late message joined this thread to another: the thread it now lives in. */
  merged_into: number | null
  created_at: string
  updated_at: string
}

/** Which CRM thread a Gmail threadId of one mailbox belongs to. */
export interface EmailThreadKeysTable {
  account_id: number
  gmail_thread_id: string
  thread_id: number
}

/** One email, once across all mailboxes (dedup by Message-ID and fingerprint). */
export interface EmailsTable {
  id: Generated<number>
  /** The RFC 5322 Message-ID without angle brackets, or a synthetic one. */
  message_id: string
  message_id_synthetic: Generated<number>
  /** A digest of sender, date and subject: tells apart two messages that share a Message-ID. */
  fingerprint: string
  /** A draft never merges with the message it became. */
  is_draft: Generated<number>
  thread_id: number
  subject: string
  from_address: string | null
  from_name: string | null
  /** The Date header, or Gmail's internalDate when the header is missing or unreadable. */
  sent_at: string
  in_reply_to: string | null
  snippet: string
  /** The text body (from the HTML part when there is no text part). */
  body_text: string | null
  /** The HTML body after sanitising; the raw remote HTML is never stored. */
  body_html: string | null
  size_bytes: number | null
  has_attachments: Generated<number>
  /** Soft delete: hidden mail is never shown, searched or digested until restored. */
  hidden_at: string | null
  hidden_by: string | null
  created_at: string
  updated_at: string
}

/** The Message-IDs an email points at (In-Reply-To and References), for threading. */
export interface EmailReferencesTable {
  email_id: number
  ref_message_id: string
  position: number
}

/** One mailbox's copy of an email: which teammate holds it, under which Gmail id. */
export interface EmailCopiesTable {
  id: Generated<number>
  email_id: number
  account_id: number
  gmail_id: string
  gmail_thread_id: string
  /** Gmail label ids, as a JSON array. */
  label_ids: string
  internal_date: string | null
  /** Set when the copy was deleted or trashed in Gmail. */
  deleted_at: string | null
  created_at: string
  updated_at: string
}

/** The role of an address in an email's headers. */
export type ParticipantRole = 'from' | 'sender' | 'reply_to' | 'to' | 'cc' | 'bcc'

/** An address in an email's headers, in header order. */
export interface EmailParticipantsTable {
  email_id: number
  role: ParticipantRole
  position: number
  /** Lower-case address. */
  address: string
  name: string | null
}

/** The kind of CRM entity an identity key names. */
export type IdentityType = 'fund' | 'org' | 'contact' | 'addr'

/** A link between an email and a CRM identity, through one participant address. */
export interface EmailIdentityLinksTable {
  email_id: number
  /** The typed key: `fund:<id>`, `org:<id>`, `contact:<id>` or `addr:<address>`. */
  identity_key: string
  identity_type: IdentityType
  identity_id: string
  /** The participant address that made the match. */
  address: string
  match_kind: 'exact' | 'domain'
  created_at: string
}

/** A stored file in the content-addressed attachment store (one per sha256). */
export interface EmailBlobsTable {
  sha256: string
  size: number
  created_at: string
}

/** What became of an attachment's bytes. */
export type AttachmentStatus = 'stored' | 'pending' | 'skipped' | 'failed'

/** An attachment of an email; its bytes, when stored, are the blob named by `sha256`. */
export interface EmailAttachmentsTable {
  id: Generated<number>
  email_id: number
  position: number
  /** The mailbox copy to download pending bytes from. */
  copy_id: number | null
  gmail_attachment_id: string | null
  part_id: string | null
  /** The name as the sender gave it; shown to users, never used as a path. */
  filename: string
  mime_type: string
  size: number
  content_id: string | null
  is_inline: Generated<number>
  sha256: string | null
  status: AttachmentStatus
  attempts: Generated<number>
  error: string | null
  created_at: string
  updated_at: string
}

/** How a digest run stands: claimed by a process, sent, or failed. */
export type DigestRunStatus = 'claimed' | 'sent' | 'failed'

/** The scheduled daily digest: one row per day, so two processes cannot both send it. */
export interface EmailDigestRunsTable {
  id: Generated<number>
  /** The day it covers in the digest time zone (`YYYY-MM-DD`); unique. */
  period: string
  window_from: string
  window_to: string
  status: DigestRunStatus
  claimed_by: string
  claimed_at: string
  sent_at: string | null
  error: string | null
}
