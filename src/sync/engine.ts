import pLimit from 'p-limit'
import type { MatchIndex } from '../capture/match/match-index.js'
import type { CapturePipeline } from '../capture/pipeline.js'
import type { SearchTerm } from '../capture/match/search-terms.js'
import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import { PAUSED_REASON } from '../db/accounts.js'
import type { SyncKind } from '../db/database.js'
import { ConflictError, UpstreamError } from '../errors.js'
import { dueFailures } from './failures.js'
import type { GmailAccess } from './gmail-access.js'
import { runIncremental } from './incremental.js'
import { underLease, type LeaseDependencies } from './lease/account-lease.js'
import { captureWindowStart, reconcileTerms, type PendingTerm } from './account-terms.js'
import { AccountPausedError, capturePage, type AccountRow, type IncrementalDecision, type RunState } from './run-state.js'
import { finishRun } from './run-finish.js'
import { runScan } from './scan.js'
import { catchupStart, strategyOf, targetedPlan, windowPlan } from './scan-plan.js'
import type { SyncProgress, SyncReport } from './types.js'

/** Accounts synced at once by `runAll`: each has its own quota, but they share this machine and database. */
export const MAX_PARALLEL_ACCOUNTS = 3

/** A day, in milliseconds. */
const DAY_MS = 86_400_000

/** What a run needs besides the account (the lease's needs among them: owner, TTL, session strategy). */
export interface RunDependencies extends LeaseDependencies {
  readonly access: GmailAccess
  readonly pipeline: CapturePipeline
  /** The directory's match index and its search terms, built once per sync call. */
  readonly index: MatchIndex
  readonly terms: readonly SearchTerm[]
  /** How incremental runs decide what new mail is CRM mail (`auto`: the cheaper way). */
  readonly incrementalDecision: IncrementalDecision
}

/** Options of one account's run. */
export interface RunAccountOptions {
  readonly onProgress?: ((progress: SyncProgress) => void) | undefined
  readonly signal?: AbortSignal | undefined
  /**
   * Failed messages to fetch again first, whatever their kind or schedule (an explicit retry);
   * without it the run retries the transient failures that are due.
   */
  readonly retry?: readonly string[] | undefined
}

/** Options of `runAllAccounts`. */
export interface RunAllOptions extends Omit<RunAccountOptions, 'retry'> {
  readonly onReport?: ((report: SyncReport) => void) | undefined
}

/**
 * The kind of run an account needs now, from where its sync stands: a scan in progress goes on;
 * then the first backfill; then a targeted backfill when identities new to the directory are
 * pending; then a catch-up when the cursor is stale, else an incremental sync.
 */
export function plannedKind(account: AccountRow, now: Date, staleDays: number, pendingTerms = false): SyncKind {
  if (account.scan_kind !== null) return account.scan_kind
  if (account.backfill_completed_at === null || account.history_id === null) return 'backfill'
  if (pendingTerms) return 'targeted'
  return historyKind(account, now, staleDays)
}

/** Where history stands: `catchup` when the cursor is older than `staleDays`, else `incremental`. */
function historyKind(account: AccountRow, now: Date, staleDays: number): 'catchup' | 'incremental' {
  const checked = account.history_checked_at === null ? 0 : Date.parse(account.history_checked_at)
  return now.getTime() - checked > staleDays * DAY_MS ? 'catchup' : 'incremental'
}

/**
 * Syncs one account: takes its lease (throws `ConflictError` while another run holds it, in
 * another process or in this one), retries the failed messages that are due (or those `options.retry`
 * names), then runs the backfill, the catch-up or the incremental sync its
 * state calls for, and records the run. Errors of the account end up in the report and on the
 * account (`needs_attention` when Google refuses its credentials); they are not thrown.
 */
export async function runAccount(deps: RunDependencies, listed: AccountRow, options: RunAccountOptions = {}): Promise<SyncReport> {
  if (listed.status === 'removing') throw new ConflictError(`account ${listed.address} is being removed: it is not synced`)
  const report = await runUnlessBusy(deps, listed, options)
  if (report.status === 'busy') {
    throw new ConflictError(`account ${listed.address} is being synced by another process (held by ${report.heldBy?.description ?? 'unknown'})`)
  }
  if (report.status === 'paused') throw new ConflictError(`account ${listed.address} is paused (since ${report.pausedAt ?? 'unknown'}): resume it to sync`)
  return report
}

/** Runs the account under its lease, or returns a `busy` report naming the lease's live holder. */
async function runUnlessBusy(deps: RunDependencies, listed: AccountRow, options: RunAccountOptions): Promise<SyncReport> {
  const { context } = deps
  if (listed.status === 'paused') return pausedReport(deps, listed)
  const leased = await underLease(deps, listed, async (lost) => {
    // `listed` may be old: runAll lists every account before it reaches the last one, and another
    // process may have synced it meanwhile. Holding the lease, read where its sync stands now.
    const account = await context.db.selectFrom('email_accounts').selectAll().where('id', '=', listed.id).executeTakeFirstOrThrow()
    if (account.status === 'paused') return pausedReport(deps, account)
    return runLeased(deps, account, options, lost)
  })
  return leased.taken ? leased.value : idleReport(deps, listed, { status: 'busy', heldBy: leased.holder })
}

/** The report of an account that was not run: busy (with its lease holder) or paused (since when). */
function idleReport(deps: RunDependencies, account: AccountRow, why: Pick<SyncReport, 'status' | 'heldBy' | 'pausedAt'>): SyncReport {
  const { context } = deps
  const now = nowIso(context)
  return {
    account: account.address,
    kind: plannedKind(account, context.clock.now(), context.config.historyStaleDays),
    listed: 0,
    fetched: 0,
    captured: 0,
    skipped: 0,
    failed: 0,
    discarded: 0,
    recallSampled: 0,
    recallMissed: 0,
    strategy: strategyOf(context.config, account),
    unitsSpent: 0,
    startedAt: now,
    finishedAt: now,
    ...why,
  }
}

function pausedReport(deps: RunDependencies, account: AccountRow): SyncReport {
  return idleReport(deps, account, account.paused_at === null ? { status: 'paused' } : { status: 'paused', pausedAt: account.paused_at })
}

async function runLeased(deps: RunDependencies, account: AccountRow, options: RunAccountOptions, lost: AbortSignal): Promise<SyncReport> {
  const { context, owner } = deps
  const startedAt = nowIso(context)
  await closeAbandonedRuns(context, account.id, startedAt)
  const { config } = context
  // The directory's terms against the account's: new identities are pending a targeted backfill.
  const pending =
    config.capture === 'matched'
      ? await reconcileTerms(context.db, account.id, deps.terms, captureWindowStart(context.clock.now(), config.backfillDays, config.retentionDays), startedAt)
      : []
  const kind = plannedKind(account, context.clock.now(), config.historyStaleDays, pending.length > 0)
  const run = await context.db
    .insertInto('email_sync_runs')
    .values({ account_id: account.id, kind, status: 'running', owner, strategy: strategyOf(config, account), started_at: startedAt })
    .returning('id')
    .executeTakeFirstOrThrow()
  const state: RunState = {
    context,
    client: deps.access.clientFor({ id: account.id, address: account.address }),
    pipeline: deps.pipeline,
    index: deps.index,
    terms: deps.terms,
    incrementalDecision: deps.incrementalDecision,
    owner,
    leaseTtlMs: deps.leaseTtlMs,
    runId: run.id,
    counts: { listed: 0, fetched: 0, captured: 0, skipped: 0, failed: 0, discarded: 0, recall_sampled: 0, recall_missed: 0 },
    startedAt: Date.now(),
    // The page in progress stops when the caller aborts or the lease is lost.
    signal: options.signal === undefined ? lost : AbortSignal.any([options.signal, lost]),
    onProgress: options.onProgress,
    account,
    kind,
    estimate: null,
    scanHistoryId: null,
    strategy: strategyOf(config, account),
    hints: null,
    discardedIds: new Set(),
  }

  let error: unknown = null
  let paused: AccountPausedError | null = null
  let finished = false
  try {
    finished = await sync(state, options.retry, pending)
  } catch (caught) {
    // The caller's signal cut a page short, or an admin paused the account: the page's work is
    // dropped uncommitted, so this is a stop like any other, not a failure.
    if (caught instanceof AccountPausedError) paused = caught
    else if (!(options.signal?.aborted === true && caught === options.signal.reason)) error = caught
  }
  // A lost lease is a failure, however the page in progress ended (cut short, or stopped as by a signal).
  if (lost.aborted && !finished) error = lost.reason
  const report = await finishRun(state, startedAt, finished, error)
  await keepPaused(context, state.runId, account.id, paused)
  return paused === null || error !== null ? report : { ...report, error: paused.message }
}

/**
 * An account paused while its run ended keeps `paused`: the end of the run may have written the
 * status it had (`active` after a good run, `needs_attention`), which becomes what a resume
 * puts back. A run the pause stopped says so in its row.
 */
async function keepPaused(context: IntegrationContext, runId: number, accountId: number, stop: AccountPausedError | null): Promise<void> {
  await context.db
    .updateTable('email_accounts')
    .set((eb) => ({ paused_status: eb.ref('status'), paused_reason: eb.ref('status_reason'), status: 'paused' as const, status_reason: PAUSED_REASON }))
    .where('id', '=', accountId)
    .where('paused_at', 'is not', null)
    .where('status', '!=', 'paused')
    .execute()
  if (stop !== null) await context.db.updateTable('email_sync_runs').set({ error: stop.message }).where('id', '=', runId).where('error', 'is', null).execute()
}

/**
 * Closes the account's runs that a process left `running` when it died (killed, out of memory,
 * its host rebooted). Holding the lease proves that nobody is running them any more: without
 * this they would show as running forever.
 */
async function closeAbandonedRuns(context: IntegrationContext, accountId: number, now: string): Promise<void> {
  await context.db
    .updateTable('email_sync_runs')
    .set({ status: 'aborted', error: 'stopped before it finished: the process running it died or lost its lease', finished_at: now })
    .where('account_id', '=', accountId)
    .where('status', '=', 'running')
    .execute()
}

async function sync(state: RunState, explicitRetry: readonly string[] | undefined, pending: readonly PendingTerm[]): Promise<boolean> {
  const { context } = state
  const { config } = context
  // Permanent failures are only ever fetched again when asked for: poison mail is downloaded once.
  const retry = explicitRetry ?? (await dueFailures(context.db, state.account.id, context.clock.now()))
  if (retry.length > 0) await capturePage(state, retry.map((id) => ({ id, threadId: '' })), {}, { explicitRetry: explicitRetry !== undefined })

  const now = context.clock.now()
  const windowStart = captureWindowStart(now, config.backfillDays, config.retentionDays)
  if (state.kind === 'backfill') return runScan(state, windowPlan('backfill', state.strategy, state.terms, windowStart))
  let kind: SyncKind = state.kind
  if (kind === 'targeted') {
    if (!(await runScan(state, targetedPlan(pending), { keepCursor: true }))) return false
    // The scan ran under `search`; history follows the account's own strategy (a recall miss may have changed it).
    state.strategy = strategyOf(config, state.account)
    state.kind = 'targeted'
    kind = historyKind(state.account, now, config.historyStaleDays)
  }
  if (kind === 'catchup') {
    const plan = windowPlan('catchup', state.strategy, state.terms, catchupStart(state.account.last_success_at, windowStart))
    const scanned = await runScan(state, plan, { keepCursor: true })
    state.strategy = strategyOf(config, state.account)
    return scanned && replayHistory(state)
  }
  try {
    return await runIncremental(state)
  } catch (error) {
    // Gmail keeps history for about a week: an expired cursor is answered 404. Scan the gap.
    if (!(error instanceof UpstreamError && error.upstreamStatus === 404)) throw error
    context.logger.warn({ account: state.account.address }, 'email history expired; catching up')
    state.kind = 'catchup'
    return runScan(state, windowPlan('catchup', state.strategy, state.terms, catchupStart(state.account.last_success_at, windowStart)))
  }
}

/**
 * After a catch-up for a stale cursor: the scan brought the gap's new mail; history, when Gmail
 * still has it, also brings the gap's deletions and label changes (the new mail it lists again
 * is already stored and costs nothing). When history has expired, the cursor moves to where
 * the scan started.
 */
async function replayHistory(state: RunState): Promise<boolean> {
  if (state.account.history_id === null || state.scanHistoryId === null) return true
  try {
    return await runIncremental(state)
  } catch (error) {
    if (!(error instanceof UpstreamError && error.upstreamStatus === 404)) throw error
    await capturePage(state, [], { history_id: state.scanHistoryId })
    return true
  }
}

/**
 * Syncs every account that can be synced (not waiting for consent, not paused), a few at a
 * time. An account whose lease a live owner holds (another process, or another run of this
 * one) is left to it and reported `busy`, with the holder, and logged; a paused account is
 * reported `paused`, with since when; one account's failure never stops the others.
 */
export async function runAllAccounts(deps: RunDependencies, options: RunAllOptions = {}): Promise<SyncReport[]> {
  const accounts = await deps.context.db
    .selectFrom('email_accounts')
    .selectAll()
    .where('status', 'in', ['active', 'needs_attention', 'paused'])
    .orderBy('address')
    .execute()
  const limit = pLimit(MAX_PARALLEL_ACCOUNTS)
  const reports = await Promise.all(
    accounts.map((account) =>
      limit(async () => {
        if (options.signal?.aborted === true) return null
        const report = await runUnlessBusy(deps, account, options)
        if (report.status === 'busy') {
          deps.context.logger.info({ account: account.address, heldBy: report.heldBy?.description }, 'email account busy: another process is syncing it')
        }
        options.onReport?.(report)
        return report
      }),
    ),
  )
  return reports.filter((r): r is SyncReport => r !== null)
}
