import type { Insertable, Selectable } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'

type Base<V> = [NonNullable<V>] extends [string]
  ? 'text'
  : [NonNullable<V>] extends [number]
    ? 'integer'
    : [NonNullable<V>] extends [Uint8Array]
      ? 'blob'
      : never
type Nullable<V> = null extends V ? '?' : ''
type Defaulted<T, C extends keyof Selectable<T>> = C extends keyof Insertable<T>
  ? null extends Selectable<T>[C]
    ? ''
    : object extends Pick<Insertable<T>, C>
      ? ' default'
      : ''
  : ''

/** `text`, `integer?` (nullable), `integer default` (generated or defaulted), derived from a table type. */
export type ColumnSpec<T, C extends keyof Selectable<T>> = `${Base<Selectable<T>[C]>}${Nullable<Selectable<T>[C]>}${Defaulted<T, C>}`

/** Every column of every table, as the `EmailDatabase` interface declares it. */
export type SchemaSpec = {
  [T in keyof EmailDatabase]: { [C in keyof Selectable<EmailDatabase[T]>]-?: ColumnSpec<EmailDatabase[T], C> }
}

/**
 * The interface written out as data, so a test can compare it with a migrated database. The
 * type checker holds this object to the interface: a column missing here, an extra one, or a
 * wrong type, nullability or default is a compile error, and the test compares the database.
 */
export const SCHEMA_SPEC: SchemaSpec = {
  email_accounts: {
    id: 'integer default',
    address: 'text',
    auth_method: 'text',
    status: 'text',
    status_reason: 'text?',
    history_id: 'text?',
    history_checked_at: 'text?',
    scan_kind: 'text?',
    scan_query: 'text?',
    scan_page_token: 'text?',
    scan_history_id: 'text?',
    scan_started_at: 'text?',
    scan_strategy: 'text?',
    scan_queries: 'text?',
    scan_chunk: 'integer?',
    scan_terms: 'text?',
    search_fallback_at: 'text?',
    search_fallback_reason: 'text?',
    paused_at: 'text?',
    paused_status: 'text?',
    paused_reason: 'text?',
    sharing: 'text?',
    removal_requested_at: 'text?',
    removal_requested_by: 'text?',
    backfill_completed_at: 'text?',
    last_sync_at: 'text?',
    last_success_at: 'text?',
    last_error: 'text?',
    lease_owner: 'text?',
    lease_expires_at: 'text?',
    lease_host: 'text?',
    lease_pid: 'integer?',
    lease_boot_id: 'text?',
    lease_session: 'text?',
    lease_acquired_at: 'text?',
    created_at: 'text',
    updated_at: 'text',
  },
  email_oauth_tokens: {
    account_id: 'integer',
    refresh_token: 'text',
    key_id: 'text',
    scope: 'text?',
    created_at: 'text',
    updated_at: 'text',
  },
  email_oauth_states: {
    nonce: 'text',
    user_id: 'text',
    address: 'text',
    code_verifier: 'text',
    expires_at: 'text',
    used_at: 'text?',
    created_at: 'text',
  },
  email_threads: {
    id: 'integer default',
    subject: 'text',
    first_at: 'text?',
    last_at: 'text?',
    message_count: 'integer default',
    merged_into: 'integer?',
    created_at: 'text',
    updated_at: 'text',
  },
  email_thread_keys: { account_id: 'integer', gmail_thread_id: 'text', thread_id: 'integer' },
  emails: {
    id: 'integer default',
    message_id: 'text',
    message_id_synthetic: 'integer default',
    fingerprint: 'text',
    is_draft: 'integer default',
    thread_id: 'integer',
    subject: 'text',
    from_address: 'text?',
    from_name: 'text?',
    sent_at: 'text',
    in_reply_to: 'text?',
    snippet: 'text',
    body_text: 'text?',
    body_html: 'text?',
    size_bytes: 'integer?',
    has_attachments: 'integer default',
    hidden_at: 'text?',
    hidden_by: 'text?',
    created_at: 'text',
    updated_at: 'text',
  },
  email_references: { email_id: 'integer', ref_message_id: 'text', position: 'integer' },
  email_copies: {
    id: 'integer default',
    email_id: 'integer',
    account_id: 'integer',
    gmail_id: 'text',
    gmail_thread_id: 'text',
    label_ids: 'text',
    internal_date: 'text?',
    deleted_at: 'text?',
    created_at: 'text',
    updated_at: 'text',
  },
  email_participants: { email_id: 'integer', role: 'text', position: 'integer', address: 'text', name: 'text?' },
  email_identity_links: {
    email_id: 'integer',
    identity_key: 'text',
    identity_type: 'text',
    identity_id: 'text',
    address: 'text',
    match_kind: 'text',
    created_at: 'text',
  },
  email_blobs: { sha256: 'text', size: 'integer', created_at: 'text' },
  email_attachments: {
    id: 'integer default',
    email_id: 'integer',
    position: 'integer',
    copy_id: 'integer?',
    gmail_attachment_id: 'text?',
    part_id: 'text?',
    filename: 'text',
    mime_type: 'text',
    size: 'integer',
    content_id: 'text?',
    is_inline: 'integer default',
    sha256: 'text?',
    status: 'text',
    attempts: 'integer default',
    error: 'text?',
    created_at: 'text',
    updated_at: 'text',
  },
  email_sync_runs: {
    id: 'integer default',
    account_id: 'integer',
    kind: 'text',
    status: 'text',
    owner: 'text',
    listed: 'integer default',
    fetched: 'integer default',
    captured: 'integer default',
    skipped: 'integer default',
    failed: 'integer default',
    units_spent: 'integer default',
    discarded: 'integer default',
    recall_sampled: 'integer default',
    recall_missed: 'integer default',
    strategy: 'text?',
    error: 'text?',
    started_at: 'text',
    finished_at: 'text?',
  },
  email_sync_failures: {
    id: 'integer default',
    account_id: 'integer',
    gmail_id: 'text',
    attempts: 'integer',
    reason: 'text',
    parked_at: 'text?',
    first_failed_at: 'text',
    last_failed_at: 'text',
    kind: 'text default',
    next_attempt_at: 'text?',
  },
  email_account_terms: {
    account_id: 'integer',
    term: 'text',
    state: 'text',
    window_after: 'text?',
    added_at: 'text',
    captured_at: 'text?',
    removed_at: 'text?',
  },
  email_digest_runs: {
    id: 'integer default',
    period: 'text',
    window_from: 'text',
    window_to: 'text',
    status: 'text',
    claimed_by: 'text',
    claimed_at: 'text',
    sent_at: 'text?',
    error: 'text?',
  },
  email_audit_log: {
    id: 'integer default',
    at: 'text',
    actor: 'text?',
    action: 'text',
    target_kind: 'text?',
    target_id: 'text?',
    details: 'text',
  },
  email_private_threads: {
    thread_id: 'integer',
    marked_by: 'text',
    marked_at: 'text',
  },
  email_suppressions: {
    hash: 'text',
    added_at: 'text',
    added_by: 'text?',
  },
  email_blob_erasures: {
    sha256: 'text',
    queued_at: 'text',
  },
  email_attachment_texts: {
    attachment_id: 'integer',
    email_id: 'integer',
    status: 'text',
    text: 'text?',
    error: 'text?',
    extracted_at: 'text',
  },
  email_vector_index: {
    email_id: 'integer',
    store: 'text',
    model: 'text',
    chunks: 'integer',
    payload_dirty: 'integer default',
    indexed_at: 'text',
  },
  email_vector_chunks: {
    id: 'integer default',
    email_id: 'integer',
    chunk: 'integer',
    attachment_id: 'integer?',
    model: 'text',
    vector: 'blob',
  },
}
