import { sql, type Kysely, type Migration } from 'kysely'
import { dialectOf, type DialectStrategy } from './dialect.js'
import * as m0001 from '../../migrations/0001-email-tables.js'
import * as m0002 from '../../migrations/0002-oauth-states.js'
import * as m0003 from '../../migrations/0003-search.js'
import * as m0004 from '../../migrations/0004-lease-owner.js'
import * as m0005 from '../../migrations/0005-failure-backoff.js'
import * as m0006 from '../../migrations/0006-search-capture.js'
import * as m0007 from '../../migrations/0007-audit-log.js'
import * as m0008 from '../../migrations/0008-account-pause.js'
import * as m0009 from '../../migrations/0009-sharing.js'
import * as m0010 from '../../migrations/0010-erasure.js'
import * as m0011 from '../../migrations/0011-account-removal.js'
import * as m0012 from '../../migrations/0012-attachment-text.js'
import * as m0013 from '../../migrations/0013-vector-index.js'
import { EmailIntegrationError, errorMessage } from '../errors.js'

/**
 * The library's own migration bookkeeping table, so that the host's migrations (Kysely's
 * default `kysely_migration`, or any other tool's) are never touched. Its shape is the one
 * Kysely's `Migrator` gives its table (`name`, `timestamp`), which earlier versions of the
 * library used: a database they migrated carries on from where it stands.
 */
export const MIGRATION_TABLE = 'email_migrations'
/**
 * The lock table earlier versions made next to {@link MIGRATION_TABLE}. Migrations now lock
 * with the transaction they run in; `rollbackAll` still drops it.
 */
export const MIGRATION_LOCK_TABLE = 'email_migrations_lock'

/**
 * Every migration, by name, in order. Bundled with the code (not read from disk) so that the
 * built package carries its schema with it.
 */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-email-tables': m0001,
  '0002-oauth-states': m0002,
  '0003-search': m0003,
  '0004-lease-owner': m0004,
  '0005-failure-backoff': m0005,
  '0006-search-capture': m0006,
  '0007-audit-log': m0007,
  '0008-account-pause': m0008,
  '0009-sharing': m0009,
  '0010-erasure': m0010,
  '0011-account-removal': m0011,
  '0012-attachment-text': m0012,
  '0013-vector-index': m0013,
}

/**
 * The first key of the PostgreSQL advisory lock that makes concurrent `migrate()` calls on one
 * schema take turns (the second key is a hash of the schema's name). Any constant works; this
 * one spells "emig".
 */
const PG_MIGRATION_LOCK_KEY = 0x656d6967

/** What a call to `migrate()` did. */
export interface MigrationReport {
  /** The migrations applied by this call, in order; empty when the schema was up to date. */
  readonly applied: readonly string[]
}

/**
 * Runs `work` in ONE transaction that holds the schema's migration lock, so that a process
 * killed at any instant leaves the schema and its bookkeeping as they were before, or as they
 * are after. Kysely's `Migrator` cannot give that on SQLite: Kysely's SQLite adapter declares
 * no transactional DDL, so the Migrator runs each migration and its bookkeeping row as separate
 * statements, and a process killed between them leaves tables the next run tries to create
 * again. SQLite's DDL is transactional, so the library runs its migrations itself.
 *
 * - SQLite: `begin immediate` takes the write lock first, so two processes migrating one file
 *   take turns instead of both reading the old state and one failing to upgrade its lock.
 * - PostgreSQL: a transaction-scoped advisory lock per schema, released by the commit, by the
 *   rollback, or by the server when the connection of a killed process drops.
 */
async function inMigrationTransaction<T>(
  db: Kysely<unknown>,
  dialect: DialectStrategy,
  work: (trx: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  if (dialect.migrationLock === 'advisory') {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${PG_MIGRATION_LOCK_KEY}, hashtext(current_schema()))`.execute(trx)
      return work(trx)
    })
  }
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn)
    let result: T
    try {
      result = await work(conn)
    } catch (error) {
      // SQLite may already have rolled back (a full disk, a busy timeout); the cause is `error`.
      await sql`rollback`.execute(conn).catch(() => undefined)
      throw error
    }
    await sql`commit`.execute(conn)
    return result
  })
}

/** Creates the bookkeeping table when missing: inside the migration transaction, so never half-made. */
async function appliedMigrations(trx: Kysely<unknown>): Promise<string[]> {
  await trx.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute()
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(trx)
  const names = rows.map((r) => r.name)
  const unknown = names.filter((name) => !(name in MIGRATIONS))
  if (unknown.length > 0) {
    throw new Error(`the database holds migrations this version does not know (${unknown.join(', ')}): it was migrated by a newer version of crm-email-integration`)
  }
  return names
}

function failure(action: string, error: unknown, failed: string | null): EmailIntegrationError {
  const which = failed === null ? '' : ` (${failed})`
  return new EmailIntegrationError('migration_failed', `Email schema ${action} failed${which}: ${errorMessage(error)}`, {
    cause: error,
  })
}

/**
 * Applies every pending migration, all in one transaction: either all of them and their
 * bookkeeping are committed, or none (a failure, or the process killed at any instant), and
 * the next call starts again from the same place. Idempotent: a second call applies nothing.
 * Concurrent calls, in this process or others, take turns. `dialect` is the integration's;
 * without it (a database opened alone), it is detected.
 *
 * @example
 * ```ts
 * const { applied } = await migrateToLatest(db, context.dialect)
 * ```
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: DialectStrategy = dialectOf(db)): Promise<MigrationReport> {
  let current: string | null = null
  try {
    return await inMigrationTransaction(db, dialect, async (trx) => {
      const done = new Set(await appliedMigrations(trx))
      const pending = Object.keys(MIGRATIONS).filter((name) => !done.has(name))
      for (const name of pending) {
        current = name
        await MIGRATIONS[name]?.up(trx)
        await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(trx)
      }
      current = null
      return { applied: pending }
    })
  } catch (error) {
    throw failure('migration', error, current)
  }
}

/**
 * Undoes every migration, then drops the bookkeeping tables, in one transaction: afterwards
 * nothing the library created is left, and nothing else is touched. `dialect` as for
 * {@link migrateToLatest}.
 *
 * @example
 * ```ts
 * await rollbackAll(db, context.dialect)
 * ```
 */
export async function rollbackAll(db: Kysely<unknown>, dialect: DialectStrategy = dialectOf(db)): Promise<void> {
  let current: string | null = null
  try {
    await inMigrationTransaction(db, dialect, async (trx) => {
      for (const name of (await appliedMigrations(trx)).reverse()) {
        current = name
        await MIGRATIONS[name]?.down?.(trx)
      }
      current = null
      await trx.schema.dropTable(MIGRATION_TABLE).ifExists().execute()
      await trx.schema.dropTable(MIGRATION_LOCK_TABLE).ifExists().execute()
    })
  } catch (error) {
    throw failure('rollback', error, current)
  }
}
