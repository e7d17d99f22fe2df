/**
 * Sharing levels (SPEC §12): `email_accounts.sharing` is what teammates see of a mailbox's mail
 * (`everything`, `subject`, `metadata`; `null` follows `CRM_GMAIL_DEFAULT_SHARING`), and
 * `email_private_threads` lists the threads an owner marked private. Frozen once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('email_accounts').addColumn('sharing', 'text').execute()
  await db.schema
    .createTable('email_private_threads')
    .addColumn('thread_id', 'integer', (c) => c.primaryKey().references('email_threads.id').onDelete('cascade'))
    .addColumn('marked_by', 'text', (c) => c.notNull())
    .addColumn('marked_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('email_private_threads').execute()
  await db.schema.alterTable('email_accounts').dropColumn('sharing').execute()
}
