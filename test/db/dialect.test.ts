import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import * as esm from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createEmailIntegration } from '../../src/index.js'
import { DIALECTS, dialectOf, detectDialect } from '../../src/db/dialect.js'
import { PG_URL } from '../helpers/databases.js'

/**
 * The other copy of kysely: its CommonJS files, as a host gets them from `require('kysely')`
 * while the library (here, its sources) imports the ES modules. Their classes are distinct.
 */
const cjs = createRequire(import.meta.url)('kysely') as typeof esm

/** A Kysely instance of either copy, as the library's functions take it. */
const asHostDb = (db: esm.Kysely<never>) => db as unknown as esm.Kysely<unknown>

const sqliteOf = (kysely: typeof esm) => asHostDb(new kysely.Kysely<never>({ dialect: new kysely.SqliteDialect({ database: new Database(':memory:') }) }))
/** The adapter is made without connecting, so a pool that never connects will do. */
const postgresOf = (kysely: typeof esm) => asHostDb(new kysely.Kysely<never>({ dialect: new kysely.PostgresDialect({ pool: new pg.Pool() }) }))

/** A Kysely instance whose dialect hands out `adapter`, on SQLite's driver. */
function withAdapter(kysely: typeof esm, adapter: esm.DialectAdapter): esm.Kysely<unknown> {
  const sqlite = new kysely.SqliteDialect({ database: new Database(':memory:') })
  const dialect: esm.Dialect = {
    createAdapter: () => adapter,
    createDriver: () => sqlite.createDriver(),
    createQueryCompiler: () => sqlite.createQueryCompiler(),
    createIntrospector: (db) => sqlite.createIntrospector(db),
  }
  return asHostDb(new kysely.Kysely<never>({ dialect }))
}

describe('detectDialect', () => {
  it('is given two copies of kysely whose adapter classes differ', () => {
    expect(cjs.SqliteAdapter).not.toBe(esm.SqliteAdapter)
    expect(sqliteOf(cjs).getExecutor().adapter).not.toBeInstanceOf(esm.SqliteAdapter)
  })

  it("tells SQLite and PostgreSQL from either copy's adapters", () => {
    for (const kysely of [esm, cjs]) {
      expect(detectDialect(sqliteOf(kysely))).toBe('sqlite')
      expect(detectDialect(postgresOf(kysely))).toBe('postgres')
    }
  })

  it("counts dialects built on the other copy's adapters as those", () => {
    class LibsqlLikeAdapter extends cjs.SqliteAdapter {}
    class PgliteLikeAdapter extends cjs.PostgresAdapter {}
    expect(detectDialect(withAdapter(cjs, new LibsqlLikeAdapter()))).toBe('sqlite')
    expect(detectDialect(withAdapter(cjs, new PgliteLikeAdapter()))).toBe('postgres')
  })

  it('refuses other dialects, and a look-alike adapter without RETURNING, naming the adapter', () => {
    expect(() => detectDialect(withAdapter(cjs, new cjs.MysqlAdapter()))).toThrow(/SQLite and PostgreSQL .* uses MysqlAdapter/)
    expect(() => detectDialect(withAdapter(cjs, new cjs.MssqlAdapter()))).toThrow(/uses MssqlAdapter/)
    class SqliteAdapter extends cjs.MysqlAdapter {}
    expect(() => detectDialect(withAdapter(cjs, new SqliteAdapter()))).toThrow(/uses SqliteAdapter/)
  })
})

describe('dialectOf', () => {
  it("gives the detected dialect's strategy, whichever copy of kysely made the instance", () => {
    for (const kysely of [esm, cjs]) {
      expect(dialectOf(sqliteOf(kysely))).toBe(DIALECTS.sqlite)
      expect(dialectOf(postgresOf(kysely))).toBe(DIALECTS.postgres)
    }
  })

  it('names what differs: the keyword index, session locks, concurrent writers and the migration lock', () => {
    expect(DIALECTS.sqlite).toEqual({ name: 'sqlite', keywordIndex: 'fts5', sessionLocks: false, concurrentWriters: false, migrationLock: 'begin-immediate' })
    expect(DIALECTS.postgres).toEqual({ name: 'postgres', keywordIndex: 'tsvector', sessionLocks: true, concurrentWriters: true, migrationLock: 'advisory' })
    expect(Object.isFrozen(DIALECTS.sqlite) && Object.isFrozen(DIALECTS.postgres)).toBe(true)
  })
})

/** A host database opened through the CommonJS copy of kysely: a SQLite file, or a private PostgreSQL schema. */
async function openThroughCjs(dialect: 'sqlite' | 'postgres'): Promise<{ db: esm.Kysely<unknown>; schema?: string; close(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'email-dialect-'))
    const db = asHostDb(new cjs.Kysely<never>({ dialect: new cjs.SqliteDialect({ database: new Database(join(dir, 'crm.db')) }) }))
    return {
      db,
      async close() {
        await db.destroy()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const schema = `email_test_${randomBytes(6).toString('hex')}`
  const pool = new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${schema}`, max: 2 })
  await pool.query(`create schema ${schema}`)
  const db = asHostDb(new cjs.Kysely<never>({ dialect: new cjs.PostgresDialect({ pool }) }))
  return {
    db,
    schema,
    async close() {
      await cjs.sql`drop schema ${cjs.sql.id(schema)} cascade`.execute(db)
      await db.destroy()
    },
  }
}

describe.each([
  { dialect: 'sqlite' as const, enabled: true },
  { dialect: 'postgres' as const, enabled: PG_URL !== '' },
])('the integration on a host database of the CommonJS kysely [$dialect]', ({ dialect, enabled }) => {
  const opened: { close(): Promise<void> }[] = []
  afterAll(async () => {
    for (const handle of opened) await handle.close()
  })

  it.skipIf(!enabled)('migrates, enrolls, lists and rolls back', async () => {
    const handle = await openThroughCjs(dialect)
    opened.push(handle)
    const email = createEmailIntegration({ db: handle.db, config: { workspaceDomains: ['fund.example'] }, directory: () => Promise.resolve([]) })
    const migrated = await email.migrate()
    expect(migrated.applied.length).toBeGreaterThan(0)
    await email.accounts.enroll('ann@fund.example')
    expect((await email.accounts.list()).map((a) => a.address)).toEqual(['ann@fund.example'])
    expect((await email.threads.list()).items).toEqual([])
    await email.rollback()
    // On PostgreSQL the introspector lists every schema's tables; only the test's own count.
    const left = (await handle.db.introspection.getTables()).filter((t) => handle.schema === undefined || t.schema === handle.schema)
    expect(left).toEqual([])
    await email.close()
  })
})
