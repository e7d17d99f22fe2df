import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createBlobStore, type BlobStore } from '../../src/db/blob-store.js'
import { downloadPendingAttachments, MAX_ATTEMPTS, type DownloadPendingOptions } from '../../src/capture/attachments-worker.js'
import { MIB, prepareAttachments } from '../../src/capture/capture-attachments.js'
import { fingerprintOf } from '../../src/capture/parse/assemble.js'
import { parseFullMessage } from '../../src/capture/parse/full.js'
import { storeMessage, type CaptureRecord } from '../../src/capture/store.js'
import { QUOTA_COSTS_2026, resolveConfig, type EmailConfigInput } from '../../src/config/index.js'
import type { IntegrationContext } from '../../src/context.js'
import { insertAccount } from '../../src/db/accounts.js'
import { UpstreamError } from '../../src/errors.js'
import { createGmailClient } from '../../src/gmail/client.js'
import type { GmailClient } from '../../src/gmail/client-types.js'
import { createDwdCredentials } from '../../src/gmail/credentials/dwd.js'
import type { AccessTokenProvider } from '../../src/gmail/credentials/credentials.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { createEmailIntegration } from '../../src/index.js'
import { startGmailEmulator, type GmailEmulator, type GmailEmulatorOptions } from '../../src/testing/index.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { buildMessage } from '../helpers/message.js'
import { ANN, BOB } from '../helpers/team.js'

// The download worker against the real Gmail client, the emulator and a real database; pending
// rows are made the way the pipeline makes them (format=full, parse, prepare, store).

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** A message with one attachment, as a sender's client would write it (the same bytes for every copy of `n`). */
function mime(n: number, attachment: Buffer, filename = `deck-${n}.pdf`): string {
  return buildMessage({
    from: 'Dana <dana@acme.vc>',
    to: [ANN, BOB],
    subject: `Deck ${n}`,
    date: new Date(Date.UTC(2026, 5, 1 + (n % 28), 10)),
    messageId: `deck-${n}@acme.vc`,
    text: `Here is deck ${n}.`,
    attachments: [{ filename, contentType: 'application/pdf', content: attachment }],
    boundary: `deck-${n}`,
  })
}

describeEachDialect('the attachment download worker', (open) => {
  let t: TestDatabase
  let dir: string
  let blobs: BlobStore
  let emu: GmailEmulator
  const accounts = new Map<string, number>()

  async function start(options: GmailEmulatorOptions = {}): Promise<void> {
    emu = await startGmailEmulator({ seed: 11, quota: Infinity, inlineBodyLimit: 1024, ...options })
  }

  beforeEach(async () => {
    t = await open()
    dir = mkdtempSync(join(tmpdir(), 'email-worker-'))
    blobs = createBlobStore(join(dir, 'attachments'))
    const context = testContext(t.db)
    await createEmailIntegration({ db: t.db, config: {}, directory: () => Promise.resolve([]) }).migrate()
    const now = new Date().toISOString()
    for (const address of [ANN, BOB]) {
      const { account } = await insertAccount(context, { address, authMethod: 'dwd', status: 'active', statusReason: null, now })
      accounts.set(address, Number(account.id))
    }
    await start()
  })
  afterEach(async () => {
    await emu.close()
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const ctx = (config: EmailConfigInput = {}): IntegrationContext => testContext(t.db, config)
  const accountId = (address: string): number => accounts.get(address) ?? 0

  function credentials(): AccessTokenProvider {
    const { serviceAccount } = resolveConfig({ serviceAccountKey: emu.serviceAccountKey, enabled: true, workspaceDomains: ['fund.example'] })
    if (serviceAccount === null) throw new Error('no service account')
    return createDwdCredentials({ serviceAccount, tokenUrl: emu.tokenUrl })
  }

  function client(mailbox: string, tokens: AccessTokenProvider = credentials()): GmailClient {
    const limiter = createQuotaLimiter({ rateUnitsSec: 1_000_000 })
    const backoff = { minDelayMs: 1, maxDelayMs: 5 }
    return createGmailClient({ baseUrl: emu.url, mailbox, credentials: tokens, limiter, costs: QUOTA_COSTS_2026, retryMax: 2, backoff })
  }

  /** Adds the message to a mailbox and captures it as the pipeline does for a large message. */
  async function capture(address: string, raw: string): Promise<string> {
    const { id } = emu.addMessage(address, raw)
    const message = await client(address).getMessage(id, { format: 'full' })
    const parsed = parseFullMessage(message)
    if (!parsed.ok) throw new Error('unparseable test message')
    const email = parsed.value
    const attachments = await prepareAttachments(email.attachments, blobs, 50 * MIB)
    const record: CaptureRecord = {
      accountId: accountId(address), gmailId: id, gmailThreadId: message.threadId, labelIds: message.labelIds ?? [],
      internalDate: email.date, email, fingerprint: fingerprintOf(email), isDraft: false, links: [], attachments,
    }
    await ctx().db.transaction().execute((trx) => storeMessage(trx, record, new Date().toISOString()))
    return id
  }

  const rows = () => ctx().db.selectFrom('email_attachments').selectAll().orderBy('id').execute()
  const blobFiles = () =>
    !existsSync(blobs.dir) ? [] : readdirSync(blobs.dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(blobs.dir.length + 1))
      .sort()

  function run(config: EmailConfigInput = {}, extra: Partial<DownloadPendingOptions> = {}) {
    return downloadPendingAttachments(ctx(config), { blobs, clientFor: (_id, address) => client(address), ...extra })
  }

  it('downloads a pending attachment into ab/cd/<sha256>, never using its file name', async () => {
    const bytes = randomBytes(5000)
    await capture(ANN, mime(1, bytes, '../../escape.pdf'))
    const [before] = await rows()
    expect(before).toMatchObject({ status: 'pending', filename: '../../escape.pdf', size: 5000, sha256: null })
    expect(before?.gmail_attachment_id).toBeTruthy()
    expect(await run()).toEqual({ stored: 1, failed: 0, skipped: 0, remaining: 0 })
    const sha = sha256(bytes)
    expect(await rows()).toMatchObject([{ status: 'stored', sha256: sha, size: 5000, attempts: 0, error: null }])
    expect(blobFiles()).toEqual([join(sha.slice(0, 2), sha.slice(2, 4), sha)])
    expect(readFileSync(blobs.pathOf(sha)).equals(bytes)).toBe(true)
    expect(await ctx().db.selectFrom('email_blobs').selectAll().execute()).toMatchObject([{ sha256: sha, size: 5000 }])
    expect(readdirSync(dir)).toEqual(['attachments'])
  })

  it('keeps one blob for the same bytes in two emails', async () => {
    const bytes = randomBytes(3000)
    await capture(ANN, mime(1, bytes))
    await capture(ANN, mime(2, bytes))
    expect(await run()).toMatchObject({ stored: 2, remaining: 0 })
    const stored = await rows()
    expect(stored.map((r) => r.sha256)).toEqual([sha256(bytes), sha256(bytes)])
    expect(await ctx().db.selectFrom('email_blobs').select('sha256').execute()).toHaveLength(1)
    expect(blobFiles()).toHaveLength(1)
  })

  it('skips an attachment over the size limit without downloading it', async () => {
    // Captured under a 50 MB limit, then the limit was lowered to 1 MB.
    const id = await capture(ANN, mime(1, randomBytes(MIB + 1000)))
    emu.stats.reset()
    expect(await run({ maxAttachmentMb: 1 })).toEqual({ stored: 0, failed: 0, skipped: 1, remaining: 0 })
    expect(emu.stats.downloads[id] ?? 0).toBe(0)
    expect(emu.stats.requests['messages.attachments.get'] ?? 0).toBe(0)
    expect(await rows()).toMatchObject([{ status: 'skipped', sha256: null, error: 'larger than 1 MB' }])
    expect(blobFiles()).toEqual([])
  })

  it("fetches from another mailbox's copy when the row's copy was deleted", async () => {
    const bytes = randomBytes(4000)
    const annId = await capture(ANN, mime(1, bytes))
    const bobId = await capture(BOB, mime(1, bytes))
    const db = ctx().db
    const bobCopy = await db.selectFrom('email_copies').select('id').where('gmail_id', '=', bobId).executeTakeFirstOrThrow()
    emu.deleteMessage(ANN, annId)
    await db.updateTable('email_copies').set({ deleted_at: new Date().toISOString() }).where('gmail_id', '=', annId).execute()
    emu.stats.reset()
    expect(await run()).toMatchObject({ stored: 1, failed: 0, remaining: 0 })
    expect(await rows()).toMatchObject([{ status: 'stored', sha256: sha256(bytes), copy_id: bobCopy.id }])
    expect(emu.stats.downloads[annId] ?? 0).toBe(0)
    expect(emu.stats.downloads[bobId]).toBe(2) // its part tree, then the attachment
  })

  it('fetches through another copy when the row has no copy at all', async () => {
    const bytes = randomBytes(2000)
    const annId = await capture(ANN, mime(1, bytes))
    await capture(BOB, mime(1, bytes))
    // The copy row is gone (copy_id set null by the foreign key's rule).
    await ctx().db.updateTable('email_attachments').set({ copy_id: null }).execute()
    await ctx().db.deleteFrom('email_copies').where('gmail_id', '=', annId).execute()
    expect(await run()).toMatchObject({ stored: 1, remaining: 0 })
    expect(await rows()).toMatchObject([{ status: 'stored', sha256: sha256(bytes) }])
  })

  it('re-reads an attachment id Gmail no longer accepts, and records the new one', async () => {
    const bytes = randomBytes(2500)
    await capture(ANN, mime(1, bytes))
    const [row] = await rows()
    const current = row?.gmail_attachment_id ?? ''
    const stale = `ANGjdJ${'Q'.repeat(current.length - 6)}`
    await ctx().db.updateTable('email_attachments').set({ gmail_attachment_id: stale }).execute()
    expect(await run()).toMatchObject({ stored: 1, failed: 0, remaining: 0 })
    expect(await rows()).toMatchObject([{ status: 'stored', sha256: sha256(bytes), gmail_attachment_id: current, attempts: 0 }])
    expect(emu.stats.responses['messages.attachments.get 400']).toBe(1)
    expect(emu.stats.responses['messages.attachments.get 200']).toBe(1)
  })

  it('never has more downloads in flight than attachConcurrency', async () => {
    for (let n = 0; n < 8; n += 1) await capture(ANN, mime(n, randomBytes(1500)))
    let inFlight = 0
    let peak = 0
    const counting = (base: GmailClient): GmailClient => ({
      ...base,
      getAttachment: async (messageId, attachmentId, options) => {
        inFlight += 1
        peak = Math.max(peak, inFlight)
        try {
          // Long enough that the worker starts every slot before the first download ends, even on a busy machine.
          await sleep(200)
          return await base.getAttachment(messageId, attachmentId, options)
        } finally {
          inFlight -= 1
        }
      },
    })
    const report = await run({ attachConcurrency: 3 }, { clientFor: (_id, address) => counting(client(address)) })
    expect(report).toEqual({ stored: 8, failed: 0, skipped: 0, remaining: 0 })
    expect(peak).toBe(3)
  })

  it(`marks a download failed after ${MAX_ATTEMPTS} attempts, and counts each`, async () => {
    // Gmail no longer has the message, but no sync has noticed yet: the copy still looks live.
    const id = await capture(ANN, mime(1, randomBytes(1200)))
    emu.deleteMessage(ANN, id)
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt += 1) {
      expect(await run()).toEqual({ stored: 0, failed: 0, skipped: 0, remaining: 1 })
      const [row] = await rows()
      expect(row).toMatchObject({ status: 'pending', attempts: attempt })
      expect(row?.error).toMatch(/.+/)
    }
    expect(await run()).toEqual({ stored: 0, failed: 1, skipped: 0, remaining: 0 })
    expect(await rows()).toMatchObject([{ status: 'failed', attempts: MAX_ATTEMPTS, sha256: null }])
    emu.stats.reset()
    expect(await run()).toEqual({ stored: 0, failed: 0, skipped: 0, remaining: 0 })
    expect(emu.stats.requests).toEqual({})
  })

  it('counts a size mismatch as a failed attempt and stores nothing', async () => {
    await capture(ANN, mime(1, randomBytes(1800)))
    await ctx().db.updateTable('email_attachments').set({ size: 1799 }).execute()
    expect(await run()).toMatchObject({ stored: 0, remaining: 1 })
    const [row] = await rows()
    expect(row).toMatchObject({ status: 'pending', attempts: 1, sha256: null })
    expect(row?.error).toMatch(/size mismatch/)
    expect(blobFiles()).toEqual([])
  })

  it('takes the oldest rows first, up to the limit, and downloads nothing once all are stored', async () => {
    for (let n = 0; n < 3; n += 1) await capture(ANN, mime(n, randomBytes(1100)))
    await expect(run({}, { limit: 0 })).rejects.toThrow(/limit/)
    expect(await run({}, { limit: 2 })).toEqual({ stored: 2, failed: 0, skipped: 0, remaining: 1 })
    expect((await rows()).map((r) => r.status)).toEqual(['stored', 'stored', 'pending'])
    expect(await run()).toMatchObject({ stored: 1, remaining: 0 })
    emu.stats.reset()
    expect(await run()).toEqual({ stored: 0, failed: 0, skipped: 0, remaining: 0 })
    expect(emu.stats.requests).toEqual({})
  })

  it('leaves the rows of an account whose credentials are refused, and goes on with the others', async () => {
    await capture(ANN, mime(1, randomBytes(1100)))
    await capture(ANN, mime(2, randomBytes(1100)))
    await capture(BOB, mime(3, randomBytes(1100)))
    let annTokenCalls = 0
    const revoked: AccessTokenProvider = {
      getAccessToken: () => {
        annTokenCalls += 1
        return Promise.reject(new UpstreamError('revoked', { upstreamStatus: 400, reason: 'invalid_grant', retryable: false }))
      },
    }
    const clientFor = (_id: number, address: string) => client(address, address === ANN ? revoked : credentials())
    const report = await run({ attachConcurrency: 1 }, { clientFor })
    expect(report).toEqual({ stored: 1, failed: 0, skipped: 0, remaining: 2 })
    expect(annTokenCalls).toBe(1)
    const untouched = ['pending', 0, null]
    expect((await rows()).map((r) => [r.status, r.attempts, r.error])).toEqual([untouched, untouched, ['stored', 0, null]])
  })

  it('does not count a retryable Gmail error as an attempt', async () => {
    await emu.close()
    await start({ faults: { serverError: 1, methods: ['messages.attachments.get'] } })
    await capture(ANN, mime(1, randomBytes(1100)))
    expect(await run()).toEqual({ stored: 0, failed: 0, skipped: 0, remaining: 1 })
    const [row] = await rows()
    expect(row).toMatchObject({ status: 'pending', attempts: 0 })
    expect(row?.error).toMatch(/.+/)
  })

  it('stops picking rows once the signal is aborted', async () => {
    for (let n = 0; n < 4; n += 1) await capture(ANN, mime(n, randomBytes(1100)))
    const aborted = AbortSignal.abort()
    expect(await run({}, { signal: aborted })).toEqual({ stored: 0, failed: 0, skipped: 0, remaining: 4 })
    const controller = new AbortController()
    const stopAfterFirst = (base: GmailClient): GmailClient => ({
      ...base,
      getAttachment: async (messageId, attachmentId, options) => {
        const result = await base.getAttachment(messageId, attachmentId, options)
        controller.abort()
        return result
      },
    })
    const clientFor = (_id: number, address: string) => stopAfterFirst(client(address))
    const report = await run({ attachConcurrency: 1 }, { signal: controller.signal, clientFor })
    expect(report).toEqual({ stored: 1, failed: 0, skipped: 0, remaining: 3 })
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([['stored', 0], ['pending', 0], ['pending', 0], ['pending', 0]])
  })
})
