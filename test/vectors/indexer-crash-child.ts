/**
 * A host process that runs the indexer once, for the indexer's crash test
 * (`buildSyncChild('../vectors/indexer-crash-child')` bundles it). It prints `ready` before the
 * run and `done <report JSON> <statements>` after. `INDEXER_CHILD` names the database, the
 * attachment folder and the embeddings endpoint as JSON and, with `killAfter`, makes the
 * process SIGKILL itself as soon as that many statements have run.
 */
import { createEmailIntegration } from '../../src/index.js'
import { openKillable, type KillableTarget } from '../helpers/killable-database.js'

/** Where a child works, and where it dies. */
export interface IndexerTarget extends KillableTarget {
  readonly dir: string
  readonly embeddingsUrl: string
  readonly model: string
}

const target = JSON.parse(process.env.INDEXER_CHILD ?? '{}') as IndexerTarget
const { db, arm, statements } = openKillable(target, 'INDEXER_CHILD')
const email = createEmailIntegration({
  db,
  config: { attachmentsDir: target.dir, embeddings: { url: target.embeddingsUrl, model: target.model } },
  directory: () => Promise.resolve([]),
})
await arm()
process.stdout.write('ready\n')
const report = await email.search.index({ limit: 100_000 })
process.stdout.write(`done ${JSON.stringify(report)} ${statements()}\n`)
await email.close()
await db.destroy()
