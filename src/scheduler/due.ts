/**
 * A task the scheduler runs after its syncs, at most once per interval in this process
 * (housekeeping-like work: retention, clearing the attachment store).
 */

/**
 * Wraps `task` so that calling it runs the task unless this process started it less than
 * `intervalMs` ago (the first call after start always runs it, so a crash's leftovers are met
 * at the next sync) or `signal` is aborted. A failure is handed to `onError`, not thrown, and
 * the task is tried again at the next call.
 *
 * @example
 * ```ts
 * const runIfDue = atMostEvery(DAY_MS, (signal) => retention.run({ signal }), (error) => logger.error({ error: errorMessage(error) }, 'retention failed'))
 * await runIfDue(signal)
 * ```
 */
export function atMostEvery(
  intervalMs: number,
  task: (signal: AbortSignal) => Promise<unknown>,
  onError: (error: unknown) => void,
): (signal: AbortSignal) => Promise<void> {
  let lastStartedMs: number | null = null
  return async (signal) => {
    const nowMs = Date.now()
    if (signal.aborted || (lastStartedMs !== null && nowMs - lastStartedMs < intervalMs)) return
    lastStartedMs = nowMs
    try {
      await task(signal)
    } catch (error) {
      lastStartedMs = null
      onError(error)
    }
  }
}
