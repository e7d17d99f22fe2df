/**
 * Pausing an account: a paused account (`status = 'paused'`) keeps its mail and tokens but is
 * not synced. `paused_at` says since when; `paused_status` and `paused_reason` keep the status
 * and reason it had before, so that resuming puts it back (`needs_attention` stays so; an OAuth
 * account whose owner consented meanwhile becomes `active`). Frozen once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

/** The new columns of `email_accounts`, in order; `down` drops them in reverse. */
const COLUMNS = ['paused_at', 'paused_status', 'paused_reason'] as const

export async function up(db: Db): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const name of COLUMNS) await db.schema.alterTable('email_accounts').addColumn(name, 'text').execute()
}

export async function down(db: Db): Promise<void> {
  for (const name of [...COLUMNS].reverse()) await db.schema.alterTable('email_accounts').dropColumn(name).execute()
}
