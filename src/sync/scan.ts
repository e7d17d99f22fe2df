import type { SizeHints } from '../capture/pipeline.js'
import { nowIso } from '../context.js'
import type { GmailClient } from '../gmail/client-types.js'
import type { GmailMessageListPage } from '../gmail/types.js'
import { sizeQueries, type SearchWindow } from '../gmail/search-query.js'
import { markTermsCaptured } from './account-terms.js'
import { relinkForTerms } from './relink-terms.js'
import { runRecallGuard } from './recall-guard.js'
import { capturePage, historyAfter, type RunState } from './run-state.js'
import { CLEARED_SCAN, planColumns, storedPlan, type ScanPlan } from './scan-plan.js'

/** Options of {@link runScan}. */
export interface ScanOptions {
  /**
   * Keep the account's incremental cursor when the scan ends (a catch-up for a stale cursor, a
   * targeted backfill): history still has the gap's deletions and label changes.
   */
  readonly keepCursor?: boolean
}

/**
 * Lists every id of a query, page by page (ids only: no message is read).
 *
 * @example
 * ```ts
 * const big = await listAllIds(client, 'after:1700000000 -in:drafts larger:1M')
 * ```
 */
export async function listAllIds(client: GmailClient, q: string, signal?: AbortSignal): Promise<Set<string>> {
  const ids = new Set<string>()
  let pageToken: string | undefined
  do {
    const page = await client.listMessages({ q, maxResults: MAX_LIST_PAGE, ...(pageToken === undefined ? {} : { pageToken }), ...(signal ? { signal } : {}) })
    for (const m of page.messages ?? []) ids.add(m.id)
    pageToken = page.nextPageToken ?? undefined
  } while (pageToken !== undefined)
  return ids
}

/** Gmail's largest `messages.list` page. */
const MAX_LIST_PAGE = 500

/**
 * The window's big messages, listed once per scan (ids only), so that search candidates are
 * fetched with a format and batch size their size allows.
 *
 * @example
 * ```ts
 * const hints = await sizeHints(client, { after: 1700000000 }, config.maxAttachmentMb)
 * hints.large.has(id) // fetched as a part tree
 * ```
 */
export async function sizeHints(client: GmailClient, window: SearchWindow, maxAttachmentMb: number, signal?: AbortSignal): Promise<SizeHints> {
  const queries = sizeQueries(window, maxAttachmentMb)
  const medium = await listAllIds(client, queries.medium, signal)
  const large = medium.size === 0 ? new Set<string>() : await listAllIds(client, queries.large, signal)
  return { medium, large }
}

/**
 * Lists a window of the mailbox page by page and captures it (a backfill, a catch-up after
 * history was lost, or a targeted backfill of identities new to the directory). Under the
 * `search` strategy the plan's queries list only the candidates Gmail's search finds for the
 * directory's identities, and each is read once, content first; under `headers` everything is
 * listed and each message's headers decide. The mailbox's historyId is read first and kept:
 * when the scan ends it becomes the incremental cursor, so whatever arrives during the scan is
 * picked up by history. Each page commits with the next query and page token, so a scan
 * resumes where a crash stopped it; the last page also marks the plan's terms captured. A
 * search scan ends with the recall guard. Returns `false` when stopped by the signal before
 * the end.
 */
export async function runScan(state: RunState, fresh: ScanPlan, options: ScanOptions = {}): Promise<boolean> {
  const { context, client } = state
  if (state.account.scan_kind === null) {
    const profile = await client.getProfile(state.signal ? { signal: state.signal } : {})
    const now = nowIso(context)
    state.account = await context.db
      .updateTable('email_accounts')
      .set({ ...planColumns(fresh), scan_history_id: profile.historyId, scan_started_at: now, updated_at: now })
      .where('id', '=', state.account.id)
      .where('lease_owner', '=', state.owner)
      .returningAll()
      .executeTakeFirstOrThrow()
  }
  const { plan } = storedPlan(state.account)
  state.kind = plan.kind
  state.strategy = plan.strategy
  state.hints = null

  // The next page is listed while this one is captured: the list call's round trip overlaps
  // the parsing and storing, and what is committed (the checkpoint) is unchanged.
  let ahead: { readonly key: string; readonly page: Promise<GmailMessageListPage> } | null = null
  const listPage = (q: string | undefined, pageToken: string | null): Promise<GmailMessageListPage> => {
    const key = `${q ?? ''}\n${pageToken ?? ''}`
    if (ahead !== null && ahead.key === key) return ahead.page
    if (q === undefined) return Promise.resolve({ messages: [], resultSizeEstimate: 0 })
    return client.listMessages({
      q,
      maxResults: context.config.backfillPageSize,
      ...(pageToken === null ? {} : { pageToken }),
      ...(state.signal ? { signal: state.signal } : {}),
    })
  }
  const listAhead = (q: string | undefined, pageToken: string | null): void => {
    if (q === undefined) return
    const page = listPage(q, pageToken)
    // A prefetch nobody reads (the run stopped) must not surface as an unhandled rejection.
    page.catch(() => undefined)
    ahead = { key: `${q}\n${pageToken ?? ''}`, page }
  }

  for (;;) {
    if (state.signal?.aborted === true) return false
    const { chunk } = storedPlan(state.account)
    const q = plan.queries[chunk]
    const pageToken = state.account.scan_page_token
    const page = await listPage(q, pageToken)
    ahead = null
    if (chunk === 0 && state.estimate === null && page.resultSizeEstimate !== undefined) state.estimate = page.resultSizeEstimate
    const next = page.nextPageToken ?? null
    const nextQuery = plan.queries[chunk + 1]
    const last = next === null && nextQuery === undefined
    const scanHistoryId = state.account.scan_history_id
    const scanStartedAt = state.account.scan_started_at
    const keep = options.keepCursor === true && state.account.history_id !== null
    const cursor =
      next !== null
        ? { scan_page_token: next }
        : nextQuery !== undefined
          ? { scan_chunk: chunk + 1, scan_query: nextQuery, scan_page_token: null }
          : {
              ...CLEARED_SCAN,
              history_checked_at: nowIso(context),
              ...(!keep && scanHistoryId !== null && historyAfter(scanHistoryId, state.account.history_id) ? { history_id: scanHistoryId } : {}),
              ...(plan.kind === 'backfill' ? { backfill_completed_at: nowIso(context) } : {}),
            }
    if (next !== null) listAhead(q, next)
    else if (nextQuery !== undefined) listAhead(nextQuery, null)
    const refs = page.messages ?? []
    const search = plan.strategy === 'search' && refs.length > 0
    if (search) state.hints ??= await sizeHints(client, plan.window, context.config.maxAttachmentMb, state.signal)
    const now = nowIso(context)
    // Mail stored before this targeted scan (under another identity, or from another mailbox)
    // gains the new identities' links before the scan is marked done.
    if (last && plan.kind === 'targeted') await relinkForTerms(context.db, state, plan.terms, now)
    await capturePage(state, refs, cursor, {
      ...(search && state.hints !== null ? { candidates: { ids: new Set(refs.map((r) => r.id)), hints: state.hints } } : {}),
      ...(last
        ? { onCommit: (trx) => markTermsCaptured(trx, state.account.id, plan.terms, now) }
        : {}),
    })
    if (last) {
      state.scanHistoryId = scanHistoryId
      if (plan.strategy === 'search' && plan.terms.length > 0) await runRecallGuard(state, plan.window, scanStartedAt)
      return true
    }
  }
}
