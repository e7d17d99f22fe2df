import { randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { detectDialect } from '../db/dialect.js'
import type { Logger } from '../hooks.js'

/**
 * Proof, in the database, that a lease holder's process is alive, wherever it runs. Chosen
 * once per integration by dialect:
 *
 * - PostgreSQL: while the process holds any sync lease it keeps ONE connection of the pool
 *   checked out, holding a session-level advisory lock on a random key that its leases record
 *   (`lease_session`). A process killed in any way drops its connection and the server frees
 *   the lock at once; another process, seeing the key free, knows the holder is dead. The lock
 *   lives on a connection checked out for the purpose, so the pool cannot hand it to other
 *   work, close it as idle or unlock it from another session, which is what makes this right
 *   under a connection pool; a recorded `pg_backend_pid()` is not, since the pool closes idle
 *   connections of a live process and gives its later queries other backends. The pool needs a
 *   connection to spare while the process syncs. Behind a pooler in transaction mode (where a
 *   session lock does not stay with one client), or should the server drop the connection, the
 *   key can look free while the holder lives: another process then takes the lease, and the
 *   holder stops at its next renewal or commit, which check the lease row; no page is written
 *   twice either way.
 * - SQLite: one host, so the process id says it (see `lease-owner.ts`); no session.
 */
export interface LeaseSession {
  /**
   * Marks the start of a lease's life in this process and returns the key to record with it:
   * `null` on SQLite, or when the lock could not be taken (logged). The first one takes the
   * session lock. Every `enter()` is paired with one `leave()`.
   */
  enter(): Promise<string | null>
  /**
   * Marks the end of a lease's life; the last one gives the session lock and its connection
   * back, and resolves once they are.
   */
  leave(): Promise<void>
  /** Whether the holder of session key `key` is gone (its lock is free). Always `false` on SQLite. */
  isGone(key: string): Promise<boolean>
}

const noSession: LeaseSession = {
  enter: () => Promise.resolve(null),
  leave: () => Promise.resolve(),
  isGone: () => Promise.resolve(false),
}

/** A random positive 62-bit advisory lock key, as decimal text. */
function randomKey(): string {
  return (randomBytes(8).readBigUInt64BE() >> 2n).toString()
}

interface Pin {
  readonly key: string
  /** Resolves once the lock is held; rejects when it could not be taken. */
  readonly ready: Promise<void>
  /** Gives the lock and the connection back. */
  readonly unpin: () => void
  /** Resolves once the connection is back in the pool (or was never had). */
  readonly done: Promise<void>
}

function pinSession(db: Kysely<unknown>, logger: Required<Logger>): Pin {
  const key = randomKey()
  let unpin: () => void = () => undefined
  const released = new Promise<void>((resolve) => (unpin = resolve))
  let held: () => void = () => undefined
  let refused: (error: unknown) => void = () => undefined
  const ready = new Promise<void>((resolve, reject) => {
    held = resolve
    refused = reject
  })
  const done = db
    .connection()
    .execute(async (conn) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(cast(${key} as bigint)) as locked`.execute(conn)
      if (rows[0]?.locked !== true) throw new Error('the session lock key is taken (a random key collided); the next sync picks another')
      held()
      await released
      await sql`select pg_advisory_unlock(cast(${key} as bigint))`.execute(conn)
    })
    .catch((error: unknown) => {
      refused(error)
      logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'email sync lease session lock failed')
    })
  return { key, ready, unpin, done }
}

function postgresSession(db: Kysely<unknown>, logger: Required<Logger>): LeaseSession {
  let leases = 0
  let pin: Pin | null = null
  return {
    async enter() {
      leases += 1
      // A new pin takes a new key: the previous one may still be unlocking on its connection.
      pin ??= pinSession(db, logger)
      const entered = pin
      try {
        await entered.ready
        return entered.key
      } catch {
        // Logged by the pin. The lease is then recorded without a session and, held by a
        // process on another host, lapses by expiry; the next lease tries again.
        if (pin === entered) pin = null
        return null
      }
    },
    leave() {
      leases -= 1
      if (leases > 0 || pin === null) return Promise.resolve()
      const leaving = pin
      pin = null
      leaving.unpin()
      return leaving.done
    },
    async isGone(key) {
      // Try and give back in one statement: a session lock must be unlocked by the session that took it.
      const { rows } = await sql<{ free: boolean }>`
        select case when pg_try_advisory_lock(cast(${key} as bigint)) then pg_advisory_unlock(cast(${key} as bigint)) else false end as free`.execute(db)
      return rows[0]?.free === true
    },
  }
}

/**
 * The lease session strategy for a database.
 *
 * @example
 * ```ts
 * const session = createLeaseSession(db, logger)
 * const key = await session.enter()
 * try { ... } finally { await session.leave() }
 * ```
 */
export function createLeaseSession(db: Kysely<unknown>, logger: Required<Logger>): LeaseSession {
  return detectDialect(db) === 'postgres' ? postgresSession(db, logger) : noSession
}
