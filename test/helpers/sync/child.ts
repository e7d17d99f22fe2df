/**
 * A host process for the crash and concurrency tests. `sync/process.ts` bundles this file with
 * the library's source and runs it with plain node; it syncs one account (`sync.run`) or all of
 * them (`sync.runAll`) from the emulator the parent runs, into the SQLite file the parent
 * prepared, and prints one JSON line per event on stdout (`ChildEvent`).
 */
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createEmailIntegration, type SyncProgress, type SyncReport } from '../../../src/index.js'
import type { ChildEvent, ChildSettings } from './process.js'

function print(event: ChildEvent): void {
  // Writes to a pipe are synchronous on Linux: a printed line is out before the next page starts.
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

const settings = JSON.parse(process.env.SYNC_CHILD ?? '{}') as ChildSettings
const database = new Database(settings.database)
database.pragma('foreign_keys = ON')
const db = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database }) })
const email = createEmailIntegration({
  db,
  config: settings.config,
  directory: () => Promise.resolve([...settings.directory]),
  gmail: { backoff: { minDelayMs: 2, maxDelayMs: 20 } },
})
const onProgress = (progress: SyncProgress): void => {
  print({ type: 'progress', progress })
}

print({ type: 'ready', pid: process.pid })
try {
  const reports: SyncReport[] =
    settings.account === undefined ? await email.sync.runAll({ onProgress }) : [await email.sync.run({ account: settings.account, onProgress })]
  print({ type: 'done', reports })
} catch (error) {
  print({ type: 'failed', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
  process.exitCode = 1
} finally {
  await email.close()
  await db.destroy()
}
