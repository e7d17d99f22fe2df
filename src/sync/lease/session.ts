import { randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../../db/database.js'
import type { DialectStrategy } from '../../db/dialect.js'
import { errorMessage } from '../../errors.js'
import type { Logger } from '../../hooks.js'

/**
 * Proof, in the database, that a lease holder's process is alive, wherever it runs. Chosen
 * once per integration by the dialect's `sessionLocks`:
 *
 * - PostgreSQL: while the process holds any sync lease it keeps ONE connection of the pool
 *   checked out, holding a session-level advisory lock on a random key that its leases record
 *   (`lease_session`). A process killed in any way drops its connection and the server frees
 *   the lock at once; another process, seeing the key free, knows the holder is dead. The lock
 *   lives on a connection checked out for the purpose, so the pool cannot hand it to other
 *   work, close it as idle or unlock it from another session, which is what makes this right
 *   under a connection pool; a recorded `pg_backend_pid()` is not, since the pool closes idle
 *   connections of a live process and gives its later queries other backends. The pool needs a
 *   connection to spare while the process syncs; a pool without one (a pool of one) gets no
 *   session, and its leases lapse by expiry as a remote holder's do. Behind a pooler in transaction mode (where a
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

/**
 * How long a new session lock waits for the pool to lend a second connection. A pool with no
 * connection to spare (a pool of one) would otherwise leave every sync query waiting behind the
 * connection that holds the lock; the sync then goes on without a session, as before it had one.
 */
export const SPARE_CONNECTION_WAIT_MS = 3_000

/** After the pool had no connection to spare, how long leases go without a session before trying again. */
export const SESSION_RETRY_AFTER_MS = 10 * 60_000

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

/**
 * Resolves once the pool lends a connection besides the pinned one; rejects after `waitMs`.
 * The query left waiting on a full pool runs harmlessly once the pinned connection is back.
 */
async function spareConnection(db: Kysely<EmailDatabase>, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the connection pool lent no second connection within ${String(waitMs)} ms; give it one connection more than the host needs`))
    }, waitMs)
  })
  try {
    await Promise.race([sql`select 1`.execute(db).then(() => undefined, () => undefined), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function pinSession(db: Kysely<EmailDatabase>, logger: Required<Logger>): Pin {
  const key = randomKey()
  let unpin: () => void = () => undefined
  const released = new Promise<void>((resolve) => (unpin = resolve))
  let held: () => void = () => undefined
  let refused: (error: unknown) => void = () => undefined
  const locked = new Promise<void>((resolve, reject) => {
    held = resolve
    refused = reject
  })
  // Ready once the lock is held AND the pool still has a connection for the sync's own queries.
  const ready = locked.then(
    () =>
      spareConnection(db, SPARE_CONNECTION_WAIT_MS).catch((error: unknown) => {
        unpin()
        logger.warn({ error: errorMessage(error) }, 'email sync lease session lock given up')
        throw error
      }),
  )
  // Awaited by `enter()`; an unawaited copy must not report an unhandled rejection.
  ready.catch(() => undefined)
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
      logger.warn({ error: errorMessage(error) }, 'email sync lease session lock failed')
    })
  return { key, ready, unpin, done }
}

function postgresSession(db: Kysely<EmailDatabase>, logger: Required<Logger>): LeaseSession {
  let leases = 0
  let pin: Pin | null = null
  /** Until when leases go without a session, since the pool had no connection to spare. */
  let withoutSessionUntil = 0
  return {
    async enter() {
      leases += 1
      if (pin === null && Date.now() < withoutSessionUntil) return null
      // A new pin takes a new key: the previous one may still be unlocking on its connection.
      pin ??= pinSession(db, logger)
      const entered = pin
      try {
        await entered.ready
        return entered.key
      } catch {
        // Logged by the pin. The lease is then recorded without a session and, held by a
        // process on another host, lapses by expiry. A pool with no connection to spare is
        // not asked again for a while, so each run does not wait for it anew.
        if (pin === entered) {
          pin = null
          withoutSessionUntil = Date.now() + SESSION_RETRY_AFTER_MS
        }
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
 * The lease session strategy for a database: a session lock where the dialect has them.
 *
 * @example
 * ```ts
 * const session = createLeaseSession(context.db, context.dialect, context.logger)
 * const key = await session.enter()
 * try { ... } finally { await session.leave() }
 * ```
 */
export function createLeaseSession(db: Kysely<EmailDatabase>, dialect: DialectStrategy, logger: Required<Logger>): LeaseSession {
  return dialect.sessionLocks ? postgresSession(db, logger) : noSession
}
