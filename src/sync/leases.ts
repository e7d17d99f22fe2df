import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'

/**
 * How long a lease holds without renewal. A sync renews it after every page, so a live owner
 * keeps it; a crashed owner's lease lapses after this long and another process takes over.
 */
export const LEASE_TTL_MS = 2 * 60_000

/**
 * Takes the sync lease of an account for `owner` if nobody holds it or its holder's lease has
 * expired. One conditional UPDATE decides, so two processes on the same database can never both
 * win, on SQLite or PostgreSQL. Not re-entrant: while `owner` holds it (a run of this process
 * is under way), a second run of the same account in the same process is refused as well.
 */
export async function acquireLease(db: Kysely<EmailDatabase>, accountId: number, owner: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('email_accounts')
    .set({ lease_owner: owner, lease_expires_at: new Date(now.getTime() + LEASE_TTL_MS).toISOString() })
    .where('id', '=', accountId)
    .where((eb) =>
      eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now.toISOString())]),
    )
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Extends the lease while `owner` still holds it; `false` means it was lost (expired and
 * taken over), and the caller must stop writing.
 */
export async function renewLease(db: Kysely<EmailDatabase>, accountId: number, owner: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('email_accounts')
    .set({ lease_expires_at: new Date(now.getTime() + LEASE_TTL_MS).toISOString() })
    .where('id', '=', accountId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Gives the lease back, if `owner` still holds it. */
export async function releaseLease(db: Kysely<EmailDatabase>, accountId: number, owner: string): Promise<void> {
  await db
    .updateTable('email_accounts')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('id', '=', accountId)
    .where('lease_owner', '=', owner)
    .execute()
}
