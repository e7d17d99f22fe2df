/**
 * The tables of sync bookkeeping: runs, failed messages and each account's identity terms.
 * Part of {@link EmailDatabase} (`database.ts`), which re-exports them.
 */
import type { Generated } from 'kysely'
import type { CaptureStrategy, SyncKind } from './database.js'

/** How a sync run ended (`running` while it goes on). */
export type SyncRunStatus = 'running' | 'ok' | 'partial' | 'error' | 'aborted'

/** One sync run of one account. */
export interface EmailSyncRunsTable {
  id: Generated<number>
  account_id: number
  kind: SyncKind
  status: SyncRunStatus
  /** The process that ran it (the lease owner). */
  owner: string
  listed: Generated<number>
  fetched: Generated<number>
  captured: Generated<number>
  skipped: Generated<number>
  failed: Generated<number>
  units_spent: Generated<number>
  /** Contents downloaded for nothing: search candidates the local matcher did not call CRM mail (part of `skipped`). */
  discarded: Generated<number>
  /** Non-candidates whose headers the recall guard read, and those of them that were CRM mail. */
  recall_sampled: Generated<number>
  recall_missed: Generated<number>
  /** The strategy the run captured with; `null` for runs before migration 0006. */
  strategy: CaptureStrategy | null
  error: string | null
  started_at: string
  finished_at: string | null
}

/**
 * How a message failed: `permanent` when the message itself is at fault (too deep, too large,
 * unparseable, refused by Gmail as a bad request), `transient` when Gmail, the network or the
 * database was unavailable.
 */
export type SyncFailureKind = 'permanent' | 'transient'

/** A message that failed to capture; parked after repeated failures so it stops blocking sync. */
export interface EmailSyncFailuresTable {
  id: Generated<number>
  account_id: number
  gmail_id: string
  attempts: number
  reason: string
  /** Set once the message stops counting against runs: at once when permanent, else after a few failures. */
  parked_at: string | null
  first_failed_at: string
  last_failed_at: string
  /** The last failure's kind (`transient` for rows older than the column). */
  kind: Generated<SyncFailureKind>
  /** When a scheduled run may fetch it again; `null` for a permanent failure (only an explicit retry does). */
  next_attempt_at: string | null
}

/** Whether an account has captured the mail of one identity term over the window. */
export type AccountTermState = 'pending' | 'captured'

/** One identity term of one account (migration 0006): see `src/sync/account-terms.ts`. */
export interface EmailAccountTermsTable {
  account_id: number
  /** `addr:<match key>` or `domain:<domain>`. */
  term: string
  state: AccountTermState
  /** The start of the window its mail is (to be) captured over; `null` = all mail. */
  window_after: string | null
  added_at: string
  captured_at: string | null
  /** When the term left the directory; it keeps its row so that adding it back scans only the gap. */
  removed_at: string | null
}
