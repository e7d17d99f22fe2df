/**
 * A host process that runs `email.housekeeping.run()` once, for the housekeeping crash test
 * (`buildSyncChild('../housekeeping/crash-child')` bundles it). It prints `ready` before the run
 * and `done <report JSON>` after. `HOUSEKEEPING_CHILD` names the database and the attachment
 * folder as JSON and, with `killAfter`, makes the process SIGKILL itself as soon as that many
 * statements of the run have executed.
 */
import { createEmailIntegration } from '../../src/index.js'
import { openKillable, type KillableTarget } from '../helpers/killable-database.js'

/** What a child cleans and where it dies. */
export interface HousekeepingTarget extends KillableTarget {
  readonly dir: string
}

const target = JSON.parse(process.env.HOUSEKEEPING_CHILD ?? '{}') as HousekeepingTarget
const { db, arm, statements } = openKillable(target, 'HOUSEKEEPING_CHILD')
const email = createEmailIntegration({ db, config: { attachmentsDir: target.dir }, directory: () => Promise.resolve([]) })
await arm()
process.stdout.write('ready\n')
const report = await email.housekeeping.run()
process.stdout.write(`done ${JSON.stringify(report)} ${statements()}\n`)
await email.close()
await db.destroy()
