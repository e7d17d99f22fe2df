import type { IntegrationContext } from '../../context.js'
import { ConflictError, errorMessage } from '../../errors.js'
import { renewLease } from './leases.js'

/** A held lease kept alive while its run works. */
export interface LeaseKeeper {
  /** Aborted, with a `ConflictError` as its reason, the moment the lease is found lost. */
  readonly signal: AbortSignal
  /** Stops renewing (the run is over; the caller releases the lease). */
  stop(): void
}

/** What keeping one lease needs. */
export interface KeepLeaseOptions {
  readonly context: Pick<IntegrationContext, 'db' | 'clock' | 'logger'>
  readonly accountId: number
  readonly address: string
  readonly owner: string
  readonly ttlMs: number
}

/** How many renewals fit in one TTL: a renewal that fails (the database busy a moment) leaves two more chances. */
const RENEWALS_PER_TTL = 3

/**
 * The error a run stops with when its lease was taken over.
 *
 * @example
 * ```ts
 * throw leaseLost('ann@fund.example')
 * ```
 */
export function leaseLost(address: string): ConflictError {
  return new ConflictError(`lost the sync lease of ${address} to another process`)
}

/**
 * Renews a lease every third of its TTL on a timer, so that a page slower than the TTL (a large
 * page at Gmail's 2026 costs, a slow network) keeps it; pages commit with a renewal too. When a
 * renewal finds the lease taken over, `signal` aborts at once: the page in progress stops
 * (Gmail calls and waits take the signal) and commits nothing, since its commit checks the
 * lease as well. A renewal that fails is logged and tried again at the next tick. The timer
 * does not keep the process alive.
 *
 * @example
 * ```ts
 * const keeper = keepLease({ context, accountId: account.id, address: account.address, owner, ttlMs: LEASE_TTL_MS })
 * try { await run(keeper.signal) } finally { keeper.stop() }
 * ```
 */
export function keepLease(options: KeepLeaseOptions): LeaseKeeper {
  const { context, accountId, address, owner, ttlMs } = options
  const controller = new AbortController()
  let renewing = false
  let stopped = false
  const renew = async (): Promise<void> => {
    if (renewing || controller.signal.aborted) return
    renewing = true
    try {
      const held = await renewLease(context.db, accountId, owner, context.clock.now(), ttlMs)
      if (!held && !stopped) {
        context.logger.warn({ account: address }, 'email sync lease lost; stopping the run')
        controller.abort(leaseLost(address))
      }
    } catch (error) {
      context.logger.warn({ account: address, error: errorMessage(error) }, 'email sync lease renewal failed; trying again')
    } finally {
      renewing = false
    }
  }
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / RENEWALS_PER_TTL)))
  timer.unref()
  return {
    signal: controller.signal,
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
}
