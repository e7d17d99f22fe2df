/**
 * Virtual time for quota tests: a clock and a sleep that advances it at once, so waits are
 * asserted on the clock, never on wall time (no timing-flaky thresholds).
 */
import type { Clock } from '../../src/hooks.js'
import type { Sleep } from '../../src/gmail/quota.js'

/** A clock that only moves when something sleeps on it (or `advance` is called). */
export interface FakeTime {
  readonly clock: Clock
  readonly sleep: Sleep
  /** Milliseconds since the fake epoch. */
  elapsed(): number
  advance(ms: number): void
  /** Every sleep requested, in ms. */
  readonly sleeps: number[]
}

/** Virtual time whose sleeps wait until the test lets them end. */
export interface ManualTime extends FakeTime {
  /** Sleeps requested and not yet let go. */
  pending(): number
  /** Ends every pending sleep, moving the clock on by each one's length. */
  release(): void
}

/** Creates virtual time starting at `start`. */
export function createFakeTime(start = '2026-06-01T07:00:00.000Z'): FakeTime {
  const origin = Date.parse(start)
  let now = origin
  const sleeps: number[] = []
  return {
    clock: { now: () => new Date(now) },
    sleep: async (ms) => {
      sleeps.push(ms)
      // Let everything already granted run first, so it observes the time it was granted at.
      await new Promise((resolve) => setImmediate(resolve))
      now += ms
    },
    elapsed: () => now - origin,
    advance: (ms) => {
      now += ms
    },
    sleeps,
  }
}

/** Creates virtual time whose sleeps only end when the test calls `release()`. */
export function createManualTime(start = '2026-06-01T07:00:00.000Z'): ManualTime {
  const base = createFakeTime(start)
  const waiting: { ms: number; resolve: () => void }[] = []
  return {
    ...base,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        base.sleeps.push(ms)
        const sleeper = { ms, resolve }
        waiting.push(sleeper)
        signal?.addEventListener('abort', () => {
          waiting.splice(waiting.indexOf(sleeper), 1)
          reject(signal.reason as Error)
        })
      }),
    pending: () => waiting.length,
    release: () => {
      for (const sleeper of waiting.splice(0)) {
        base.advance(sleeper.ms)
        sleeper.resolve()
      }
    },
  }
}
