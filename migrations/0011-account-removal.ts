/**
 * Removing an account (SPEC §12): `removal_requested_at` marks an account whose removal was
 * asked for and has not finished (the scheduler never syncs it again, and the next
 * `accounts.remove` or the scheduler finishes the job after a crash); `removal_requested_by`
 * keeps who asked, for the audit entry the finishing call writes. Frozen once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

/** The new columns of `email_accounts`, in order; `down` drops them in reverse. */
const COLUMNS = ['removal_requested_at', 'removal_requested_by'] as const

export async function up(db: Db): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const name of COLUMNS) await db.schema.alterTable('email_accounts').addColumn(name, 'text').execute()
}

export async function down(db: Db): Promise<void> {
  for (const name of [...COLUMNS].reverse()) await db.schema.alterTable('email_accounts').dropColumn(name).execute()
}
