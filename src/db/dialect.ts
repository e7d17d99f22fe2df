import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely'

/** The SQL dialects the library's migrations and queries support. */
export type SqlDialect = 'sqlite' | 'postgres'

/**
 * What the library's SQL needs to know about a dialect, as named capabilities rather than a
 * name to compare: chosen once per integration (`context.dialect`) from {@link detectDialect},
 * as Kysely chooses its `Dialect` once.
 */
export interface DialectStrategy {
  /** The dialect, for messages and logs. */
  readonly name: SqlDialect
  /**
   * The form of the keyword search index `email_fts`: an FTS5 virtual table keyed by `rowid`
   * (SQLite), or a table of weighted `tsvector`s keyed by `email_id` (PostgreSQL).
   */
  readonly keywordIndex: 'fts5' | 'tsvector'
  /**
   * Whether a connection can hold a session-level advisory lock that the server frees when the
   * connection drops (PostgreSQL): how a lease holder on another host shows it is alive.
   */
  readonly sessionLocks: boolean
  /**
   * Whether transactions write concurrently (PostgreSQL), so writers that must see each other
   * take a transaction-scoped advisory lock; SQLite has one writer at a time.
   */
  readonly concurrentWriters: boolean
  /**
   * How a migration holds the schema: a transaction-scoped advisory lock per schema
   * (PostgreSQL), or `begin immediate`, which takes SQLite's write lock first.
   */
  readonly migrationLock: 'advisory' | 'begin-immediate'
}

/** The strategy of each supported dialect. */
export const DIALECTS: Readonly<Record<SqlDialect, DialectStrategy>> = Object.freeze({
  sqlite: Object.freeze({ name: 'sqlite', keywordIndex: 'fts5', sessionLocks: false, concurrentWriters: false, migrationLock: 'begin-immediate' }),
  postgres: Object.freeze({ name: 'postgres', keywordIndex: 'tsvector', sessionLocks: true, concurrentWriters: true, migrationLock: 'advisory' }),
})

/**
 * Kysely's adapter class of each dialect, by its exported name. A host may load kysely through
 * the other module system than the library's build does (an ESM host that `require`s it, a
 * CommonJS host of the ESM build), and then its adapter is an instance of the other copy's
 * class: the name along the prototype chain still tells.
 */
const ADAPTER_NAMES: Readonly<Record<string, SqlDialect>> = { SqliteAdapter: 'sqlite', PostgresAdapter: 'postgres' }

/** The dialect whose Kysely adapter class `adapter` is, or extends, by class name. */
function dialectByName(adapter: object): SqlDialect | null {
  for (let proto: unknown = Object.getPrototypeOf(adapter); typeof proto === 'object' && proto !== null; proto = Object.getPrototypeOf(proto)) {
    const ctor: unknown = (proto as { constructor?: unknown }).constructor
    const name = typeof ctor === 'function' ? ctor.name : ''
    if (Object.hasOwn(ADAPTER_NAMES, name)) return ADAPTER_NAMES[name] ?? null
  }
  return null
}

/**
 * Tells which dialect a host's Kysely instance speaks, from its adapter (dialects built on
 * Kysely's SQLite or PostgreSQL adapters, such as libSQL or PGlite, count as those), whichever
 * copy of kysely the host loaded. An adapter of another copy's class, recognised by its class
 * name, must also claim `RETURNING`, which the library's queries rely on.
 *
 * @example
 * ```ts
 * if (detectDialect(db) === 'postgres') { ... }
 * ```
 */
export function detectDialect<DB>(db: Kysely<DB>): SqlDialect {
  const adapter = db.getExecutor().adapter
  let dialect: SqlDialect | null = null
  // The library's own copy of kysely first: exact, and immune to a bundler renaming classes.
  if (adapter instanceof SqliteAdapter) dialect = 'sqlite'
  else if (adapter instanceof PostgresAdapter) dialect = 'postgres'
  else if (adapter.supportsReturning) dialect = dialectByName(adapter)
  if (dialect !== null) return dialect
  throw new TypeError(
    `crm-email-integration supports SQLite and PostgreSQL Kysely dialects; this one uses ${adapter.constructor.name}`,
  )
}

/**
 * The strategy of the dialect a Kysely instance speaks ({@link detectDialect}). The composition
 * root calls it once; code given a bare database without a context (a migration, the CLI)
 * calls it for itself.
 *
 * @example
 * ```ts
 * const dialect = dialectOf(db)
 * if (dialect.sessionLocks) { ... }
 * ```
 */
export function dialectOf<DB>(db: Kysely<DB>): DialectStrategy {
  return DIALECTS[detectDialect(db)]
}
