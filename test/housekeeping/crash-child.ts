/**
 * A host process that runs `email.housekeeping.run()` once, for the housekeeping crash test
 * (`buildSyncChild('../housekeeping/crash-child')` bundles it). It prints `ready` before the run
 * and `done <report JSON>` after. `HOUSEKEEPING_CHILD` names the database and the attachment
 * folder as JSON and, with `killAfter`, makes the process SIGKILL itself as soon as that many
 * statements of the run have executed.
 */
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { createEmailIntegration } from '../../src/index.js'

/** What a child cleans and where it dies. */
export interface HousekeepingTarget {
  readonly sqlite?: string
  readonly postgres?: { readonly url: string; readonly schema: string }
  readonly dir: string
  readonly killAfter?: number
}

const target = JSON.parse(process.env.HOUSEKEEPING_CHILD ?? '{}') as HousekeepingTarget
let statements = -1

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
  if (target.postgres === undefined) throw new Error('HOUSEKEEPING_CHILD names no database')
  const pool = new pg.Pool({ connectionString: target.postgres.url, options: `-c search_path=${target.postgres.schema}`, max: 2 })
  return new Kysely({ dialect: new PostgresDialect({ pool }), log: onQuery })
}

const db = open()
const email = createEmailIntegration({ db, config: { attachmentsDir: target.dir }, directory: () => Promise.resolve([]) })
await sql`select 1`.execute(db)
statements = 0
process.stdout.write('ready\n')
const report = await email.housekeeping.run()
process.stdout.write(`done ${JSON.stringify(report)} ${statements}\n`)
await email.close()
await db.destroy()
