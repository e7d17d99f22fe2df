/**
 * Erasure (SPEC §12): `email_suppressions`, the addresses whose mail later syncs never capture,
 * each kept only as a keyed hash (never the address itself), with when and by whom it was added;
 * and `email_blob_erasures`, the contents of erased attachments whose files are still to be
 * removed, queued in the transaction that erased them so that a crash before the files go
 * leaves a record the next erasure finishes. Frozen once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('email_suppressions')
    .addColumn('hash', 'text', (c) => c.primaryKey().notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text')
    .execute()
  await db.schema
    .createTable('email_blob_erasures')
    .addColumn('sha256', 'text', (c) => c.primaryKey().notNull())
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('email_blob_erasures').execute()
  await db.schema.dropTable('email_suppressions').execute()
}
