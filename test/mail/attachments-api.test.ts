import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN] = TEAM as [string]

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describeEachDialect('email.attachments.downloadPending', (open) => {
  let t: TestDatabase
  let world: SyncWorld

  beforeEach(async () => {
    t = await open()
    // A 1 MB attachment limit lowers the whole-message limit with it, so a 900 KB file makes
    // its message (1.2 MB in base64) too large to fetch raw: the attachment is left pending for the worker.
    world = await syncWorld(t, { config: { maxAttachmentMb: 1 } })
  })

  afterEach(async () => {
    await world.close()
    await t.close()
  })

  it('downloads what a sync left pending, for a host that syncs from its own job', async () => {
    const bytes = randomBytes(900_000)
    world.emu.addMessage(ANN, mailWithAttachments({ to: ANN, messageId: 'room@acme.vc', date: new Date(Date.UTC(2026, 5, 1, 9)), files: [{ name: 'dataroom.zip', bytes }] }))
    const [report] = await world.email.sync.runAll()
    expect(report).toMatchObject({ account: ANN, captured: 1, failed: 0 })

    const thread = (await world.email.threads.list({})).items[0]!
    const [email] = (await world.email.threads.get(thread.id)).emails
    const attachment = email!.attachments[0]!
    expect(attachment).toMatchObject({ filename: 'dataroom.zip', status: 'pending', sha256: null })
    await expect(world.email.attachments.open(attachment.id)).rejects.toMatchObject({ code: 'conflict' })

    expect(await world.email.attachments.downloadPending()).toEqual({ stored: 1, failed: 0, skipped: 0, remaining: 0 })
    const file = await world.email.attachments.open(attachment.id)
    expect((await readAll(file.stream)).equals(bytes)).toBe(true)
    expect(await world.email.attachments.downloadPending()).toEqual({ stored: 0, failed: 0, skipped: 0, remaining: 0 })
  })

  it('refuses once the integration is closed', async () => {
    await world.email.close()
    await expect(world.email.attachments.downloadPending()).rejects.toMatchObject({ code: 'closed' })
  })
})
