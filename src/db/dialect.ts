import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely'

/** The SQL dialects the library's migrations and queries support. */
export type SqlDialect = 'sqlite' | 'postgres'

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
export function detectDialect(db: Kysely<unknown>): SqlDialect {
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
