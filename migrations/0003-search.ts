/**
 * The keyword search index (SPEC §9), `email_fts`: an FTS5 virtual table on SQLite, a table
 * of weighted `tsvector`s with a GIN index on PostgreSQL. Its rows are written by
 * `src/db/search-index.ts`; this migration creates it and indexes the mail already stored.
 * Frozen once released.
 */
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../src/db/database.js'
import { detectDialect } from '../src/db/dialect.js'
import { reindexAll } from '../src/db/search-index.js'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  if (detectDialect(db) === 'postgres') {
    await db.schema
      .createTable('email_fts')
      .addColumn('email_id', 'integer', (c) => c.primaryKey().references('emails.id').onDelete('cascade'))
      .addColumn('document', sql`tsvector`, (c) => c.notNull())
      .execute()
    await sql`create index email_fts_document_idx on email_fts using gin (document)`.execute(db)
  } else {
    // unicode61 splits on what is not a letter, mark or digit (as the query side does) and
    // folds case and diacritics, so `Café` finds `cafe`.
    await sql`create virtual table email_fts using fts5(subject, participants, body, tokenize = 'unicode61 remove_diacritics 2')`.execute(db)
  }
  await reindexAll(db as Kysely<EmailDatabase>, undefined, { attachments: false })
}

export async function down(db: Db): Promise<void> {
  // On SQLite this drops FTS5's shadow tables too.
  await db.schema.dropTable('email_fts').ifExists().execute()
}
