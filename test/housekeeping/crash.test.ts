import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectUnreferencedBlobs } from '../../src/housekeeping/blobs.js'
import { PG_URL, openPostgres, type TestDatabase } from '../helpers/databases.js'
import { buildSyncChild, openSqliteFile, seededRandom } from '../helpers/sync/process.js'
import type { HousekeepingTarget } from './crash-child.js'
import { DAY_MS, HOUR_MS, storeWorld, type StoreWorld, type WorldBlob } from './store-world.js'
import { runKillableChild } from '../helpers/kill-child.js'

// Housekeeping killed with SIGKILL wherever it is: no attachment row is ever left without its
// file, and the next run removes what the killed one did not.

const REFERENCED = 3
const UNREFERENCED = 5

interface Target {
  readonly t: TestDatabase
  readonly w: StoreWorld
  readonly child: Omit<HousekeepingTarget, 'killAfter'>
  readonly referenced: WorldBlob[]
  readonly unreferenced: WorldBlob[]
}

async function freshTarget(dialect: 'sqlite' | 'postgres'): Promise<Target> {
  const file = dialect === 'sqlite' ? openSqliteFile() : null
  const t = file ?? (await openPostgres())
  const w = await storeWorld(t)
  const referenced: WorldBlob[] = []
  for (let i = 0; i < REFERENCED; i++) {
    const blob = await w.blob(10 * DAY_MS)
    await w.reference(blob)
    referenced.push(blob)
  }
  const unreferenced: WorldBlob[] = []
  for (let i = 0; i < UNREFERENCED; i++) unreferenced.push(await w.blob(10 * DAY_MS))
  const database = file === null ? { postgres: { url: PG_URL, schema: t.schema ?? '' } } : { sqlite: file.path }
  return { t, w, child: { ...database, dir: w.dir }, referenced, unreferenced }
}

/** Runs a child on `target`, killed after `killAfter` statements or `delayMs` after it is ready. */
function runChild(script: string, target: HousekeepingTarget, delayMs?: number): Promise<string> {
  return runKillableChild(script, 'HOUSEKEEPING_CHILD', target, delayMs)
}

/** Every stored attachment row's file is there, with the bytes its hash names. */
async function expectNoRowWithoutFile(target: Target, when: string): Promise<void> {
  const rows = await target.w.db.selectFrom('email_attachments').select(['sha256']).where('status', '=', 'stored').execute()
  expect(rows).toHaveLength(REFERENCED)
  for (const row of rows) {
    const bytes = readFileSync(target.w.blobs.pathOf(row.sha256 ?? ''))
    expect(createHash('sha256').update(bytes).digest('hex'), when).toBe(row.sha256)
  }
}

/** The next run (an hour on, as a later day's run is) leaves the referenced blobs and nothing else. */
async function finishAndCheck(target: Target): Promise<void> {
  await collectUnreferencedBlobs(target.w.db, target.w.blobs, { nowMs: Date.now() + 2 * HOUR_MS })
  await expectNoRowWithoutFile(target, 'after the next run')
  const left = readdirSync(target.w.dir, { recursive: true }).map(String).filter((n) => /[0-9a-f]{64}/.test(n))
  expect(left.map((n) => n.split(/[\\/]/).at(-1)).sort()).toEqual(target.referenced.map((b) => b.sha256).sort())
  const rows = await target.w.db.selectFrom('email_blobs').select('sha256').execute()
  expect(rows.map((r) => r.sha256).sort()).toEqual(target.referenced.map((b) => b.sha256).sort())
  await target.w.close()
  await target.t.close()
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.skipIf(dialect === 'postgres' && PG_URL === '')(`email.housekeeping.run() killed with SIGKILL [${dialect}]`, () => {
    let built: Awaited<ReturnType<typeof buildSyncChild>>
    beforeAll(async () => {
      built = await buildSyncChild('../housekeeping/crash-child')
    })
    afterAll(() => {
      built.remove()
    })

    it('never leaves an attachment row without its file, and the next run finishes the job', async () => {
      // A whole run first: what it reports and how many statements it takes.
      const reference = await freshTarget(dialect)
      // Each unreferenced blob also has an email_blobs row, as a purged email's blob would.
      for (const blob of reference.unreferenced) await reference.w.reference(blob)
      await reference.w.db.deleteFrom('email_attachments').where('sha256', 'in', reference.unreferenced.map((b) => b.sha256)).execute()
      const clean = await runChild(built.script, reference.child)
      const match = /done (\{.*\}) (\d+)/.exec(clean)
      expect(match, clean).not.toBeNull()
      expect(JSON.parse(match?.[1] ?? '{}')).toMatchObject({ blobsRemoved: UNREFERENCED })
      const statements = Number(match?.[2])
      await finishAndCheck(reference)

      const random = seededRandom(dialect === 'sqlite' ? 151 : 152)
      // The scan, then each candidate's read of its references and its delete (before the commit):
      // the first candidate's points, one in the middle, the last candidate's.
      const points = [...new Set([1, 2, 3, Math.ceil(statements / 2), statements - 1, statements])].filter((n) => n >= 1 && n <= statements)
      for (const killAfter of points) {
        const target = await freshTarget(dialect)
        const output = await runChild(built.script, { ...target.child, killAfter })
        expect(output, `killed after ${killAfter} statements`).not.toContain('done')
        await expectNoRowWithoutFile(target, `killed after ${killAfter} statements`)
        await finishAndCheck(target)
      }
      for (let i = 0; i < 3; i++) {
        const target = await freshTarget(dialect)
        await runChild(built.script, target.child, random(0, 40))
        await expectNoRowWithoutFile(target, `killed at a random instant (${i})`)
        await finishAndCheck(target)
      }
    }, 300_000)
  })
}
