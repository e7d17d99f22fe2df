import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely'

/** The SQL dialects the library's migrations and queries support. */
export type SqlDialect = 'sqlite' | 'postgres'

/**
 * Tells which dialect a host's Kysely instance speaks, from its adapter (dialects built on
 * Kysely's SQLite or PostgreSQL adapters, such as libSQL or PGlite, count as those).
 *
 * @example
 * ```ts
 * if (detectDialect(db) === 'postgres') { ... }
 * ```
 */
export function detectDialect(db: Kysely<unknown>): SqlDialect {
  const adapter = db.getExecutor().adapter
  if (adapter instanceof SqliteAdapter) return 'sqlite'
  if (adapter instanceof PostgresAdapter) return 'postgres'
  throw new TypeError(
    `crm-email-integration supports SQLite and PostgreSQL Kysely dialects; this one uses ${adapter.constructor.name}`,
  )
}
