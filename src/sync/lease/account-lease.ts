import type { IntegrationContext } from '../../context.js'
import { keepLease } from './keeper.js'
import type { LeaseSession } from './session.js'
import { acquireLease, releaseLease } from './leases.js'
import type { LeaseHolder } from '../types.js'

/** What holding an account's lease needs. */
export interface LeaseDependencies {
  readonly context: IntegrationContext
  /** This integration's id in leases and run rows. */
  readonly owner: string
  /** The lease TTL; renewed every third of it. */
  readonly leaseTtlMs: number
  /** The dialect's proof-of-life strategy (a PostgreSQL session lock, or none). */
  readonly sessions: LeaseSession
}

/** The outcome of {@link underLease}: the work's result, or who holds the lease. */
export type Leased<T> = { readonly taken: true; readonly value: T } | { readonly taken: false; readonly holder: LeaseHolder }

/**
 * Runs `work` holding the account's sync lease: takes it (from a dead or expired holder too,
 * logging whose it was), keeps it renewed while `work` runs and gives it back after. `work`
 * gets a signal that aborts, with a `ConflictError` as its reason, as soon as the lease is
 * found lost. Returns the holder instead when the lease is held by a live owner.
 *
 * @example
 * ```ts
 * const leased = await underLease(deps, account, (lost) => syncAccount(account, lost))
 * if (!leased.taken) console.log(`busy (held by ${leased.holder.description})`)
 * ```
 */
export async function underLease<T>(
  deps: LeaseDependencies,
  account: { readonly id: number; readonly address: string },
  work: (lost: AbortSignal) => Promise<T>,
): Promise<Leased<T>> {
  const { context, owner, leaseTtlMs, sessions } = deps
  // The session lock is held before any lease records its key, and given back after the last one is released.
  const sessionKey = await sessions.enter()
  try {
    const attempt = await acquireLease(context.db, account.id, { owner, now: context.clock.now(), ttlMs: leaseTtlMs, sessionKey, sessions })
    if (!attempt.taken) return attempt
    if (attempt.previous !== null) {
      const why = attempt.reason === 'dead' ? 'its holder died' : 'it expired'
      context.logger.info({ account: account.address, previous: attempt.previous.description }, `email sync lease taken over: ${why}`)
    }
    const keeper = keepLease({ context, accountId: account.id, address: account.address, owner, ttlMs: leaseTtlMs })
    try {
      return { taken: true, value: await work(keeper.signal) }
    } finally {
      keeper.stop()
      await releaseLease(context.db, account.id, owner)
    }
  } finally {
    await sessions.leave()
  }
}
