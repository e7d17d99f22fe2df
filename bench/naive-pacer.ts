/**
 * The naive sync's client-side pacing: the simplest token bucket that keeps one client under
 * Gmail's per-user rate, so that the naive sync is measured at the quota and not penalised by
 * refusals and retries.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** Waits until `units` can be spent at `rateUnitsSec`, then spends them. */
export interface Pacer {
  take(units: number): Promise<void>
}

/**
 * Latency the pacer allows for, in seconds of quota. The client charges its bucket before a
 * request leaves and Gmail charges on arrival; when one request arrives faster than the one
 * before, Gmail's bucket has refilled for less time than the client's. A reserve of this much
 * keeps that jitter from turning into refusals without lowering the rate.
 */
const JITTER_RESERVE_S = 0.05

/**
 * A bucket that starts full with one second's worth, like Gmail's, and spends only what leaves
 * the reserve in place.
 */
export function createPacer(rateUnitsSec: number): Pacer {
  const reserve = rateUnitsSec * JITTER_RESERVE_S
  let tokens = rateUnitsSec
  let updatedAt = Date.now()
  const refill = (): void => {
    const now = Date.now()
    tokens = Math.min(rateUnitsSec, tokens + ((now - updatedAt) / 1000) * rateUnitsSec)
    updatedAt = now
  }
  return {
    async take(units) {
      refill()
      // A call dearer than a whole second's budget is sent from a full bucket, as Gmail allows.
      const needed = Math.min(units + reserve, rateUnitsSec)
      while (tokens < needed) {
        await sleep(Math.ceil(((needed - tokens) / rateUnitsSec) * 1000))
        refill()
      }
      tokens -= units
    },
  }
}
