/**
 * A host process that migrates one database and nothing else, for the migration crash test
 * (`buildSyncChild('migrate-child')` bundles it). It prints `ready` once connected, right
 * before `migrate()` starts, and `migrated <ms> <statements>` when it returns. `MIGRATE_CHILD`
 * names the database as JSON (`{ "sqlite": path }` or `{ "postgres": { "url", "schema" } }`)
 * and, with `killAfter`, makes the process SIGKILL itself as soon as that many statements of
 * the migration have run: a kill at an exact point, between any two statements.
 */
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { createEmailIntegration } from '../../src/index.js'

/** Which database a child migrates, and where it dies. */
export interface MigrateTarget {
  readonly sqlite?: string
  readonly postgres?: { readonly url: string; readonly schema: string }
  readonly killAfter?: number
}

const target = JSON.parse(process.env.MIGRATE_CHILD ?? '{}') as MigrateTarget
let statements = -1

/** Kysely's query log calls it after each statement (a failed one too). */
function onQuery(): void {
  if (statements < 0) return
  statements += 1
  if (statements === target.killAfter) process.kill(process.pid, 'SIGKILL')
}

function open(): Kysely<Record<string, never>> {
  if (target.sqlite !== undefined) {
    const database = new Database(target.sqlite)
    database.pragma('foreign_keys = ON')
    return new Kysely({ dialect: new SqliteDialect({ database }), log: onQuery })
  }
  if (target.postgres === undefined) throw new Error('MIGRATE_CHILD names no database')
  const pool = new pg.Pool({ connectionString: target.postgres.url, options: `-c search_path=${target.postgres.schema}`, max: 2 })
  return new Kysely({ dialect: new PostgresDialect({ pool }), log: onQuery })
}

const db = open()
const email = createEmailIntegration({ db, config: {}, directory: () => Promise.resolve([]) })
// Connected before `ready`, so that the parent's delays fall inside the migration itself.
await sql`select 1`.execute(db)
statements = 0
process.stdout.write('ready\n')
const started = performance.now()
await email.migrate()
process.stdout.write(`migrated ${Math.round(performance.now() - started)} ${statements}\n`)
await email.close()
await db.destroy()
