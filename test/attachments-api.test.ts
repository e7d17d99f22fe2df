import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { describeEachDialect, type TestDatabase } from './helpers/databases.js'
import { syncWorld, TEAM, type SyncWorld } from './helpers/sync-setup.js'

const [ANN] = TEAM as [string]

/** A CRM message with one attachment of `bytes` random bytes. */
function withAttachment(id: string, name: string, bytes: Buffer): string {
  return [
    'From: Dana <dana@acme.vc>',
    `To: ${ANN}`,
    'Subject: The data room',
    `Date: ${new Date(Date.UTC(2026, 5, 1, 9)).toUTCString()}`,
    `Message-ID: <${id}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Everything is attached.',
    '--b',
    `Content-Type: application/octet-stream; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    bytes.toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--b--',
    '',
  ].join('\r\n')
}

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
    world.emu.addMessage(ANN, withAttachment('room@acme.vc', 'dataroom.zip', bytes))
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
