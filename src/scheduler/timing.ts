import { ValidationError } from '../errors.js'
import type { Clock } from '../hooks.js'

/**
 * Each wait is the interval give or take this fraction (±10%): several processes or hosts on
 * one database, started together, drift apart instead of syncing in lockstep, where they would
 * contend for the same account leases and spend Gmail quota in the same seconds.
 */
export const JITTER_RATIO = 0.1

/**
 * The wait before the first run after `start()` (jittered like the interval): the host finishes
 * booting (listening, warming its caches) before a sync loads the database and Gmail, and
 * `start()` itself never does I/O.
 */
export const FIRST_RUN_DELAY_MS = 10_000

/** The longest wait Node's timers honour; a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647

const MINUTE_MS = 60_000

/**
 * Timer functions, injectable so tests drive time themselves. Handles are opaque: whatever
 * `setTimeout` returns is given back to `clearTimeout`.
 */
export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The global `setTimeout`/`clearTimeout`: the scheduler's timers unless a test injects its own. */
export const systemTimers: SchedulerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0])
  },
}

/**
 * The interval in milliseconds, checked once at creation: its longest jittered wait must fit in
 * a Node timer, which would otherwise fire at once and sync in a tight loop.
 */
export function intervalMsOf(intervalMin: number): number {
  const intervalMs = intervalMin * MINUTE_MS
  if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs * (1 + JITTER_RATIO) > MAX_TIMER_MS) {
    throw new ValidationError(
      `intervalMin: expected a positive number of minutes up to ${Math.floor(MAX_TIMER_MS / (1 + JITTER_RATIO) / MINUTE_MS)}, got ${String(intervalMin)}`,
    )
  }
  return intervalMs
}

/** `ms` give or take {@link JITTER_RATIO}; a random source outside [0, 1) is clamped. */
export function jitter(ms: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1)
  return Math.round(ms * (1 + JITTER_RATIO * (2 * r - 1)))
}

/** The scheduler's one pending run: when it is due, for the state, and how to call it off. */
export interface RunTimer {
  /** Replaces the pending run, if any, with one due in `ms`. */
  schedule(ms: number): void
  /** Calls the pending run off. */
  cancel(): void
  /** When the pending run is due; `null` when none is (never scheduled, cancelled, or fired). */
  nextRunAt(): string | null
}

/** A {@link RunTimer} over `timers` that calls `fire` when the pending run is due. */
export function createRunTimer(timers: SchedulerTimers, clock: Clock, fire: () => void): RunTimer {
  let handle: unknown = null
  let nextRunAt: string | null = null
  const cancel = (): void => {
    if (handle !== null) timers.clearTimeout(handle)
    handle = null
    nextRunAt = null
  }
  return {
    schedule(ms) {
      cancel()
      handle = timers.setTimeout(() => {
        handle = null
        nextRunAt = null
        fire()
      }, ms)
      nextRunAt = new Date(clock.now().getTime() + ms).toISOString()
    },
    cancel,
    nextRunAt: () => nextRunAt,
  }
}
