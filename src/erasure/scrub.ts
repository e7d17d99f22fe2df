/**
 * Leaving no byte of erased mail in the database files. Deleting a row does not remove its
 * bytes: SQLite leaves them in free pages and free space within pages, and in the write-ahead
 * log; FTS5 keeps a deleted row's terms in its index segments until they merge; PostgreSQL
 * keeps dead tuples until a vacuum. A purge runs its erasure inside {@link scrubErasedBytes}.
 */
import { sql, type Kysely } from 'kysely'
import type { IntegrationContext } from '../context.js'
import type { EmailDatabase } from '../db/database.js'
import { errorMessage } from '../errors.js'
import { SEARCH_INDEX_TABLE } from '../db/search-index.js'

/** The tables an erasure deletes from: what PostgreSQL vacuums afterwards. */
const ERASED_TABLES = [
  'emails',
  'email_copies',
  'email_participants',
  'email_identity_links',
  'email_references',
  'email_attachments',
  'email_threads',
  'email_thread_keys',
  'email_blobs',
  'email_sync_failures',
  'email_account_terms',
  'email_accounts',
  SEARCH_INDEX_TABLE,
] as const

/**
 * Runs an erasure so that its deleted bytes do not stay in the database files. On SQLite:
 * `secure_delete` is on for the erasure (deleted content is overwritten with zeros), the FTS5
 * index deletes terms in place (its `secure-delete` option, kept on once set) and is then
 * merged into one segment, the database is vacuumed (rebuilt without free space), and the
 * write-ahead log is checkpointed and truncated. On
 * PostgreSQL the touched tables are vacuumed afterwards, so dead tuples' space is reclaimed; a
 * vacuum refused (a role without the right) is logged, not thrown: the rows are gone either way.
 *
 * @example
 * ```ts
 * const counts = await scrubErasedBytes(context, () => eraseEmails(context, blobs, ids))
 * ```
 */
export async function scrubErasedBytes<T>(context: IntegrationContext, erase: () => Promise<T>): Promise<T> {
  const { db, dialect } = context
  if (dialect.name === 'postgres') {
    const result = await erase()
    try {
      await sql`vacuum ${sql.join(ERASED_TABLES.map((table) => sql.table(table)))}`.execute(db)
    } catch (error) {
      context.logger.warn({ error: errorMessage(error) }, 'email purge: vacuum refused; the deleted rows stay in dead tuples until autovacuum')
    }
    return result
  }
  const previous = await secureDelete(db)
  await sql`pragma secure_delete = on`.execute(db)
  try {
    await sql`insert into ${sql.table(SEARCH_INDEX_TABLE)} (${sql.ref(SEARCH_INDEX_TABLE)}, rank) values ('secure-delete', 1)`.execute(db)
    const result = await erase()
    await sql`insert into ${sql.table(SEARCH_INDEX_TABLE)} (${sql.ref(SEARCH_INDEX_TABLE)}) values ('optimize')`.execute(db)
    await vacuum(context)
    return result
  } finally {
    await sql`pragma ${sql.raw(`secure_delete = ${previous}`)}`.execute(db)
    await checkpoint(context)
  }
}

/**
 * Rebuilds the SQLite database from its live content. `secure_delete` zeroes what the erasure
 * frees, but not what earlier updates freed before it: a row's old versions (an account's scan
 * queries name every directory address) linger in free space within pages until the page is
 * rebuilt. It rewrites the whole file (time and, briefly, disk in proportion to its size), which
 * a purge, rare and irreversible, affords. A vacuum that cannot run (another connection is
 * writing) is logged, not thrown: the erased rows are zeroed either way.
 */
async function vacuum(context: IntegrationContext): Promise<void> {
  try {
    await sql`vacuum`.execute(context.db)
  } catch (error) {
    context.logger.warn({ error: errorMessage(error) }, 'email purge: vacuum failed; space freed before the purge may keep old bytes until the next vacuum')
  }
}

/** The connection's `secure_delete` setting (0, 1 or 2 for `fast`). */
async function secureDelete(db: Kysely<EmailDatabase>): Promise<number> {
  const { rows } = await sql<{ secure_delete: unknown }>`pragma secure_delete`.execute(db)
  const value = Number(rows[0]?.secure_delete ?? 0)
  return value === 1 || value === 2 ? value : 0
}

/**
 * Copies the write-ahead log into the database file and truncates it to nothing, so the frames
 * that held the erased rows (and their zeroed pages) are gone from it. A reader still holding
 * an old snapshot keeps the log from being truncated; that is logged (in rollback-journal mode
 * the checkpoint does nothing).
 */
async function checkpoint(context: IntegrationContext): Promise<void> {
  const { rows } = await sql<{ busy: unknown }>`pragma wal_checkpoint(truncate)`.execute(context.db)
  if (Number(rows[0]?.busy ?? 0) !== 0) {
    context.logger.warn({}, 'email purge: the write-ahead log could not be truncated while another connection reads; the next checkpoint clears it')
  }
}
