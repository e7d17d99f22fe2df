import type { SyncProgress, SyncReport } from '../types.js'

/** The narrowest bar worth drawing; below this the line shows the numbers only. */
export const MIN_BAR_WIDTH = 10

/** The terminal width assumed when the stream does not say (a pipe, an old terminal). */
export const DEFAULT_COLUMNS = 80

/** Moves to the start of the line and erases it (ANSI), so the bar is redrawn in place. */
export const CLEAR_LINE = '\r\x1b[2K'

/** The totals of several accounts syncing at once, as one bar shows them. */
export interface ProgressTotals {
  /** Accounts whose run ended, and how many the sync covers. */
  readonly accountsDone: number
  readonly accounts: number
  readonly listed: number
  /** The messages expected in all, when every running account has an estimate. */
  readonly total: number | null
  readonly captured: number
  readonly skipped: number
  readonly failed: number
  /** From 0 to 1, or `null` when no account has an estimate yet. */
  readonly fraction: number | null
  /** Seconds left, or `null` when unknown. */
  readonly eta: number | null
}

/** A duration for people: `45s`, `3m05s`, `2h07m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** `[#####.....]` of `width` characters in all. */
export function renderBar(fraction: number, width: number): string {
  const inner = Math.max(0, width - 2)
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * inner)
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`
}

/** The totals in words, or (`compact`) in the short words a narrow terminal has room for. */
function statsText(totals: ProgressTotals, compact: boolean): string {
  const listed = totals.total === null ? `${totals.listed}` : `${totals.listed}/${totals.total}`
  const eta = totals.eta === null ? '--' : formatDuration(totals.eta)
  const words = compact
    ? [`acc ${totals.accountsDone}/${totals.accounts}`, `list ${listed}`, `capt ${totals.captured}`, `skip ${totals.skipped}`, `fail ${totals.failed}`, `eta ${eta}`]
    : [
        `accounts ${totals.accountsDone}/${totals.accounts}`,
        `listed ${listed}`,
        `captured ${totals.captured}`,
        `skipped ${totals.skipped}`,
        `failed ${totals.failed}`,
        `eta ${eta}`,
      ]
  return words.join(compact ? ' ' : '  ')
}

/**
 * The one line a terminal shows while accounts sync: the bar and percentage when a fraction is
 * known, then the totals, in short words when the full ones leave no room for the bar; never
 * wider than `columns - 1` (a full-width line wraps on some terminals, and the next redraw
 * would then leave a stale line above it).
 */
export function renderProgressLine(totals: ProgressTotals, columns: number): string {
  const room = Math.max(1, columns - 1)
  const full = statsText(totals, false)
  const compact = statsText(totals, true)
  if (totals.fraction === null) return (full.length <= room ? full : compact).slice(0, room)
  const percent = `${String(Math.floor(totals.fraction * 100)).padStart(3)}%`
  for (const stats of [full, compact]) {
    const barWidth = room - stats.length - percent.length - 2
    if (barWidth >= MIN_BAR_WIDTH) return `${renderBar(totals.fraction, barWidth)} ${percent} ${stats}`
  }
  return `${percent} ${compact}`.slice(0, room)
}

/** One plain line about an account's progress, for logs and pipes. */
export function progressText(progress: SyncProgress): string {
  const listed = progress.total === null ? `${progress.listed}` : `${progress.listed}/${progress.total}`
  const eta = progress.eta === null ? '' : `, eta ${formatDuration(progress.eta)}`
  return (
    `${progress.account}: ${progress.kind} in progress, listed ${listed}, fetched ${progress.fetched}, ` +
    `captured ${progress.captured}, skipped ${progress.skipped}, failed ${progress.failed}${eta}`
  )
}

/** One plain line about an account's finished run. */
export function reportText(report: SyncReport): string {
  if (report.status === 'busy') return `${report.account}: busy (held by ${report.heldBy?.description ?? 'another process'})`
  const took = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000
  const duration = !Number.isFinite(took) ? '' : took < 10 ? `, ${took.toFixed(1)}s` : `, ${formatDuration(took)}`
  const error = report.error === undefined ? '' : `: ${report.error}`
  return (
    `${report.account}: ${report.kind} ${report.status}, listed ${report.listed}, fetched ${report.fetched}, ` +
    `captured ${report.captured}, skipped ${report.skipped}, failed ${report.failed}, ${report.unitsSpent} units${duration}${error}`
  )
}

/** The closing line of a sync over several accounts. */
export function summaryText(reports: readonly SyncReport[], seconds: number): string {
  if (reports.length === 0) return 'sync finished: no account was synced'
  const count = (status: SyncReport['status']) => reports.filter((r) => r.status === status).length
  const sum = (key: 'listed' | 'captured' | 'skipped' | 'failed') => reports.reduce((n, r) => n + r[key], 0)
  const noun = reports.length === 1 ? 'account' : 'accounts'
  const busy = count('busy') === 0 ? '' : `, ${count('busy')} busy`
  return (
    `sync finished: ${reports.length} ${noun} (${count('ok')} ok, ${count('partial')} partial, ${count('error')} error${busy}) ` +
    `in ${formatDuration(seconds)}, listed ${sum('listed')}, captured ${sum('captured')}, skipped ${sum('skipped')}, failed ${sum('failed')}`
  )
}
