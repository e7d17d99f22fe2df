/**
 * Failed messages get a kind and a schedule. A `permanent` failure (the message itself is at
 * fault: too deep, too large, unparseable) is never fetched again by a scheduled run, only by
 * an explicit retry; a `transient` one (Gmail or the network was unavailable) waits until
 * `next_attempt_at`, later after each failure. Rows from before this migration are transient and
 * due at once: their next attempt classifies them. Frozen once released.
 */
import { sql, type Kysely } from 'kysely'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  await db.schema
    .alterTable('email_sync_failures')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('transient'))
    .execute()
  await db.schema.alterTable('email_sync_failures').addColumn('next_attempt_at', 'text').execute()
  await sql`update email_sync_failures set next_attempt_at = last_failed_at`.execute(db)
  // A run asks for its account's failures that are due, oldest first.
  await db.schema
    .createIndex('email_sync_failures_due_idx')
    .on('email_sync_failures')
    .columns(['account_id', 'next_attempt_at'])
    .execute()
}

export async function down(db: Db): Promise<void> {
  // SQLite drops no column that an index still names.
  await db.schema.dropIndex('email_sync_failures_due_idx').ifExists().execute()
  await db.schema.alterTable('email_sync_failures').dropColumn('next_attempt_at').execute()
  await db.schema.alterTable('email_sync_failures').dropColumn('kind').execute()
}
