import { readdirSync } from 'node:fs'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { syncWorld } from '../helpers/sync/setup.js'
import { collectUnreferencedBlobs } from '../../src/housekeeping/blobs.js'
import { createHousekeeping } from '../../src/housekeeping/api.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { testContext } from '../helpers/context.js'
import { DAY_MS, HOUR_MS, storeWorld, type StoreWorld } from './store-world.js'

// Housekeeping of the attachment store (src/housekeeping/): leftover temporary files and blobs
// no attachment row references, by age, and a commit racing the collection.

describeEachDialect('email.housekeeping.run', (open) => {
  let t: TestDatabase
  let w: StoreWorld

  beforeEach(async () => {
    t = await open()
    w = await storeWorld(t)
  })

  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('removes temporary files older than an hour and leaves younger ones, which a live put may be writing', async () => {
    const old = [w.tempFile(2 * HOUR_MS), w.tempFile(3 * DAY_MS)]
    const young = [w.tempFile(0), w.tempFile(50 * 60 * 1000)]
    const report = await w.email.housekeeping.run()
    expect(report).toEqual({ blobsRemoved: 0, bytesFreed: 0, tempFilesRemoved: 2 })
    for (const path of old) expect(w.exists(path)).toBe(false)
    for (const path of young) expect(w.exists(path)).toBe(true)
  })

  it('removes blobs no attachment references once untouched for a day, and keeps referenced ones of any age', async () => {
    const referencedOld = await w.blob(10 * DAY_MS, 700)
    await w.reference(referencedOld)
    const unreferencedOld = await w.blob(2 * DAY_MS, 1234)
    const unreferencedYoung = await w.blob(20 * HOUR_MS, 999)
    // A row in email_blobs alone (its attachment gone) does not keep a blob.
    await w.reference(unreferencedOld)
    await w.db.deleteFrom('email_attachments').where('sha256', '=', unreferencedOld.sha256).execute()

    expect(await w.email.housekeeping.run()).toEqual({ blobsRemoved: 1, bytesFreed: 1234, tempFilesRemoved: 0 })
    expect(w.exists(unreferencedOld.path)).toBe(false)
    expect(await w.db.selectFrom('email_blobs').select('sha256').where('sha256', '=', unreferencedOld.sha256).executeTakeFirst()).toBeUndefined()
    expect(w.exists(referencedOld.path)).toBe(true)
    expect(w.exists(unreferencedYoung.path)).toBe(true)
    // Nothing but the blobs themselves is left in their folders (no set-aside copies).
    const names = readdirSync(w.dir, { recursive: true }).map(String).filter((n) => /[0-9a-f]{64}/.test(n))
    expect(names.map((n) => n.slice(-64)).sort()).toEqual([referencedOld.sha256, unreferencedYoung.sha256].sort())
    expect(await w.email.housekeeping.run()).toEqual({ blobsRemoved: 0, bytesFreed: 0, tempFilesRemoved: 0 })
  })

  it('keeps an old blob that a capture stores again: the put refreshes its age', async () => {
    const blob = await w.blob(5 * DAY_MS)
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(blob.path))
    await w.blobs.put(bytes)
    expect(await w.email.housekeeping.run()).toMatchObject({ blobsRemoved: 0 })
    expect(w.exists(blob.path)).toBe(true)
  })

  it('keeps a blob whose attachment row commits between the scan and the removal', async () => {
    const racing = await w.blob(3 * DAY_MS)
    const other = await w.blob(3 * DAY_MS)
    const context = testContext(t.db, { attachmentsDir: w.dir })
    const seen: string[] = []
    const result = await collectUnreferencedBlobs(context.db, w.blobs, {
      nowMs: Date.now(),
      afterScan: async (found) => {
        seen.push(...found)
        await w.reference(racing)
      },
    })
    expect(seen.sort()).toEqual([racing.sha256, other.sha256].sort())
    expect(result).toMatchObject({ removed: 1 })
    expect(w.exists(racing.path)).toBe(true)
    expect(w.exists(other.path)).toBe(false)
    const file = await w.email.attachments.open((await w.db.selectFrom('email_attachments').select('id').executeTakeFirstOrThrow()).id)
    let read = 0
    for await (const chunk of file.stream) read += (chunk as Buffer).length
    expect(read).toBe(racing.size)
  })

  it('keeps a blob a put touches between the scan and the removal', async () => {
    const blob = await w.blob(3 * DAY_MS)
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(blob.path))
    const result = await collectUnreferencedBlobs(testContext(t.db).db, w.blobs, { nowMs: Date.now(), afterScan: async () => void (await w.blobs.put(bytes)) })
    expect(result).toMatchObject({ removed: 0 })
    expect(w.exists(blob.path)).toBe(true)
  })

  it('puts back what a crashed collection set aside an hour ago, and leaves a live one alone', async () => {
    const blob = await w.blob(3 * DAY_MS)
    await w.reference(blob)
    const { renameSync } = await import('node:fs')
    const crashed = `${blob.path}.gc-${Date.now() - 2 * HOUR_MS}-0a0b0c0d`
    renameSync(blob.path, crashed)
    const result = await collectUnreferencedBlobs(w.db, w.blobs, { nowMs: Date.now() })
    expect(result).toMatchObject({ restored: 1, removed: 0 })
    expect(w.exists(blob.path)).toBe(true)
    expect(w.exists(crashed)).toBe(false)

    const live = `${blob.path}.gc-${Date.now()}-0a0b0c0d`
    renameSync(blob.path, live)
    expect(await collectUnreferencedBlobs(w.db, w.blobs, { nowMs: Date.now() })).toMatchObject({ restored: 0 })
    expect(w.exists(live)).toBe(true)
  })

  it('runs when due: the first time, then not again within a day', async () => {
    const logged: string[] = []
    const context = { ...testContext(t.db, { attachmentsDir: w.dir }), logger: { debug: () => undefined, info: (_: object, m: string) => void logged.push(m), warn: () => undefined, error: (_: object, m: string) => void logged.push(m) } }
    const housekeeping = createHousekeeping(context, w.blobs)
    const first = w.tempFile(2 * HOUR_MS)
    await housekeeping.runIfDue(new AbortController().signal)
    expect(w.exists(first)).toBe(false)
    const second = w.tempFile(2 * HOUR_MS)
    await housekeeping.runIfDue(new AbortController().signal)
    expect(w.exists(second)).toBe(true)
    expect(logged).toEqual(['email housekeeping done'])
  })

  it('is run by the scheduler after its first sync', async () => {
    const leftover = w.tempFile(2 * HOUR_MS)
    const unreferenced = await w.blob(2 * DAY_MS)
    // An integration that syncs (from the Gmail emulator), on the same database and store.
    const synced = await syncWorld(t, { config: { attachmentsDir: w.dir } })
    const email = synced.email
    try {
      const run = email.scheduler.runNow()
      expect(run.started).toBe(true)
      await run.reports
      expect(w.exists(leftover)).toBe(false)
      expect(w.exists(unreferenced.path)).toBe(false)
    } finally {
      await synced.close()
    }
  })
})
