import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql, type Generated } from 'kysely'
import pg from 'pg'
import { describe } from 'vitest'

/** A table of the host CRM, to prove the library leaves it alone. */
export interface HostDatabase {
  crm_investors: { id: Generated<number>; name: string }
}

/** A real database for one test: a SQLite file, or a private schema on the PostgreSQL server. */
export interface TestDatabase {
  readonly dialect: 'sqlite' | 'postgres'
  readonly db: Kysely<HostDatabase>
  /** The PostgreSQL schema the test owns (`null` on SQLite). */
  readonly schema: string | null
  close(): Promise<void>
}

/** The PostgreSQL server the suite also runs against, when set. */
export const PG_URL = process.env.EMAIL_TEST_PG_URL ?? ''

/** Opens a fresh SQLite database in a file of its own (foreign keys on, as a host would). */
export function openSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'email-test-'))
  const database = new Database(join(dir, 'crm.db'))
  database.pragma('journal_mode = WAL')
  database.pragma('foreign_keys = ON')
  const db = new Kysely<HostDatabase>({ dialect: new SqliteDialect({ database }) })
  return Promise.resolve({
    dialect: 'sqlite',
    db,
    schema: null,
    async close() {
      await db.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  })
}

/** Opens a connection pool whose search path is a new, private schema; dropped on close. */
export async function openPostgres(url = PG_URL): Promise<TestDatabase> {
  const schema = `email_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 4 })
  const db = new Kysely<HostDatabase>({ dialect: new PostgresDialect({ pool }) })
  return {
    dialect: 'postgres',
    db,
    schema,
    async close() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db)
      await db.destroy()
    },
  }
}

/** Creates the host's own table with a row, as a CRM that already runs would have. */
export async function createHostTable(db: Kysely<HostDatabase>): Promise<void> {
  await db.schema
    .createTable('crm_investors')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .execute()
  await db.insertInto('crm_investors').values([{ id: 1, name: 'Acme Ventures' }, { id: 2, name: 'Beta Capital' }]).execute()
}

/** The dialects a suite runs on: SQLite always, PostgreSQL when EMAIL_TEST_PG_URL is set. */
export const DIALECTS = [
  { name: 'sqlite', open: openSqlite, enabled: true },
  { name: 'postgres', open: openPostgres, enabled: PG_URL !== '' },
] as const

let warned = false

/**
 * Runs `suite` once per dialect. Without EMAIL_TEST_PG_URL the PostgreSQL run is skipped,
 * and says so, rather than silently passing.
 */
export function describeEachDialect(title: string, suite: (open: () => Promise<TestDatabase>) => void): void {
  for (const dialect of DIALECTS) {
    if (!dialect.enabled) {
      if (!warned) {
        warned = true
        console.warn('EMAIL_TEST_PG_URL is not set: the PostgreSQL suites are skipped')
      }
      describe.skip(`${title} [${dialect.name}: skipped, set EMAIL_TEST_PG_URL to run]`, () => {
        suite(dialect.open)
      })
      continue
    }
    describe(`${title} [${dialect.name}]`, () => {
      suite(dialect.open)
    })
  }
}
