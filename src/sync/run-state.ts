import type { Selectable, Updateable } from 'kysely'
import type { CapturePipeline, PreparedPage } from '../capture/pipeline.js'
import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import type { EmailAccountsTable, SyncKind } from '../db/database.js'
import { ConflictError } from '../errors.js'
import type { GmailClient } from '../gmail/client-types.js'
import type { GmailMessageRef } from '../gmail/types.js'
import { clearFailures, permanentFailures, recordFailures } from './failures.js'
import type { SyncProgress } from './sync-types.js'

/** An account row. */
export type AccountRow = Selectable<EmailAccountsTable>

/** The counters of a run. */
export interface RunCounts {
  listed: number
  fetched: number
  captured: number
  skipped: number
  failed: number
}

/** Everything one run of one account carries from page to page. */
export interface RunState {
  readonly context: IntegrationContext
  readonly client: GmailClient
  readonly pipeline: CapturePipeline
  readonly owner: string
  /** The lease TTL: each committed page renews the lease for this long. */
  readonly leaseTtlMs: number
  readonly runId: number
  readonly counts: RunCounts
  readonly startedAt: number
  readonly signal: AbortSignal | undefined
  readonly onProgress: ((progress: SyncProgress) => void) | undefined
  account: AccountRow
  kind: SyncKind
  /** Gmail's estimate of the messages a scan will list, for the ETA. */
  estimate: number | null
  /** The historyId a finished scan of this run started from, or `null`. */
  scanHistoryId: string | null
}

/**
 * Captures one page of listed messages and commits it in ONE transaction together with the
 * cursor or page-token checkpoint (`cursor`), the failures, the run's counters and a lease
 * check: a process killed at any instant leaves either the whole page or nothing, and resumes
 * from the last committed checkpoint. A process that lost its lease writes nothing.
 * Messages that failed permanently are counted as skipped and not fetched, unless
 * `options.explicitRetry` says the page is an explicit retry of failures.
 */
export async function capturePage(
  state: RunState,
  refs: readonly GmailMessageRef[],
  cursor: Updateable<EmailAccountsTable>,
  options: { readonly explicitRetry?: boolean } = {},
): Promise<void> {
  const { context, pipeline, account } = state
  const parked = options.explicitRetry === true ? new Set<string>() : await permanentFailures(context.db, account.id, refs.map((r) => r.id))
  const toFetch = parked.size === 0 ? refs : refs.filter((r) => !parked.has(r.id))
  const page: PreparedPage =
    toFetch.length === 0
      ? { account: { id: account.id, address: account.address }, records: [], copies: [], skipped: [], failed: [], fetched: 0 }
      : await pipeline.prepare({ id: account.id, address: account.address }, state.client, toFetch, state.signal)
  const now = nowIso(context)

  const updated = await context.db.transaction().execute(async (trx) => {
    const leased = await trx
      .updateTable('email_accounts')
      .set({ ...cursor, lease_expires_at: new Date(context.clock.now().getTime() + state.leaseTtlMs).toISOString(), updated_at: now })
      .where('id', '=', account.id)
      .where('lease_owner', '=', state.owner)
      .returningAll()
      .executeTakeFirst()
    if (leased === undefined) throw new ConflictError(`lost the sync lease of ${account.address} to another process`)
    const committed = await pipeline.commit(trx, page, now)
    const failures = [...page.failed, ...committed.failed]
    const recorded = await recordFailures(trx, account.id, failures, now)
    const failedIds = new Set(failures.map((f) => f.gmailId))
    const settled = [...page.records, ...page.copies, ...page.skipped].map((m) => m.gmailId).filter((id) => !failedIds.has(id))
    await clearFailures(trx, account.id, settled)

    state.counts.listed += refs.length
    state.counts.fetched += page.fetched
    state.counts.captured += committed.captured
    state.counts.skipped += page.skipped.length + parked.size
    // A parked message failing its retry again is already accounted for in the failures table.
    state.counts.failed += failures.length - recorded.alreadyParked
    await trx
      .updateTable('email_sync_runs')
      .set({ ...state.counts, units_spent: state.client.unitsSpent, kind: state.kind })
      .where('id', '=', state.runId)
      .execute()
    return leased
  })
  state.account = updated
  reportProgress(state)
}

function reportProgress(state: RunState): void {
  if (state.onProgress === undefined) return
  const elapsed = (Date.now() - state.startedAt) / 1000
  const rate = elapsed > 0 ? state.counts.listed / elapsed : 0
  const left = state.estimate === null ? null : Math.max(0, state.estimate - state.counts.listed)
  state.onProgress({
    account: state.account.address,
    kind: state.kind,
    ...state.counts,
    eta: left === null || rate === 0 ? null : Math.round(left / rate),
    total: state.estimate === null ? null : Math.max(state.estimate, state.counts.listed),
  })
}

/** Whether Gmail history id `a` is after `b` (uint64 as decimal text). */
export function historyAfter(a: string, b: string | null): boolean {
  return b === null || BigInt(a) > BigInt(b)
}
