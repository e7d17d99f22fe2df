/**
 * Attachment text (SPEC §9): `email_attachment_texts` holds what was read out of each stored
 * attachment (one row per attachment once it was tried: the text, or why there is none), and
 * the SQLite keyword index gains an `attachments` column, so a word only an attached PDF holds
 * finds its email. FTS5 cannot add a column to a table, so it is rebuilt (in this migration's
 * transaction) with the same tokenizer; PostgreSQL's `tsvector`s take the attachment words under
 * their own weight label and need no change. Frozen once released.
 */
import { sql, type Kysely } from 'kysely'
import { detectDialect } from '../src/db/dialect.js'

type Db = Kysely<unknown>

/** The columns of the SQLite keyword index, in order, after this migration. */
const FTS5_COLUMNS = 'subject, participants, body, attachments'

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('email_attachment_texts')
    .addColumn('attachment_id', 'integer', (c) => c.primaryKey().references('email_attachments.id').onDelete('cascade'))
    .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('error', 'text')
    .addColumn('extracted_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('email_attachment_texts_email_idx').on('email_attachment_texts').column('email_id').execute()
  if (detectDialect(db) === 'sqlite') {
    // Rows are copied as they are (no attachment has text yet), so the rebuild reads no mail
    // but the index's own.
    await sql`create virtual table email_fts_next using fts5(${sql.raw(FTS5_COLUMNS)}, tokenize = 'unicode61 remove_diacritics 2')`.execute(db)
    await sql`insert into email_fts_next (rowid, subject, participants, body) select rowid, subject, participants, body from email_fts`.execute(db)
    await sql`drop table email_fts`.execute(db)
    await sql`alter table email_fts_next rename to email_fts`.execute(db)
  }
}

export async function down(db: Db): Promise<void> {
  if (detectDialect(db) === 'sqlite') {
    await sql`create virtual table email_fts_prev using fts5(subject, participants, body, tokenize = 'unicode61 remove_diacritics 2')`.execute(db)
    await sql`insert into email_fts_prev (rowid, subject, participants, body) select rowid, subject, participants, body from email_fts`.execute(db)
    await sql`drop table email_fts`.execute(db)
    await sql`alter table email_fts_prev rename to email_fts`.execute(db)
  }
  await db.schema.dropTable('email_attachment_texts').execute()
}
