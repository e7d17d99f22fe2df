import type { CaptureStrategy, SyncKind } from '../db/database.js'

/** What a sync run counted: the numbers a report gives and an account's last run keeps. */
export interface RunCounts {
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
  /**
   * Contents downloaded for nothing (part of `skipped`): messages Gmail's search listed for a
   * CRM identity that the local matcher, which has the last word, did not call CRM mail.
   */
  readonly discarded: number
  /**
   * The recall guard: messages Gmail's search did not list whose headers the run read to check
   * that search and the local matcher agree, and the CRM mail among them (a miss: captured
   * anyway, and the account falls back to the `headers` strategy until cleared).
   */
  readonly recallSampled: number
  readonly recallMissed: number
  /** Gmail quota units this run spent. */
  readonly unitsSpent: number
}

/** What one sync run of one account did (the shape of SPEC §8). */
export interface SyncReport extends RunCounts {
  /** The mailbox address. */
  readonly account: string
  readonly kind: SyncKind
  /**
   * `ok`: everything listed was handled; `partial`: some messages failed or the run was stopped;
   * `error`: the run failed; `busy` (from `runAll` only): another process, or another run of
   * this one, holds the account's lease, and `heldBy` says who. A `busy` report counts nothing
   * and `kind` is the run the account was due for. `paused` (from `runAll` only): an admin
   * paused the account, since `pausedAt`; it was not run and counts nothing.
   */
  readonly status: 'ok' | 'partial' | 'error' | 'busy' | 'paused'
  /** How the run found CRM mail: `search` (Gmail's search for the directory's identities) or `headers`. */
  readonly strategy: CaptureStrategy
  readonly startedAt: string
  readonly finishedAt: string
  /** Why the run failed or stopped, when it did. */
  readonly error?: string
  /** Who holds the account's lease, when `status` is `busy`. */
  readonly heldBy?: LeaseHolder
  /** Since when the account is paused, when `status` is `paused`. */
  readonly pausedAt?: string
}

/** The holder of an account's sync lease, as a `busy` report and the status display show it. */
export interface LeaseHolder {
  /** The holder's id: host name, process id and a random part (one per integration object). */
  readonly owner: string
  /** The holder's host name and process id; `null` for a lease taken by an earlier version. */
  readonly host: string | null
  readonly pid: number | null
  /** When it took the lease; `null` for a lease taken by an earlier version. */
  readonly since: string | null
  /** When the lease lapses unless its holder renews it (it does, every third of the TTL, while it lives). */
  readonly expiresAt: string | null
  /** All of it in words: `pid 4242 on crm-1 since 2026-06-01T07:00:00.000Z, lease until 2026-06-01T07:02:00.000Z`. */
  readonly description: string
}

/** Sync tuning a host rarely needs (`createEmailIntegration({ sync })`). */
export interface SyncTuning {
  /**
   * How long an account's lease holds without renewal, in milliseconds (default two minutes;
   * at least 300). A run renews it every third of this, also in the middle of a long page. It
   * bounds how long an account waits after its syncing process died on another host, or
   * without a trace (on the same host, or on PostgreSQL, a dead holder is seen at once).
   */
  readonly leaseTtlMs?: number
  /**
   * How incremental runs under the `search` strategy decide which new messages are CRM mail:
   * `auto` (default) takes the cheaper of `headers` (read each new message's headers) and
   * `search` (search the directory's identities over the time since the previous run and
   * intersect with history); the other two force one, for measurements.
   */
  readonly incrementalDecision?: 'auto' | 'headers' | 'search'
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
