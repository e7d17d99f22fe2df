import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { UsageError } from './args.js'

/** The environment variable naming the database when `--db` is not given. */
export const DB_VARIABLE = 'CRM_GMAIL_DB'

/** An open database and how to close it. */
export interface OpenDatabase {
  readonly db: Kysely<unknown>
  /** What it is, for messages: the SQLite path, or the PostgreSQL URL without its password. */
  readonly label: string
  close(): Promise<void>
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Create a SQLite file (and its directory) that does not exist yet; only `migrate` does. */
  readonly create: boolean
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i

/** The `--db` value, or the variable's; neither is a usage error (no default, on purpose). */
export function databaseTarget(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const target = flag ?? env[DB_VARIABLE]
  if (target === undefined || target.trim() === '') {
    throw new UsageError(`no database: pass --db <file.sqlite | postgres://...> or set ${DB_VARIABLE}`)
  }
  return target.trim()
}

/** A PostgreSQL URL with its password replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://(unreadable URL)'
  }
}

/**
 * Opens the database: a `postgres://` URL through `pg`, anything else as a SQLite file through
 * `better-sqlite3`. Both are optional peer dependencies, imported only when needed; a missing
 * one is a {@link UsageError} that says what to install.
 */
export async function openDatabase(target: string, options: OpenDatabaseOptions): Promise<OpenDatabase> {
  return POSTGRES_URL.test(target) ? openPostgres(target) : openSqlite(target, options)
}

async function importOptional<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError(`this database needs the optional package ${name}: npm install ${name}`)
    }
    throw error
  }
}

async function openSqlite(path: string, options: OpenDatabaseOptions): Promise<OpenDatabase> {
  const file = resolve(path)
  if (!existsSync(file)) {
    // Anything but migrate on a missing file is a wrong path: opening it would create an empty database.
    if (!options.create) throw new UsageError(`database ${file} does not exist (run migrate first, or check --db / ${DB_VARIABLE})`)
    mkdirSync(dirname(file), { recursive: true })
  }
  const { default: Database } = await importOptional('better-sqlite3', () => import('better-sqlite3'))
  const database = new Database(file)
  // Per connection, as a host would set it: the schema's foreign keys are enforced.
  database.pragma('foreign_keys = ON')
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) })
  return { db, label: file, close: () => db.destroy() }
}

async function openPostgres(url: string): Promise<OpenDatabase> {
  const { default: pg } = await importOptional('pg', () => import('pg'))
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
  return { db, label: redactUrl(url), close: () => db.destroy() }
}
