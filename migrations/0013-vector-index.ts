/**
 * The vector index (SPEC §9). `email_vector_index` records, per email, that its vectors are in a
 * store (`store`: the store's key), under which embedding model, in how many chunks, and
 * whether its filtering payload (identities, sharing) changed since (`payload_dirty`). It has no
 * foreign key: a row outliving its email (hidden, erased) is how the indexer knows which
 * vectors to delete from a store that is not this database. `email_vector_chunks` is the
 * embedded store: the vectors themselves, in the host's own database (little-endian float32).
 * Frozen once released.
 */
import { sql, type Kysely } from 'kysely'
import { detectDialect } from '../src/db/dialect.js'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('email_vector_index')
    .addColumn('email_id', 'integer', (c) => c.primaryKey())
    .addColumn('store', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('chunks', 'integer', (c) => c.notNull())
    .addColumn('payload_dirty', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('indexed_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('email_vector_index_store_idx').on('email_vector_index').columns(['store', 'model']).execute()
  const postgres = detectDialect(db) === 'postgres'
  await db.schema
    .createTable('email_vector_chunks')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('attachment_id', 'integer')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('vector', postgres ? sql`bytea` : 'blob', (c) => c.notNull())
    .addUniqueConstraint('email_vector_chunks_email_chunk', ['email_id', 'chunk'])
    .execute()
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('email_vector_chunks').execute()
  await db.schema.dropTable('email_vector_index').execute()
}
