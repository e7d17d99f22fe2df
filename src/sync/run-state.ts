import type { Selectable, Updateable } from 'kysely'
import type { Kysely } from 'kysely'
import type { CapturePipeline, PreparedPage, SizeHints } from '../capture/pipeline.js'
import type { MatchIndex } from '../capture/match/match-index.js'
import type { SearchTerm } from '../capture/match/search-terms.js'
import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import type { CaptureStrategy, EmailAccountsTable, EmailDatabase, SyncKind } from '../db/database.js'
import { ConflictError } from '../errors.js'
import type { GmailClient } from '../gmail/client-types.js'
import type { GmailMessageRef } from '../gmail/types.js'
import { clearFailures, permanentFailures, recordFailures } from './failures.js'
import { leaseLost } from './lease/keeper.js'
import type { SyncProgress } from './types.js'

/** An account row. */
export type AccountRow = Selectable<EmailAccountsTable>

/** The counters of a run. */
export interface RunCounts {
  listed: number
  fetched: number
  captured: number
  skipped: number
  failed: number
  /** Contents downloaded for nothing (search false positives); part of `skipped`. */
  discarded: number
  /** Non-candidates whose headers the recall guard read, and the CRM mail among them. */
  recall_sampled: number
  recall_missed: number
}

/** How a run decides which new messages of history are CRM mail (see `incremental.ts`). */
export type IncrementalDecision = 'auto' | 'headers' | 'search'

/** Everything one run of one account carries from page to page. */
export interface RunState {
  readonly context: IntegrationContext
  readonly client: GmailClient
  readonly pipeline: CapturePipeline
  /** The directory's match index and search terms, built once per sync call. */
  readonly index: MatchIndex
  readonly terms: readonly SearchTerm[]
  readonly incrementalDecision: IncrementalDecision
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
  /** How the run captures: from the account and the configuration, at its start. */
  strategy: CaptureStrategy
  /** Size hints of the scan in progress (listed once per scan), or `null` before. */
  hints: SizeHints | null
  /** Gmail ids whose content this run downloaded and discarded: the recall guard does not sample them. */
  readonly discardedIds: Set<string>
}

/** How `capturePage` reads a page's messages. */
export interface CaptureOptions {
  /** The page is an explicit retry of failures: permanent ones are fetched too. */
  readonly explicitRetry?: boolean
  /**
   * Search candidates among the refs: their content is fetched at once (no header read) with
   * these size hints; the other refs go through the header read.
   */
  readonly candidates?: { readonly ids: ReadonlySet<string>; readonly hints: SizeHints }
  /** Listed messages decided without any read (not search candidates): counted as listed and skipped. */
  readonly notCandidates?: number
  /** Runs inside the page's transaction, after its messages are stored. */
  readonly onCommit?: (trx: Kysely<EmailDatabase>) => Promise<void>
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
  options: CaptureOptions = {},
): Promise<void> {
  const { context, account } = state
  const parked = options.explicitRetry === true ? new Set<string>() : await permanentFailures(context.db, account.id, refs.map((r) => r.id))
  const toFetch = parked.size === 0 ? refs : refs.filter((r) => !parked.has(r.id))
  const page = await preparePage(state, toFetch, options)
  const now = nowIso(context)

  const updated = await context.db.transaction().execute(async (trx) => {
    const leased = await trx
      .updateTable('email_accounts')
      .set({ ...cursor, lease_expires_at: new Date(context.clock.now().getTime() + state.leaseTtlMs).toISOString(), updated_at: now })
      .where('id', '=', account.id)
      .where('lease_owner', '=', state.owner)
      .where('status', '!=', 'paused')
      .returningAll()
      .executeTakeFirst()
    if (leased === undefined) throw await commitRefused(trx, account)
    const committed = await state.pipeline.commit(trx, page, now)
    const failures = [...page.failed, ...committed.failed]
    const recorded = await recordFailures(trx, account.id, failures, now)
    const failedIds = new Set(failures.map((f) => f.gmailId))
    const settled = [...page.records, ...page.copies, ...page.skipped].map((m) => m.gmailId).filter((id) => !failedIds.has(id))
    await clearFailures(trx, account.id, settled)

    state.counts.listed += refs.length + (options.notCandidates ?? 0)
    state.counts.fetched += page.fetched
    state.counts.captured += committed.captured
    state.counts.skipped += page.skipped.length + parked.size + (options.notCandidates ?? 0)
    state.counts.discarded += page.discarded
    // A parked message failing its retry again is already accounted for in the failures table.
    state.counts.failed += failures.length - recorded.alreadyParked
    await trx
      .updateTable('email_sync_runs')
      .set({ ...state.counts, units_spent: state.client.unitsSpent, kind: state.kind, strategy: state.strategy })
      .where('id', '=', state.runId)
      .execute()
    await options.onCommit?.(trx)
    return leased
  })
  state.account = updated
  reportProgress(state)
}

/**
 * The error a run stops with when an admin paused its account: the page in progress commits
 * nothing and the run ends as stopped (`partial`), not failed.
 *
 * @example
 * ```ts
 * if (caught instanceof AccountPausedError) console.log(`stopped: ${caught.message}`)
 * ```
 */
export class AccountPausedError extends ConflictError {}

/** Why a page's commit found the account not its own: paused by an admin, or its lease lost. */
async function commitRefused(trx: Kysely<EmailDatabase>, account: AccountRow): Promise<ConflictError> {
  const row = await trx.selectFrom('email_accounts').select(['status', 'paused_at']).where('id', '=', account.id).executeTakeFirst()
  if (row?.status === 'paused') return new AccountPausedError(`account ${account.address} was paused at ${row.paused_at ?? 'an unknown time'}`)
  return leaseLost(account.address)
}

/** Reads the page: candidates content first, the rest through their headers; one page to commit. */
async function preparePage(state: RunState, refs: readonly GmailMessageRef[], options: CaptureOptions): Promise<PreparedPage> {
  const { pipeline, account } = state
  const owner = { id: account.id, address: account.address }
  const candidates = options.candidates
  // A false positive two chunks' queries list is downloaded once per run: the second listing skips it.
  const again = candidates === undefined ? [] : refs.filter((r) => candidates.ids.has(r.id) && state.discardedIds.has(r.id))
  const fast = candidates === undefined ? [] : refs.filter((r) => candidates.ids.has(r.id) && !state.discardedIds.has(r.id))
  const slow = candidates === undefined ? refs : refs.filter((r) => !candidates.ids.has(r.id))
  const parts: PreparedPage[] = []
  if (again.length > 0) {
    parts.push({ account: owner, records: [], copies: [], skipped: again.map((r) => ({ gmailId: r.id, reason: 'unmatched' as const })), failed: [], fetched: 0, discarded: 0 })
  }
  if (candidates !== undefined && fast.length > 0) {
    const page = await pipeline.prepareCandidates(owner, state.client, fast, candidates.hints, state.signal)
    for (const s of page.skipped) if (s.reason !== 'known' && s.reason !== 'gone') state.discardedIds.add(s.gmailId)
    parts.push(page)
  }
  if (slow.length > 0) parts.push(await pipeline.prepare(owner, state.client, slow, state.signal))
  return {
    account: owner,
    records: parts.flatMap((p) => p.records),
    copies: parts.flatMap((p) => p.copies),
    skipped: parts.flatMap((p) => p.skipped),
    failed: parts.flatMap((p) => p.failed),
    fetched: parts.reduce((n, p) => n + p.fetched, 0),
    discarded: parts.reduce((n, p) => n + p.discarded, 0),
  }
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
