/**
 * A host process that runs one data-lifecycle action once, for the crash tests of account
 * removal and retention (`buildSyncChild('../erasure/lifecycle-crash-child')` bundles it). It
 * prints `ready` before the action and `done <report JSON> <statements>` after.
 * `LIFECYCLE_CHILD` names the database, the attachment folder and the action as JSON and, with
 * `killAfter`, makes the process SIGKILL itself as soon as that many statements have run.
 */
import { createEmailIntegration } from '../../src/index.js'
import { openKillable, type KillableTarget } from '../helpers/killable-database.js'

/** What a child does, where, and where it dies. */
export interface LifecycleTarget extends KillableTarget {
  readonly dir: string
  /** `remove`: `accounts.remove(address)`; `retention`: `retention.run()` at `now`. */
  readonly action: 'remove' | 'retention'
  readonly address?: string
  readonly retentionDays?: number
  /** The clock's fixed time (ISO); the system clock when absent. */
  readonly now?: string
}

const target = JSON.parse(process.env.LIFECYCLE_CHILD ?? '{}') as LifecycleTarget
const { db, arm, statements } = openKillable(target, 'LIFECYCLE_CHILD')
const now = target.now
const email = createEmailIntegration({
  db,
  config: { attachmentsDir: target.dir, retentionDays: target.retentionDays ?? 0 },
  directory: () => Promise.resolve([]),
  ...(now === undefined ? {} : { clock: { now: () => new Date(now) } }),
})
await arm()
process.stdout.write('ready\n')
const report = target.action === 'remove' ? await email.accounts.remove(target.address ?? '', { actor: 'eve@fund.example' }) : await email.retention.run()
process.stdout.write(`done ${JSON.stringify(report)} ${statements()}\n`)
await email.close()
await db.destroy()
