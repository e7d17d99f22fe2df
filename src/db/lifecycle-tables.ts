import type { Generated } from 'kysely'

/**
 * The tables of the data lifecycle (SPEC §12): who may see what (sharing levels, private
 * threads) and what privileged actions were taken (the audit log).
 */

/** A privileged action the audit log records, named `<what>.<what became of it>`. */
export type AuditAction =
  | 'email.hidden'
  | 'email.restored'
  | 'account.enrolled'
  | 'account.paused'
  | 'account.resumed'
  | 'account.sharing_changed'
  | 'account.removed'
  | 'search_fallback.cleared'
  | 'thread.made_private'
  | 'thread.made_shared'
  | 'mail.purged'
  | 'mail.expired'
  | 'suppression.removed'

/**
 * What an audited action acted on: an email or a thread (by id), an account or a purged
 * address (by its address), or a CRM identity (by its typed key).
 */
export type AuditTargetKind = 'email' | 'thread' | 'account' | 'address' | 'identity'

/** One privileged action: who, when, what; `details` is JSON of ids and counts, never content. */
export interface EmailAuditLogTable {
  id: Generated<number>
  at: string
  /** The principal's email, or `null` for the host's own code and jobs. */
  actor: string | null
  action: AuditAction
  target_kind: AuditTargetKind | null
  target_id: string | null
  details: string
}

/** What teammates see of a mailbox's mail: everything, the subject, or participants and date. */
export type SharingLevel = 'everything' | 'subject' | 'metadata'

/**
 * A thread an owner of a mailbox holding it marked private (migration 0009): everyone but the
 * owners of its mailboxes sees it at `metadata` level.
 */
export interface EmailPrivateThreadsTable {
  thread_id: number
  /** The address of the owner who marked it. */
  marked_by: string
  marked_at: string
}

/**
 * An address whose mail later syncs never capture (migration 0010), added by a purge. Only a
 * keyed hash of the address is kept (`src/erasure/suppression-hash.ts`), never the address.
 */
export interface EmailSuppressionsTable {
  hash: string
  added_at: string
  /** The principal who purged, or `null` for the host's own code. */
  added_by: string | null
}

/**
 * The content of an erased attachment whose file is still to be removed (migration 0010): queued
 * in the transaction that erased the emails, cleared once the file is gone or referenced again.
 */
export interface EmailBlobErasuresTable {
  sha256: string
  queued_at: string
}
