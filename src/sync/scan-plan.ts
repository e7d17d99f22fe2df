/**
 * What a list scan walks: its queries (one per chunk of identity terms under the `search`
 * strategy; the window alone under `headers`), the terms it captures for, and its window. A plan
 * is written on the account when the scan starts, so a scan resumed after a crash walks the
 * same queries with the same page tokens.
 */
import type { SearchTerm } from '../capture/match/search-terms.js'
import type { EmailConfig } from '../config/index.js'
import type { CaptureStrategy } from '../db/database.js'
import { candidateQueries, type SearchWindow } from '../gmail/search-query.js'
import type { PendingTerm } from './account-terms.js'
import type { AccountRow } from './run-state.js'

/** A day, in seconds. */
const DAY_S = 86_400

/**
 * How far before the last good sync a catch-up scan starts. Gmail's `after:` has day
 * granularity in some forms and internal dates can lag; dedup absorbs the overlap.
 */
export const CATCHUP_OVERLAP_S = DAY_S

/** The kinds of run that walk a list scan. */
export type ScanKind = 'backfill' | 'catchup' | 'targeted'

/** A scan's queries and what it captures for. */
export interface ScanPlan {
  readonly kind: ScanKind
  readonly strategy: CaptureStrategy
  /** The `q` of each `messages.list` walk, in order; may be empty (no identity to search for). */
  readonly queries: readonly string[]
  /** Term keys marked captured when the scan ends. */
  readonly terms: readonly string[]
  /** The scan's window (the widest of its queries'), for size hints and the recall guard. */
  readonly window: SearchWindow
}

/**
 * The strategy an account captures with: `headers` in `all` mode (everything is listed) and for
 * an account in search fallback; otherwise the configured one.
 *
 * @example
 * ```ts
 * strategyOf(config, account) // 'search'
 * ```
 */
export function strategyOf(config: Pick<EmailConfig, 'capture' | 'captureStrategy'>, account: Pick<AccountRow, 'search_fallback_at'>): CaptureStrategy {
  if (config.capture === 'all' || account.search_fallback_at !== null) return 'headers'
  return config.captureStrategy
}

function epochS(iso: string | null): number | null {
  return iso === null ? null : Math.floor(Date.parse(iso) / 1000)
}

/** The headers strategy's single query over a window: today's listing of everything. */
function headersQuery(window: SearchWindow): string {
  return window.after === null ? '' : `after:${window.after}`
}

/**
 * The plan of a backfill or catch-up over the window starting at `after` (ISO; `null` = all
 * mail), under `strategy`, for every term.
 *
 * @example
 * ```ts
 * const plan = windowPlan('backfill', 'search', terms, captureWindowStart(now, 365))
 * plan.queries.length // one per chunk of terms
 * ```
 */
export function windowPlan(kind: 'backfill' | 'catchup', strategy: CaptureStrategy, terms: readonly SearchTerm[], after: string | null): ScanPlan {
  const window: SearchWindow = { after: epochS(after) }
  const keys = terms.map((t) => t.key)
  if (strategy === 'headers') return { kind, strategy, queries: [headersQuery(window)], terms: keys, window }
  return { kind, strategy, queries: candidateQueries(terms, window).map((c) => c.q), terms: keys, window }
}

/**
 * The plan of a targeted backfill: the pending terms' candidate queries, one group per window
 * start (new terms share the capture window; a term added back has its own gap). Always
 * `search`: reading every header of the window for each new contact would cost a get per
 * message each time the directory grows.
 *
 * @example
 * ```ts
 * const plan = targetedPlan(pending)   // pending: from reconcileTerms
 * ```
 */
export function targetedPlan(pending: readonly PendingTerm[]): ScanPlan {
  const groups = new Map<string | null, SearchTerm[]>()
  for (const p of pending) groups.set(p.windowAfter, [...(groups.get(p.windowAfter) ?? []), p.term])
  const queries: string[] = []
  let widest: number | null | undefined
  for (const [after, terms] of groups) {
    const start = epochS(after)
    widest = widest === undefined ? start : widest === null || start === null ? null : Math.min(widest, start)
    queries.push(...candidateQueries(terms, { after: start }).map((c) => c.q))
  }
  return { kind: 'targeted', strategy: 'search', queries, terms: pending.map((p) => p.term.key), window: { after: widest ?? null } }
}

/**
 * The start of a catch-up window: the last good sync less {@link CATCHUP_OVERLAP_S}, or the
 * capture window when the account never finished a run.
 *
 * @example
 * ```ts
 * catchupStart(account.last_success_at, captureWindowStart(now, 365))
 * ```
 */
export function catchupStart(since: string | null, windowStart: string | null): string | null {
  if (since === null) return windowStart
  return new Date(Date.parse(since) - CATCHUP_OVERLAP_S * 1000).toISOString()
}

/** What is stored on the account for a scan in progress (`scan_terms`). */
interface StoredScanTerms {
  readonly terms: readonly string[]
  readonly after: number | null
}

/**
 * The account columns that record a plan when its scan starts.
 *
 * @example
 * ```ts
 * await db.updateTable('email_accounts').set({ ...planColumns(plan), scan_history_id }).execute()
 * ```
 */
export function planColumns(plan: ScanPlan) {
  const stored: StoredScanTerms = { terms: plan.terms, after: plan.window.after }
  return {
    scan_kind: plan.kind,
    scan_strategy: plan.strategy,
    scan_queries: JSON.stringify(plan.queries),
    scan_chunk: 0,
    scan_query: plan.queries[0] ?? '',
    scan_terms: JSON.stringify(stored),
    scan_page_token: null,
  } as const
}

/** The columns that clear a finished scan. */
export const CLEARED_SCAN = {
  scan_kind: null,
  scan_strategy: null,
  scan_queries: null,
  scan_chunk: null,
  scan_query: null,
  scan_terms: null,
  scan_page_token: null,
  scan_history_id: null,
  scan_started_at: null,
} as const

/**
 * The plan of the scan in progress on the account, as its start recorded it. A scan started
 * before these columns existed has only `scan_query`: a `headers` walk of that one query.
 *
 * @example
 * ```ts
 * if (account.scan_kind !== null) { const { plan, chunk } = storedPlan(account) }
 * ```
 */
export function storedPlan(account: AccountRow): { readonly plan: ScanPlan; readonly chunk: number } {
  const queries = account.scan_queries === null ? [account.scan_query ?? ''] : (JSON.parse(account.scan_queries) as string[])
  const stored = account.scan_terms === null ? { terms: [], after: null } : (JSON.parse(account.scan_terms) as StoredScanTerms)
  const kind = account.scan_kind === 'incremental' || account.scan_kind === null ? 'backfill' : account.scan_kind
  return {
    plan: { kind, strategy: account.scan_strategy ?? 'headers', queries, terms: stored.terms, window: { after: stored.after } },
    chunk: account.scan_chunk ?? 0,
  }
}
