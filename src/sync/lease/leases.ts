import type { Kysely, Selectable } from 'kysely'
import type { EmailAccountsTable, EmailDatabase } from '../../db/database.js'
import { holderDiedHere, thisProcess } from './owner.js'
import type { LeaseSession } from './session.js'
import type { LeaseHolder } from '../types.js'

/**
 * How long a lease holds without renewal. A run renews it every third of this (see
 * `lease-keeper.ts`) and with every page it commits, so a live owner keeps it however long a
 * page takes. A dead owner's lease is taken over at once when its death is known (its process
 * gone from this host, or its PostgreSQL session gone); otherwise, when it ran on another
 * host, after this long.
 */
export const LEASE_TTL_MS = 2 * 60_000

/**
 * The shortest lease TTL accepted: renewals every third of it must fit a database round trip
 * with room to spare.
 */
export const MIN_LEASE_TTL_MS = 300

/** Tries to take a contended lease this often before reporting it busy (each loss means its holder changed meanwhile). */
const ACQUIRE_ATTEMPTS = 3

type LeaseRow = Pick<
  Selectable<EmailAccountsTable>,
  'lease_owner' | 'lease_expires_at' | 'lease_host' | 'lease_pid' | 'lease_boot_id' | 'lease_session' | 'lease_acquired_at'
>

const LEASE_COLUMNS = ['lease_owner', 'lease_expires_at', 'lease_host', 'lease_pid', 'lease_boot_id', 'lease_session', 'lease_acquired_at'] as const

/** What taking a lease needs besides the account. */
export interface LeaseOptions {
  /** The taker's id (host, pid and a random part; one per integration object). */
  readonly owner: string
  readonly now: Date
  readonly ttlMs: number
  /** The taker's session key to record (`LeaseSession.enter()`), and the session strategy to check other holders with. */
  readonly sessionKey: string | null
  readonly sessions: LeaseSession
}

/** The outcome of {@link acquireLease}. */
export type LeaseAttempt =
  | {
      readonly taken: true
      /** The holder whose lease was taken over: expired, or known dead; `null` when the lease was free. */
      readonly previous: LeaseHolder | null
      /** Why the previous holder's lease was taken: `expired` or `dead`. */
      readonly reason: 'free' | 'expired' | 'dead'
    }
  | { readonly taken: false; readonly holder: LeaseHolder }

/**
 * A lease holder in words, for logs, reports and the command line: `pid 4242 on crm-1 since
 * 2026-06-01T07:00:00.000Z, lease until 2026-06-01T07:02:00.000Z`.
 *
 * @example
 * ```ts
 * console.log(`busy (held by ${describeHolder({ owner: 'crm-1:4242:9f2c', host: 'crm-1', pid: 4242, since: null, expiresAt: null })})`)
 * ```
 */
export function describeHolder(holder: Omit<LeaseHolder, 'description'>): string {
  const who = holder.pid !== null && holder.host !== null ? `pid ${holder.pid} on ${holder.host}` : holder.owner
  const since = holder.since === null ? '' : ` since ${holder.since}`
  const until = holder.expiresAt === null ? '' : `, lease until ${holder.expiresAt}`
  return `${who}${since}${until}`
}

function holderOf(row: LeaseRow): LeaseHolder {
  const holder = { owner: row.lease_owner ?? '', host: row.lease_host, pid: row.lease_pid, since: row.lease_acquired_at, expiresAt: row.lease_expires_at }
  return { ...holder, description: describeHolder(holder) }
}

async function isDead(row: LeaseRow, sessions: LeaseSession): Promise<boolean> {
  if (holderDiedHere({ host: row.lease_host, pid: row.lease_pid, bootId: row.lease_boot_id })) return true
  return row.lease_session !== null && (await sessions.isGone(row.lease_session))
}

/**
 * Takes the sync lease of an account if nobody holds it, its holder's lease expired, or its
 * holder is known dead (see `holderDiedHere` and `LeaseSession`). Each take is one conditional
 * UPDATE on the lease as it was read (compare and set), so two processes can never both win, on
 * SQLite or PostgreSQL, and a holder that renews meanwhile keeps it. Not re-entrant: while
 * `owner` holds it (a run of this integration is under way), a second run is refused as well.
 *
 * @example
 * ```ts
 * const attempt = await acquireLease(db, account.id, { owner, now: new Date(), ttlMs: LEASE_TTL_MS, sessionKey: null, sessions })
 * if (!attempt.taken) console.log(`busy (held by ${attempt.holder.description})`)
 * ```
 */
export async function acquireLease(db: Kysely<EmailDatabase>, accountId: number, options: LeaseOptions): Promise<LeaseAttempt> {
  const { owner, now, ttlMs, sessionKey, sessions } = options
  const self = thisProcess()
  const lease = {
    lease_owner: owner,
    lease_expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    lease_host: self.host,
    lease_pid: self.pid,
    lease_boot_id: self.bootId,
    lease_session: sessionKey,
    lease_acquired_at: now.toISOString(),
  }
  let row = await db.selectFrom('email_accounts').select(LEASE_COLUMNS).where('id', '=', accountId).executeTakeFirstOrThrow()
  for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
    const expired = row.lease_expires_at === null || row.lease_expires_at < now.toISOString()
    const reason = row.lease_owner === null ? 'free' : expired ? 'expired' : row.lease_owner !== owner && (await isDead(row, sessions)) ? 'dead' : null
    if (reason === null) return { taken: false, holder: holderOf(row) }
    const observed = row
    const result = await db
      .updateTable('email_accounts')
      .set(lease)
      .where('id', '=', accountId)
      .where((eb) =>
        observed.lease_owner === null
          ? eb('lease_owner', 'is', null)
          : eb.and([
              eb('lease_owner', '=', observed.lease_owner),
              observed.lease_expires_at === null ? eb('lease_expires_at', 'is', null) : eb('lease_expires_at', '=', observed.lease_expires_at),
            ]),
      )
      .executeTakeFirst()
    if (result.numUpdatedRows > 0n) return { taken: true, previous: observed.lease_owner === null ? null : holderOf(observed), reason }
    // Someone else moved first (took it, renewed it or gave it back): decide again on what is there now.
    row = await db.selectFrom('email_accounts').select(LEASE_COLUMNS).where('id', '=', accountId).executeTakeFirstOrThrow()
  }
  return { taken: false, holder: holderOf(row) }
}

/**
 * Extends the lease while `owner` still holds it; `false` means it was lost (taken over), and
 * the caller must stop writing.
 *
 * @example
 * ```ts
 * if (!(await renewLease(db, account.id, owner, new Date(), LEASE_TTL_MS))) controller.abort()
 * ```
 */
export async function renewLease(db: Kysely<EmailDatabase>, accountId: number, owner: string, now: Date, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable('email_accounts')
    .set({ lease_expires_at: new Date(now.getTime() + ttlMs).toISOString() })
    .where('id', '=', accountId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Gives the lease back, if `owner` still holds it.
 *
 * @example
 * ```ts
 * await releaseLease(db, account.id, owner)
 * ```
 */
export async function releaseLease(db: Kysely<EmailDatabase>, accountId: number, owner: string): Promise<void> {
  await db
    .updateTable('email_accounts')
    .set({ lease_owner: null, lease_expires_at: null, lease_host: null, lease_pid: null, lease_boot_id: null, lease_session: null, lease_acquired_at: null })
    .where('id', '=', accountId)
    .where('lease_owner', '=', owner)
    .execute()
}

/**
 * The leases held now, by account address: unexpired ones, each with its holder and whether
 * the holder is known to be dead (its process gone from this host), for the status display.
 *
 * @example
 * ```ts
 * const busy = await heldLeases(db, new Date())
 * ```
 */
export async function heldLeases(db: Kysely<EmailDatabase>, now: Date): Promise<Map<string, LeaseHolder & { readonly dead: boolean }>> {
  const rows = await db
    .selectFrom('email_accounts')
    .select(['address', ...LEASE_COLUMNS])
    .where('lease_owner', 'is not', null)
    .where('lease_expires_at', '>=', now.toISOString())
    .execute()
  return new Map(
    rows.map((row) => [row.address, { ...holderOf(row), dead: holderDiedHere({ host: row.lease_host, pid: row.lease_pid, bootId: row.lease_boot_id }) }]),
  )
}
