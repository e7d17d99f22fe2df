/**
 * Who holds an account's sync lease, in enough detail to tell that the holder died without
 * waiting for the lease to expire (see `src/sync/lease/owner.ts`), and to say who is busy with
 * an account: the holder's host name, process id and the host's boot identity, the key of the
 * PostgreSQL session lock it holds while it syncs, and since when it holds the lease. All
 * nullable: a lease taken by an earlier version has none of them and simply expires. Frozen
 * once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

/** The new columns of `email_accounts`, in order; `down` drops them in reverse. */
const COLUMNS = [
  ['lease_host', 'text'],
  ['lease_pid', 'integer'],
  ['lease_boot_id', 'text'],
  ['lease_session', 'text'],
  ['lease_acquired_at', 'text'],
] as const

export async function up(db: Db): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type] of COLUMNS) await db.schema.alterTable('email_accounts').addColumn(name, type).execute()
}

export async function down(db: Db): Promise<void> {
  for (const [name] of [...COLUMNS].reverse()) await db.schema.alterTable('email_accounts').dropColumn(name).execute()
}
