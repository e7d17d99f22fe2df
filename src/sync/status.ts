import type { IntegrationContext } from '../context.js'
import { listAccountRows, type EmailAccount } from '../db/accounts.js'
import type { SchedulerState } from '../scheduler/scheduler.js'
import { NO_FAILURES, failureCounts, type FailureCounts } from './failure-counts.js'
import { lastRuns, type LastRun } from './last-runs.js'
import { heldLeases } from './lease/leases.js'
import type { LeaseHolder } from './types.js'
import type { IndexStatus } from '../vectors/index-status.js'

/** Who holds an account's sync lease now, and whether that process is known to be gone. */
export type BusyHolder = LeaseHolder & { readonly dead: boolean }

/** One enrolled account as the status shows it: the account, its last run, failures and lease. */
export interface AccountSyncStatus extends EmailAccount {
  /** The account's last sync run; `null` before its first. */
  readonly lastRun: LastRun | null
  /** Its failed messages: failed for good, and waiting to be retried. */
  readonly failures: FailureCounts
  /** Who is syncing it right now (`busy` in the UI); `null` when nobody is. */
  readonly busy: BusyHolder | null
}

/** What `email.status()` and `GET /api/email/status` answer. */
export interface IntegrationStatus {
  /** `config.enabled`: whether syncing and the routes are on. */
  readonly enabled: boolean
  /** The background sync's state in this process. */
  readonly scheduler: SchedulerState
  /**
   * Every enrolled account, by address, with its last run, failures and lease holder (a paused
   * one with `pausedAt`), and its sharing level (`sharing`, `sharingIsDefault`): every signed-in
   * user may read it, so a page can say how much of each teammate's mail it shows.
   */
  readonly accounts: AccountSyncStatus[]
  /**
   * The content index: visible emails, how many have vectors of the current model and how many
   * wait (0 without vectors), attachment texts by outcome, and this process's last indexer run.
   */
  readonly index: IndexStatus
}

/**
 * Builds `email.status()`: every enrolled account joined with its last run, failed-message
 * counts and current lease holder, plus the scheduler's state. Read-only.
 *
 * @example
 * ```ts
 * const status = createStatus(context, scheduler, indexer.status)
 * const { accounts } = await status()
 * ```
 */
export function createStatus(
  context: IntegrationContext,
  scheduler: { readonly state: () => SchedulerState },
  index: () => Promise<IndexStatus>,
): () => Promise<IntegrationStatus> {
  return async () => {
    const list = await listAccountRows(context)
    const runs = await lastRuns(context.db)
    const failures = await failureCounts(context.db)
    const leases = await heldLeases(context.db, context.clock.now())
    return {
      enabled: context.config.enabled,
      scheduler: scheduler.state(),
      accounts: list.map((a) => ({ ...a, lastRun: runs.get(a.address) ?? null, failures: failures.get(a.address) ?? NO_FAILURES, busy: leases.get(a.address) ?? null })),
      index: await index(),
    }
  }
}
