import type { SyncProgress, SyncReport } from '../types.js'
import {
  CLEAR_LINE,
  DEFAULT_COLUMNS,
  progressText,
  renderProgressLine,
  reportText,
  summaryText,
  type ProgressTotals,
} from './format.js'

/** At most ten redraws a second: faster is invisible, and each redraw costs the terminal. */
export const REDRAW_INTERVAL_MS = 100

/** Without a terminal, at most one progress line per account this often, so logs stay readable. */
export const LINE_INTERVAL_MS = 5_000

/** Where progress goes: `process.stderr`, `process.stdout`, or any stream with `write`. */
export interface ProgressStream {
  write(chunk: string): unknown
  /** A terminal gets one bar redrawn in place; anything else gets plain lines. */
  readonly isTTY?: boolean
  /** The terminal's width. */
  readonly columns?: number
}

/** Options of {@link createTerminalProgress}. */
export interface TerminalProgressOptions {
  /** Where to write; `process.stderr` by default. */
  readonly stream?: ProgressStream
  /** Draw a bar (`true`) or plain lines (`false`); by default, whether `stream.isTTY`. */
  readonly tty?: boolean
  /** How many accounts the sync covers, for "accounts done/total"; by default the accounts seen so far. */
  readonly accounts?: number
  /** Milliseconds since some origin; `Date.now` by default (tests drive the throttling with it). */
  readonly now?: () => number
}

/**
 * A progress display for `email.sync.run` / `runAll`. Its members are plain functions, so they
 * can be passed on as they are.
 */
export interface TerminalProgress {
  /** Give it `onProgress` events: the bar aggregates every account (`SyncAllOptions.onProgress`). */
  readonly onProgress: (progress: SyncProgress) => void
  /** Give it each account's report as its run ends (`SyncAllOptions.onReport`): a line about that account. */
  readonly onReport: (report: SyncReport) => void
  /** Writes a line of text without breaking the bar (a warning, a log line). */
  readonly log: (line: string) => void
  /** Ends the display: clears the bar and prints a line per account not printed yet, then a summary. */
  readonly finish: (reports: readonly SyncReport[]) => void
}

interface AccountState {
  progress: SyncProgress | null
  /** When `progress` arrived (its `eta` counts from then). */
  at: number
  lastLineAt: number | null
  report: SyncReport | null
}

/**
 * Shows the progress of a sync on a terminal: one line redrawn in place (`\r`, cleared) with a
 * bar, accounts done out of total, messages listed, captured, skipped and failed, and the time
 * left, summed over the accounts syncing in parallel and redrawn at most ten times a second.
 * When the stream is not a terminal (a pipe, a log file, cron) it writes plain lines instead:
 * one per account at most every five seconds while it syncs, and one when its run ends.
 * `finish` prints a line per account and a summary.
 *
 * @example
 * ```ts
 * import { createTerminalProgress } from 'crm-email-integration'
 *
 * const progress = createTerminalProgress({ stream: process.stderr })
 * const reports = await email.sync.runAll({ onProgress: progress.onProgress, onReport: progress.onReport })
 * progress.finish(reports)
 * ```
 */
export function createTerminalProgress(options: TerminalProgressOptions = {}): TerminalProgress {
  const stream = options.stream ?? process.stderr
  const tty = options.tty ?? stream.isTTY === true
  const now = options.now ?? Date.now
  const started = now()
  const accounts = new Map<string, AccountState>()
  let lastDraw: number | null = null
  let drawn = false
  let timer: ReturnType<typeof setTimeout> | null = null
  let finished = false

  const stateOf = (account: string): AccountState => {
    let state = accounts.get(account)
    if (state === undefined) {
      state = { progress: null, at: now(), lastLineAt: null, report: null }
      accounts.set(account, state)
    }
    return state
  }

  const draw = (): void => {
    if (timer !== null) clearTimeout(timer)
    timer = null
    if (finished) return
    lastDraw = now()
    drawn = true
    stream.write(CLEAR_LINE + renderProgressLine(totalsOf([...accounts.values()], options.accounts ?? 0, lastDraw, started), stream.columns ?? DEFAULT_COLUMNS))
  }

  const requestDraw = (): void => {
    const at = now()
    if (lastDraw === null || at - lastDraw >= REDRAW_INTERVAL_MS) {
      draw()
    } else if (timer === null) {
      // Throttled: the latest state is drawn when the interval is over, unless an event comes after it.
      timer = setTimeout(draw, REDRAW_INTERVAL_MS - (at - lastDraw))
      timer.unref()
    }
  }

  const writeLine = (line: string): void => {
    if (tty && drawn) stream.write(CLEAR_LINE)
    stream.write(`${line}\n`)
    if (tty && drawn && !finished) draw()
  }

  return {
    onProgress(progress) {
      if (finished) return
      const state = stateOf(progress.account)
      state.progress = progress
      state.at = now()
      if (tty) {
        requestDraw()
      } else if (state.lastLineAt === null || state.at - state.lastLineAt >= LINE_INTERVAL_MS) {
        state.lastLineAt = state.at
        stream.write(`${progressText(progress)}\n`)
      }
    },
    onReport(report) {
      if (finished) return
      const state = stateOf(report.account)
      if (state.report !== null) return
      state.report = report
      writeLine(reportText(report))
    },
    log(line) {
      writeLine(line)
    },
    finish(reports) {
      if (finished) return
      if (timer !== null) clearTimeout(timer)
      timer = null
      if (tty && drawn) stream.write(CLEAR_LINE)
      finished = true
      for (const report of reports) {
        if ((accounts.get(report.account)?.report ?? null) !== null) continue
        stateOf(report.account).report = report
        stream.write(`${reportText(report)}\n`)
      }
      stream.write(`${summaryText(reports, (now() - started) / 1000)}\n`)
    },
  }
}

/** The totals the bar shows, summed over the accounts seen; `expected` accounts when more than seen. */
function totalsOf(states: readonly AccountState[], expected: number, at: number, started: number): ProgressTotals {
  let listed = 0
  let captured = 0
  let skipped = 0
  let failed = 0
  let total: number | null = states.length === 0 ? null : 0
  let fractions = 0
  let estimated = false
  let eta: number | null = null
  for (const state of states) {
    const counts = state.report ?? state.progress
    listed += counts?.listed ?? 0
    captured += counts?.captured ?? 0
    skipped += counts?.skipped ?? 0
    failed += counts?.failed ?? 0
    if (state.report !== null) {
      fractions += 1
      estimated = true
      if (total !== null) total += state.report.listed
      continue
    }
    const progress = state.progress
    const expectedTotal = progress?.total ?? null
    if (progress !== null && expectedTotal !== null && expectedTotal > 0) {
      fractions += Math.min(1, progress.listed / expectedTotal)
      estimated = true
      if (total !== null) total += expectedTotal
    } else total = null
    // Parallel runs end with the slowest; each ETA counts down from its event.
    const left = progress?.eta ?? null
    if (left !== null) eta = Math.max(eta ?? 0, left - (at - state.at) / 1000)
  }
  const accounts = Math.max(expected, states.length)
  const done = states.filter((s) => s.report !== null).length
  const fraction = estimated && accounts > 0 ? fractions / accounts : null
  // Accounts still waiting for their turn (runAll syncs a few at a time) are not in the running
  // accounts' ETAs: the whole run's pace so far says more about them.
  const elapsed = (at - started) / 1000
  if (states.length < accounts && fraction !== null && fraction > 0 && elapsed > 0) {
    eta = Math.max(eta ?? 0, (elapsed * (1 - fraction)) / fraction)
  }
  return {
    accountsDone: done,
    accounts,
    listed,
    total,
    captured,
    skipped,
    failed,
    fraction,
    eta: eta === null ? null : Math.max(0, eta),
  }
}
