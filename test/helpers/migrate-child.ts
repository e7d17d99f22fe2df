/**
 * A host process that migrates one database and nothing else, for the migration crash test
 * (`buildSyncChild('migrate-child')` bundles it). It prints `ready` once connected, right
 * before `migrate()` starts, and `migrated <ms> <statements>` when it returns. `MIGRATE_CHILD`
 * names the database as JSON (`{ "sqlite": path }` or `{ "postgres": { "url", "schema" } }`)
 * and, with `killAfter`, makes the process SIGKILL itself as soon as that many statements of
 * the migration have run: a kill at an exact point, between any two statements.
 */
import { createEmailIntegration } from '../../src/index.js'
import { openKillable, type KillableTarget } from './killable-database.js'

/** Which database a child migrates, and where it dies. */
export type MigrateTarget = KillableTarget

const { db, arm, statements } = openKillable(JSON.parse(process.env.MIGRATE_CHILD ?? '{}') as MigrateTarget, 'MIGRATE_CHILD')
const email = createEmailIntegration({ db, config: {}, directory: () => Promise.resolve([]) })
await arm()
process.stdout.write('ready\n')
const started = performance.now()
await email.migrate()
process.stdout.write(`migrated ${Math.round(performance.now() - started)} ${statements()}\n`)
await email.close()
await db.destroy()
