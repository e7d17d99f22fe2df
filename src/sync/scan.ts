import { nowIso } from '../context.js'
import { capturePage, historyAfter, type RunState } from './run-state.js'

/** A day, in seconds. */
const DAY_S = 86_400

/**
 * How far before the last good sync a catch-up scan starts. Gmail's `after:` has day
 * granularity in some forms and internal dates can lag; dedup absorbs the overlap.
 */
export const CATCHUP_OVERLAP_S = DAY_S

/** The messages.list query of a first backfill over the last `days` days (0: all mail). */
export function backfillQuery(now: Date, days: number): string {
  return days === 0 ? '' : `after:${Math.floor(now.getTime() / 1000) - days * DAY_S}`
}

/** The messages.list query of a catch-up from the last good sync, with overlap. */
export function catchupQuery(since: string | null, now: Date, backfillDays: number): string {
  if (since === null) return backfillQuery(now, backfillDays)
  return `after:${Math.floor(Date.parse(since) / 1000) - CATCHUP_OVERLAP_S}`
}

/**
 * Lists a window of the mailbox page by page and captures it (a backfill, or a catch-up after
 * history was lost). The mailbox's historyId is read first and kept: when the scan ends it
 * becomes the incremental cursor, so whatever arrives during the scan is picked up by history.
 * Each page commits with the next page token, so a scan resumes where a crash stopped it.
 * Returns `false` when stopped by the signal before the end.
 */
export async function runScan(
  state: RunState,
  kind: 'backfill' | 'catchup',
  query: string,
  options: { readonly keepCursor?: boolean } = {},
): Promise<boolean> {
  const { context, client } = state
  if (state.account.scan_kind === null) {
    const profile = await client.getProfile(state.signal ? { signal: state.signal } : {})
    const now = nowIso(context)
    state.account = await context.db
      .updateTable('email_accounts')
      .set({
        scan_kind: kind,
        scan_query: query,
        scan_page_token: null,
        scan_history_id: profile.historyId,
        scan_started_at: now,
        updated_at: now,
      })
      .where('id', '=', state.account.id)
      .where('lease_owner', '=', state.owner)
      .returningAll()
      .executeTakeFirstOrThrow()
  }
  state.kind = state.account.scan_kind ?? kind

  for (;;) {
    if (state.signal?.aborted === true) return false
    const pageToken = state.account.scan_page_token
    const page = await client.listMessages({
      q: state.account.scan_query ?? '',
      maxResults: context.config.backfillPageSize,
      ...(pageToken === null ? {} : { pageToken }),
      ...(state.signal ? { signal: state.signal } : {}),
    })
    if (state.estimate === null && page.resultSizeEstimate !== undefined) state.estimate = page.resultSizeEstimate
    const next = page.nextPageToken ?? null
    const scanHistoryId = state.account.scan_history_id
    // A catch-up for a stale (not expired) cursor keeps it, so that history can still bring the
    // gap's deletions and label changes, which a scan cannot see; see the engine.
    const keep = options.keepCursor === true && state.account.history_id !== null
    const cursor =
      next !== null
        ? { scan_page_token: next }
        : {
            scan_kind: null,
            scan_query: null,
            scan_page_token: null,
            scan_history_id: null,
            scan_started_at: null,
            history_checked_at: nowIso(context),
            ...(!keep && scanHistoryId !== null && historyAfter(scanHistoryId, state.account.history_id) ? { history_id: scanHistoryId } : {}),
            ...(state.kind === 'backfill' ? { backfill_completed_at: nowIso(context) } : {}),
          }
    await capturePage(state, page.messages ?? [], cursor)
    if (next === null) {
      state.scanHistoryId = scanHistoryId
      return true
    }
  }
}
