import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import { detectDialect } from './dialect.js'
import * as m0001 from '../../migrations/0001-email-tables.js'
import * as m0002 from '../../migrations/0002-oauth-states.js'
import * as m0003 from '../../migrations/0003-search.js'
import * as m0005 from '../../migrations/0005-failure-backoff.js'
import { EmailIntegrationError } from '../errors.js'

/**
 * The library's own migration bookkeeping tables, so that the host's migrations (Kysely's
 * default `kysely_migration`, or any other tool's) are never touched.
 */
export const MIGRATION_TABLE = 'email_migrations'
/** The lock table of {@link MIGRATION_TABLE}. */
export const MIGRATION_LOCK_TABLE = 'email_migrations_lock'

/**
 * Every migration, by name, in order. Bundled with the code (not read from disk) so that the
 * built package carries its schema with it.
 */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-email-tables': m0001,
  '0002-oauth-states': m0002,
  '0003-search': m0003,
  '0005-failure-backoff': m0005,
}

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
}

/** What a call to `migrate()` did. */
export interface MigrationReport {
  /** The migrations applied by this call, in order; empty when the schema was up to date. */
  readonly applied: readonly string[]
}

async function migrator(db: Kysely<unknown>): Promise<Migrator> {
  // On PostgreSQL, name the schema the tables go to (the connection's current one). Without it
  // Kysely checks whether its bookkeeping tables exist in ANY schema, and a copy in another
  // schema of the same database (another tenant, another test) makes it skip creating ours.
  const schema =
    detectDialect(db) === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined
  return new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  })
}

function failure(action: string, error: unknown, failed: readonly string[]): EmailIntegrationError {
  const which = failed.length > 0 ? ` (${failed.join(', ')})` : ''
  const reason = error instanceof Error ? error.message : String(error)
  return new EmailIntegrationError('migration_failed', `Email schema ${action} failed${which}: ${reason}`, {
    cause: error,
  })
}

/**
 * Applies every pending migration. Idempotent: a second call applies nothing.
 *
 * @example
 * ```ts
 * const { applied } = await migrateToLatest(db)
 * ```
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationReport> {
  const { error, results = [] } = await (await migrator(db)).migrateToLatest()
  if (error !== undefined) {
    throw failure('migration', error, results.filter((r) => r.status === 'Error').map((r) => r.migrationName))
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}

/**
 * Undoes every migration, then drops the bookkeeping tables: afterwards nothing the library
 * created is left, and nothing else is touched.
 *
 * @example
 * ```ts
 * await rollbackAll(db)
 * ```
 */
export async function rollbackAll(db: Kysely<unknown>): Promise<void> {
  const { error, results = [] } = await (await migrator(db)).migrateTo(NO_MIGRATIONS)
  if (error !== undefined) {
    throw failure('rollback', error, results.filter((r) => r.status === 'Error').map((r) => r.migrationName))
  }
  await db.schema.dropTable(MIGRATION_TABLE).ifExists().execute()
  await db.schema.dropTable(MIGRATION_LOCK_TABLE).ifExists().execute()
}
