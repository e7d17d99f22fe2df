import type { SyncKind } from '../db/database.js'

/** What one sync run of one account did (the shape of SPEC §8). */
export interface SyncReport {
  /** The mailbox address. */
  readonly account: string
  readonly kind: SyncKind
  /** `ok`: everything listed was handled; `partial`: some messages failed or the run was stopped; `error`: the run failed. */
  readonly status: 'ok' | 'partial' | 'error'
  /** Messages listed (by messages.list or history). */
  readonly listed: number
  /** Messages whose content was downloaded. */
  readonly fetched: number
  /** Messages of this mailbox stored (new emails and copies of known ones). */
  readonly captured: number
  /** Messages not captured: not CRM mail, spam, trash, drafts, blocklisted, already stored, gone. */
  readonly skipped: number
  /**
   * Messages that failed this run, each recorded: a transient failure is retried by later runs
   * when due (1 h, 6 h, 24 h, 3 days, then weekly) and parked at its third; a permanent one is
   * parked at once and fetched again only by `retryFailures`. A parked message failing again is
   * not counted.
   */
  readonly failed: number
  /** Gmail quota units this run spent. */
  readonly unitsSpent: number
  readonly startedAt: string
  readonly finishedAt: string
  /** Why the run failed or stopped, when it did. */
  readonly error?: string
}

/** A progress event, sent after every committed page. */
export interface SyncProgress {
  readonly account: string
  readonly kind: SyncKind
  readonly listed: number
  readonly fetched: number
  readonly captured: number
  readonly skipped: number
  readonly failed: number
  /** Seconds left by the rate so far and Gmail's estimate of the mailbox size; `null` when unknown. */
  readonly eta: number | null
  /**
   * The messages this run is expected to list in all, for a progress fraction (`listed / total`):
   * Gmail's estimate for a backfill or catch-up scan, never below `listed`; `null` when unknown
   * (incremental runs, which read history as it comes).
   */
  readonly total: number | null
}

/** Options of `email.sync.run`. */
export interface SyncRunOptions {
  /** The mailbox address of an enrolled account. */
  readonly account: string
  /** Called after every committed page. */
  readonly onProgress?: (progress: SyncProgress) => void
  /** Stops the run after the current page; the database stays consistent and the run resumes later. */
  readonly signal?: AbortSignal
}

/** Options of `email.sync.runAll`. */
export interface SyncAllOptions {
  readonly onProgress?: (progress: SyncProgress) => void
  /** Called as each account's run ends, before the others have (for a per-account progress line). */
  readonly onReport?: (report: SyncReport) => void
  readonly signal?: AbortSignal
}

/** Options of `email.sync.retryFailures`. */
export interface RetryFailuresOptions {
  /** Only this enrolled mailbox's failures (default: every account's). */
  readonly account?: string
  /** Only these Gmail message ids (as the failures table and the status show them); at most 200. */
  readonly ids?: readonly string[]
  /** Called after every committed page of the runs. */
  readonly onProgress?: (progress: SyncProgress) => void
  /** Stops the runs after the current page. */
  readonly signal?: AbortSignal
}

/** What an explicit retry of one account's failed messages did. */
export interface RetryReport {
  /** The mailbox address. */
  readonly account: string
  /** Failed messages fetched again. */
  readonly retried: number
  /** Of those, the ones now settled: captured, or skipped for good (not CRM mail, gone). */
  readonly resolved: number
  /** Of those, the ones that failed again, recorded with their new kind and next attempt. */
  readonly failing: number
  /** The sync run the retry opened: the retried messages first, then the account's usual sync. */
  readonly run: SyncReport
}
