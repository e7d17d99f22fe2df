import { errorMessage } from '../errors.js'
import type { Logger } from '../hooks.js'
import type { ScheduledDigestResult } from './api.js'

/**
 * How often the scheduler asks whether the daily digest is due. The digest goes out within
 * this long after `CRM_GMAIL_DIGEST_HOUR`; the check itself is one indexed read when it is not.
 */
export const DIGEST_CHECK_MS = 5 * 60_000

/** A periodic check for the scheduled digest, started and stopped with the sync scheduler. */
export interface DigestTimer {
  start(): void
  /** Stops checking and waits for a check in progress. */
  stop(): Promise<void>
}

/**
 * Calls `runScheduled` every {@link DIGEST_CHECK_MS} while started. Checks never overlap, and a
 * failed check is logged, never thrown: the next one tries again.
 */
export function createDigestTimer(options: {
  readonly runScheduled: () => Promise<ScheduledDigestResult>
  readonly logger: Required<Logger>
  readonly everyMs?: number
}): DigestTimer {
  const everyMs = options.everyMs ?? DIGEST_CHECK_MS
  let timer: ReturnType<typeof setTimeout> | null = null
  let running: Promise<void> | null = null
  let started = false

  const check = (): void => {
    timer = null
    running = options
      .runScheduled()
      .then((result) => {
        if (result.sent) options.logger.info({ period: result.period }, 'daily email digest sent')
        else if (result.reason === 'delivery failed') options.logger.error({ period: result.period, error: result.error }, 'daily email digest failed')
      })
      .catch((error: unknown) => {
        options.logger.error({ error: errorMessage(error) }, 'daily email digest check failed')
      })
      .finally(() => {
        running = null
        if (started) timer = setTimeout(check, everyMs)
      })
  }

  return {
    start() {
      if (started) return
      started = true
      timer = setTimeout(check, everyMs)
    },
    async stop() {
      started = false
      if (timer !== null) clearTimeout(timer)
      timer = null
      await running
    },
  }
}
