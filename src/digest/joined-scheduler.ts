import type { Scheduler } from '../scheduler/scheduler.js'
import type { DigestTimer } from './timer.js'

/**
 * The sync scheduler with the daily digest check riding along: `start()` starts both (the
 * digest timer only when `sendsDigest`, i.e. the integration is enabled and the host can
 * deliver a digest), `stop()` and `close()` stop both; `runNow()` and `state()` are the sync
 * scheduler's.
 *
 * @example
 * ```ts
 * const withDigest = joinDigestTimer(scheduler, digestTimer, config.enabled && deliverDigest !== undefined)
 * withDigest.start()
 * ```
 */
export function joinDigestTimer(scheduler: Scheduler, digestTimer: DigestTimer, sendsDigest: boolean): Scheduler {
  return Object.freeze({
    start() {
      scheduler.start()
      if (sendsDigest) digestTimer.start()
    },
    runNow: (account?: string) => scheduler.runNow(account),
    state: () => scheduler.state(),
    stop: async () => {
      await Promise.all([scheduler.stop(), digestTimer.stop()])
    },
    close: async () => {
      await Promise.all([scheduler.close(), digestTimer.stop()])
    },
  })
}
