import { DisabledError, EmailIntegrationError, errorMessage } from '../errors.js'
import { SYSTEM_CLOCK, type Clock, type Logger } from '../hooks.js'
import { toLogSink } from '../logger.js'
import {
  createRunTimer,
  FIRST_RUN_DELAY_MS,
  intervalMsOf,
  JITTER_RATIO,
  jitter,
  systemTimers,
  type SchedulerTimers,
} from './timing.js'
import type { SyncReport } from '../sync/types.js'

/** Re-exported: the timing a scheduler is built with belongs to its API. */
export { FIRST_RUN_DELAY_MS, JITTER_RATIO, jitter, type SchedulerTimers }

/** What {@link createScheduler} drives; `createEmailIntegration` passes its own sync and attachment worker. */
export interface SchedulerOptions {
  /** Syncs every account; the scheduled runs and `runNow()` call it. */
  readonly runAll: (options: { readonly signal: AbortSignal }) => Promise<SyncReport[]>
  /** Syncs one account; `runNow(account)` calls it. */
  readonly run: (options: { readonly account: string; readonly signal: AbortSignal }) => Promise<SyncReport>
  /** Runs after each sync run, stopped or not started by the same signal (the attachment download worker). */
  readonly afterSync?: (signal: AbortSignal) => Promise<unknown>
  /** `config.enabled`: a disabled scheduler never runs anything. */
  readonly enabled: boolean
  /** `config.syncIntervalMin`: minutes from the end of one run to the start of the next. */
  readonly intervalMin: number
  readonly logger?: Logger
  /** Timestamps of the state; the system clock by default. */
  readonly clock?: Clock
  /** A number in [0, 1) for the jitter; `Math.random` by default. */
  readonly random?: () => number
  /** The global `setTimeout`/`clearTimeout` by default. */
  readonly timers?: SchedulerTimers
}

/** What `runNow()` did, at once, so a route can answer before the run ends. */
export interface RunNowResult {
  /** `false` when a run was already in progress: `reports` is then that run's. */
  readonly started: boolean
  /** The account the returned run syncs; `null` for all accounts. */
  readonly account: string | null
  /**
   * The run's reports once it (and the attachment worker after it) ended; rejects with the
   * run's error. Already handled, so leaving it unawaited never raises an unhandled rejection.
   */
  readonly reports: Promise<SyncReport[]>
}

/** The scheduler's state, for the status route. Timestamps are ISO-8601 UTC. */
export interface SchedulerState {
  readonly enabled: boolean
  /** Whether `start()` is in effect (runs are being scheduled). */
  readonly scheduled: boolean
  readonly intervalMin: number
  /** Whether a run (scheduled or `runNow`) is in progress. */
  readonly running: boolean
  /** When the run in progress started; `null` when idle. */
  readonly startedAt: string | null
  /** When the last finished run started. */
  readonly lastRunAt: string | null
  /** When the last finished run ended. */
  readonly lastFinishedAt: string | null
  /** When the next scheduled run is due; `null` when none is (stopped, disabled, or running). */
  readonly nextRunAt: string | null
  /** The reports of the last run that returned any (each account's own error is in its report). */
  readonly lastReports: readonly SyncReport[]
  /** Why the last run failed as a whole, or its attachment downloads did; `null` when it did not. */
  readonly lastError: string | null
}

/** Runs the sync in the background, one run at a time. */
export interface Scheduler {
  /**
   * Schedules a sync of every account every `intervalMin` minutes (±{@link JITTER_RATIO}),
   * the first after about {@link FIRST_RUN_DELAY_MS}. Runs never overlap: the next one is
   * scheduled when the current one ends. Does nothing but log (once) when the integration is
   * disabled; idempotent; throws a `closed` error after `close()`.
   *
   * @example
   * ```ts
   * email.scheduler.start()
   * ```
   */
  start(): void
  /**
   * Starts a run at once, of one account or of all, unless one is in progress; then it
   * returns that run (`started: false`) instead of queueing another. Throws `DisabledError`
   * when the integration is disabled and a `closed` error after `close()`.
   *
   * @example
   * ```ts
   * const { started, reports } = email.scheduler.runNow('ann@fund.example')
   * if (started) console.log((await reports)[0]?.captured)
   * ```
   */
  runNow(account?: string): RunNowResult
  /**
   * The current state, for the status route.
   *
   * @example
   * ```ts
   * const { running, nextRunAt, lastError } = email.scheduler.state()
   * ```
   */
  state(): SchedulerState
  /**
   * Stops scheduling, aborts the run in progress (the sync stops after its current page, the
   * database consistent) and resolves when it ended. Idempotent; `start()` may follow.
   *
   * @example
   * ```ts
   * await email.scheduler.stop()
   * ```
   */
  stop(): Promise<void>
  /**
   * Like `stop()`, for good: later `start()` and `runNow()` calls throw a `closed` error.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void email.scheduler.close())
   * ```
   */
  close(): Promise<void>
}

interface ActiveRun {
  readonly account: string | null
  readonly controller: AbortController
  readonly startedAt: string
  readonly reports: Promise<SyncReport[]>
  /** Resolves when the run ended, never rejects. */
  readonly ended: Promise<void>
}

type Outcome = { readonly ok: true; readonly reports: SyncReport[] } | { readonly ok: false; readonly error: unknown }

function noop(): void {
  // a rejection already recorded in the state and the log
}

/**
 * Creates the background sync scheduler. `createEmailIntegration` builds one as
 * `email.scheduler`; build your own only to drive another sync.
 *
 * Decisions: the interval runs from the end of one run to the start of the next, so a run
 * longer than the interval is never overlapped; a timer that fires while a `runNow()` run is in
 * progress is skipped (the next one is scheduled when that run ends). The attachment worker
 * runs after every run that was not stopped, even one that failed, since earlier captures may
 * have left downloads pending. Errors are logged and kept in the state, never thrown from a
 * timer.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({
 *   runAll: (o) => email.sync.runAll(o),
 *   run: (o) => email.sync.run(o),
 *   enabled: config.enabled,
 *   intervalMin: config.syncIntervalMin,
 * })
 * scheduler.start()
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const intervalMs = intervalMsOf(options.intervalMin)
  const clock = options.clock ?? SYSTEM_CLOCK
  const random = options.random ?? Math.random
  const timers = options.timers ?? systemTimers
  const log = toLogSink(options.logger)
  const now = (): string => clock.now().toISOString()

  let scheduled = false
  let closed = false
  let toldDisabled = false
  let active: ActiveRun | null = null
  let lastRunAt: string | null = null
  let lastFinishedAt: string | null = null
  let lastReports: readonly SyncReport[] = []
  let lastError: string | null = null

  const timer = createRunTimer(timers, clock, tick)

  function tick(): void {
    if (!scheduled) return
    if (active !== null) {
      log.debug({ account: active.account }, 'email sync skipped: a run is in progress')
      return
    }
    begin(null)
  }

  const afterSync = async (signal: AbortSignal): Promise<string | null> => {
    if (options.afterSync === undefined || signal.aborted) return null
    try {
      await options.afterSync(signal)
      return null
    } catch (error) {
      log.error({ error: errorMessage(error) }, 'email attachment downloads failed')
      return `attachment downloads: ${errorMessage(error)}`
    }
  }

  const finish = (run: { startedAt: string; account: string | null }, outcome: Outcome, afterError: string | null): void => {
    active = null
    lastRunAt = run.startedAt
    lastFinishedAt = now()
    if (outcome.ok) {
      lastReports = Object.freeze([...outcome.reports])
      lastError = afterError
      const sum = (key: 'captured' | 'failed'): number => outcome.reports.reduce((n, r) => n + r[key], 0)
      log.info({
        account: run.account,
        accounts: outcome.reports.length,
        captured: sum('captured'),
        failed: sum('failed'),
        errors: outcome.reports.filter((r) => r.status === 'error').length,
        busy: outcome.reports.filter((r) => r.status === 'busy').length,
      }, 'email sync run finished')
    } else {
      lastError = errorMessage(outcome.error)
      log.error({ account: run.account, error: lastError }, 'email sync run failed')
    }
    if (scheduled) timer.schedule(jitter(intervalMs, random))
  }

  const execute = async (run: { startedAt: string; account: string | null }, signal: AbortSignal): Promise<SyncReport[]> => {
    let outcome: Outcome
    try {
      const account = run.account
      outcome = { ok: true, reports: account === null ? await options.runAll({ signal }) : [await options.run({ account, signal })] }
    } catch (error) {
      outcome = { ok: false, error }
    }
    // The state is updated before `reports` settles, so a caller awaiting it sees the run ended.
    finish(run, outcome, await afterSync(signal))
    if (!outcome.ok) throw outcome.error
    return outcome.reports
  }

  function begin(account: string | null): ActiveRun {
    const controller = new AbortController()
    const startedAt = now()
    log.info({ account }, 'email sync run started')
    // `execute` awaits before it calls `finish`, so `active` is set before it is cleared.
    const reports = execute({ startedAt, account }, controller.signal)
    reports.catch(noop)
    const run: ActiveRun = { account, controller, startedAt, reports, ended: reports.then(noop, noop) }
    active = run
    return run
  }

  const refuseClosed = (): void => {
    if (closed) throw new EmailIntegrationError('closed', 'This email scheduler was closed')
  }

  const stop = (): Promise<void> => {
    scheduled = false
    timer.cancel()
    if (active === null) return Promise.resolve()
    if (!active.controller.signal.aborted) {
      log.info({}, 'email scheduler stopping; waiting for the current page')
      active.controller.abort()
    }
    return active.ended
  }

  return Object.freeze({
    start() {
      refuseClosed()
      if (!options.enabled) {
        if (!toldDisabled) log.info({}, 'email scheduler not started: the integration is disabled')
        toldDisabled = true
        return
      }
      if (scheduled) return
      scheduled = true
      log.info({ intervalMin: options.intervalMin }, 'email scheduler started')
      // With a run in progress, its end schedules the next one.
      if (active === null) timer.schedule(jitter(FIRST_RUN_DELAY_MS, random))
    },
    runNow(account?: string): RunNowResult {
      refuseClosed()
      if (!options.enabled) throw new DisabledError()
      if (active !== null) return { started: false, account: active.account, reports: active.reports }
      const run = begin(account ?? null)
      return { started: true, account: run.account, reports: run.reports }
    },
    state(): SchedulerState {
      return Object.freeze({
        enabled: options.enabled,
        scheduled,
        intervalMin: options.intervalMin,
        running: active !== null,
        startedAt: active?.startedAt ?? null,
        lastRunAt,
        lastFinishedAt,
        nextRunAt: timer.nextRunAt(),
        lastReports,
        lastError,
      })
    },
    stop,
    close() {
      closed = true
      return stop()
    },
  })
}
