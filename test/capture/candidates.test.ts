import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import type { CommitResult, PreparedPage, SizeHints } from '../../src/capture/pipeline.js'
import { integrityProblems, type CaptureSetup } from '../helpers/capture-setup.js'
import { setup, sharedEmulator } from '../helpers/capture-pipeline-world.js'
import { ANN, BOB } from '../helpers/team.js'
import type { GmailEmulator } from '../../src/testing/index.js'
import { describeEachDialect } from '../helpers/databases.js'
import { buildMessage } from '../helpers/message.js'

// Search candidates through the capture pipeline, content first: real HTTP to the Gmail
// emulator, the library's Gmail client, a real database and the real blob store. What the
// emulator served (its request and download counters) shows how each candidate was fetched.

const BASE = Date.UTC(2026, 5, 1, 9, 0, 0)
const NO_HINTS: SizeHints = { medium: new Set(), large: new Set() }

interface Mail {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly cc?: string
  readonly bcc?: string
  /** Minutes after BASE. */
  readonly at?: number
  readonly body?: string
  readonly file?: { readonly name: string; readonly bytes: Buffer }
}

function rfc822(m: Mail): string {
  return buildMessage({
    from: m.from,
    to: m.to,
    ...(m.cc === undefined ? {} : { cc: m.cc }),
    ...(m.bcc === undefined ? {} : { bcc: m.bcc }),
    subject: `About ${m.id}`,
    date: new Date(BASE + (m.at ?? 0) * 60_000),
    messageId: m.id,
    text: m.body ?? `Body of ${m.id}.`,
    ...(m.file === undefined ? {} : { attachments: [{ filename: m.file.name, content: m.file.bytes }] }),
    boundary: m.id,
  })
}

/** Adds a message and returns its listing entry, as a search listing gives it. */
function add(s: CaptureSetup, address: string, m: Mail | string, labelIds: readonly string[] = ['INBOX']): { id: string; threadId: string } {
  return s.emu.addMessage(address, typeof m === 'string' ? m : rfc822(m), { labelIds })
}

/** Prepares the refs as search candidates and commits the page, as the sync does. */
async function capture(
  s: CaptureSetup,
  address: string,
  refs: readonly { id: string; threadId: string }[],
  hints: SizeHints = NO_HINTS,
): Promise<{ page: PreparedPage; result: CommitResult }> {
  const page = await s.pipeline.prepareCandidates(s.account(address), s.client(address), refs, hints)
  const result = await s.db.transaction().execute((trx) => s.pipeline.commit(trx, page, new Date().toISOString()))
  return { page, result }
}

const reasons = (page: PreparedPage): Record<string, string> => Object.fromEntries(page.skipped.map((k) => [k.gmailId, k.reason]))

/** Every file of the blob store, as paths under its directory. */
function blobFiles(s: CaptureSetup): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
  return walk(s.blobs.dir).sort()
}

/** Message-IDs of the stored emails, sorted. */
async function storedMessageIds(s: CaptureSetup): Promise<string[]> {
  return (await s.db.selectFrom('emails').select('message_id').execute()).map((r) => r.message_id).sort()
}

/** Total `messages.get` calls the emulator answered, and how many of them served content. */
function gets(emu: GmailEmulator): { calls: number; contents: number } {
  const contents = Object.values(emu.stats.downloads).reduce((a, b) => a + b, 0)
  return { calls: emu.stats.requests['messages.get'] ?? 0, contents }
}

describeEachDialect('search candidates, content first', (open) => {
  it('fetches each candidate once, stores the CRM mail and discards the false positives unwritten', async () => {
    const s = await setup(open)
    const deck = randomBytes(40_000)
    const crm = [
      add(s, ANN, { id: 'fund@acme.vc', from: 'Dana <dana@eu.acme.vc>', to: ANN, at: 1, file: { name: 'deck.pdf', bytes: deck } }),
      add(s, ANN, { id: 'jane@startup.example', from: 'jane@startup.example', to: ANN, at: 2 }),
      add(s, ANN, { id: 'cc@fund.example', from: ANN, to: BOB, cc: 'Hal <hal@globex.example>', at: 3 }, ['SENT']),
    ]
    // What a search may list that the local matcher turns down; one carries a file.
    const falsePositives = {
      unmatched: add(s, ANN, { id: 'news@letters.example', from: 'news@letters.example', to: ANN, at: 4, file: { name: 'ad.pdf', bytes: randomBytes(30_000) } }),
      internal: add(s, ANN, { id: 'lunch@fund.example', from: BOB, to: ANN, at: 5 }),
      blocked: add(s, ANN, { id: 'spammy@acme.vc', from: 'spammy@acme.vc', to: ANN, at: 6 }),
      replyToOnly: add(s, ANN, buildMessage({
        from: 'promo@mailer.example', to: ANN, replyTo: 'dana@acme.vc', subject: 'Offer', date: new Date(BASE), messageId: 'offer@mailer.example', text: 'Buy now.',
      })),
    }
    s.emu.stats.reset()
    const { page, result } = await capture(s, ANN, [...crm, ...Object.values(falsePositives)])

    // One get per candidate, content only, in one batch call; no header read first.
    expect(gets(s.emu)).toEqual({ calls: 7, contents: 7 })
    expect(s.emu.stats.requests.batch).toBe(1)
    for (const ref of [...crm, ...Object.values(falsePositives)]) expect(s.emu.stats.downloads[ref.id]).toBe(1)
    expect(page).toMatchObject({ fetched: 7, discarded: 4, failed: [] })
    expect(reasons(page)).toEqual({
      [falsePositives.unmatched.id]: 'unmatched',
      [falsePositives.internal.id]: 'internal',
      [falsePositives.blocked.id]: 'blocked',
      [falsePositives.replyToOnly.id]: 'unmatched',
    })
    expect(result).toMatchObject({ captured: 3, failed: [] })
    expect(await storedMessageIds(s)).toEqual(['cc@fund.example', 'fund@acme.vc', 'jane@startup.example'])
    // The false positive's file was never written: the store holds the CRM deck only.
    const files = blobFiles(s)
    expect(files).toHaveLength(1)
    const stored = await s.db.selectFrom('email_attachments').select(['filename', 'status', 'sha256']).execute()
    expect(stored).toEqual([{ filename: 'deck.pdf', status: 'stored', sha256: expect.any(String) as unknown }])
    expect(files[0]).toBe(s.blobs.pathOf(stored[0]?.sha256 ?? ''))
    const links = await s.db.selectFrom('email_identity_links').select(['identity_key', 'address']).orderBy('identity_key').execute()
    expect(links).toEqual([
      { identity_key: 'contact:c1', address: 'jane@startup.example' },
      { identity_key: 'fund:7', address: 'dana@eu.acme.vc' },
      { identity_key: 'org:o-1', address: 'hal@globex.example' },
    ])
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])

    // Listed again (a resume): what is stored costs nothing; false positives are fetched again.
    s.emu.stats.reset()
    const again = await capture(s, ANN, crm)
    expect(gets(s.emu)).toEqual({ calls: 0, contents: 0 })
    expect(again.page).toMatchObject({ fetched: 0, discarded: 0, records: [], copies: [] })
    expect(Object.values(reasons(again.page))).toEqual(['known', 'known', 'known'])
  })

  it('turns an email stored from another mailbox into a copy, as the header read does, writing no file again', async () => {
    const emu = await sharedEmulator(31)
    const file = { name: 'terms.pdf', bytes: randomBytes(50_000) }
    const received = { id: 'terms@fund.example', from: ANN, to: 'dana@acme.vc', cc: BOB, at: 1, file }
    // Bob's copy first (no Bcc); Ann's sent copy shows the Bcc: a contact the email did not name.
    const bobs = emu.addMessage(BOB, rfc822(received), { labelIds: ['INBOX'] })
    const anns = emu.addMessage(ANN, rfc822({ ...received, bcc: 'jane@startup.example' }), { labelIds: ['SENT'] })
    const byContent = await setup(open, { emulator: emu })
    const byHeaders = await setup(open, { emulator: emu })

    await capture(byContent, BOB, [bobs])
    const filesBefore = blobFiles(byContent)
    emu.stats.reset()
    const { page, result } = await capture(byContent, ANN, [anns])
    expect(gets(emu)).toEqual({ calls: 1, contents: 1 })
    expect(page).toMatchObject({ fetched: 1, discarded: 0, records: [], failed: [] })
    expect(page.copies).toHaveLength(1)
    expect(result).toMatchObject({ captured: 1, failed: [] })
    expect(blobFiles(byContent)).toEqual(filesBefore)

    for (const address of [BOB, ANN]) {
      const refs = [address === BOB ? bobs : anns]
      const headersPage = await byHeaders.pipeline.prepare(byHeaders.account(address), byHeaders.client(address), refs)
      expect(headersPage.discarded).toBe(0)
      await byHeaders.db.transaction().execute((trx) => byHeaders.pipeline.commit(trx, headersPage, new Date().toISOString()))
    }
    const content = await stored(byContent)
    expect(content.emails).toHaveLength(1)
    expect(content.copies).toHaveLength(2)
    expect(content.attachments).toEqual([{ filename: 'terms.pdf', status: 'stored' }])
    expect(content.links).toContainEqual({ identity_key: 'contact:c1', address: 'jane@startup.example' })
    expect(content.participants).toContainEqual({ role: 'bcc', address: 'jane@startup.example' })
    expect(content).toEqual(await stored(byHeaders))
    expect(await integrityProblems(byContent.db, byContent.blobs)).toEqual([])
  })

  it('fetches a 12 MB candidate listed as large as a part tree: its attachment pending, not downloaded', async () => {
    const s = await setup(open)
    const big = randomBytes(12 * 1024 * 1024)
    const ref = add(s, ANN, { id: 'dataroom@acme.vc', from: 'dana@acme.vc', to: ANN, body: 'Everything is attached.', file: { name: 'dataroom.zip', bytes: big } })
    const small = add(s, ANN, { id: 'note@acme.vc', from: 'dana@acme.vc', to: ANN, at: 1 })
    s.emu.stats.reset()
    const { page, result } = await capture(s, ANN, [ref, small], { medium: new Set([ref.id]), large: new Set([ref.id]) })
    expect(page).toMatchObject({ fetched: 2, discarded: 0, failed: [] })
    expect(result.captured).toBe(2)
    expect(gets(s.emu)).toEqual({ calls: 2, contents: 2 })
    expect(s.emu.stats.requests['messages.attachments.get']).toBeUndefined()
    const rows = await s.db.selectFrom('email_attachments').select(['filename', 'status', 'size', 'gmail_attachment_id']).execute()
    expect(rows).toEqual([{ filename: 'dataroom.zip', status: 'pending', size: big.byteLength, gmail_attachment_id: expect.stringMatching(/^ANGjdJ/) as unknown }])
    const email = await s.db.selectFrom('emails').select('body_text').where('message_id', '=', 'dataroom@acme.vc').executeTakeFirstOrThrow()
    expect(email.body_text).toBe('Everything is attached.')
    expect(blobFiles(s)).toEqual([])
  }, 60_000)

  it('fetches small candidates 25 per batch call and medium ones two per call', async () => {
    const s = await setup(open)
    const small = Array.from({ length: 30 }, (_, i) => add(s, ANN, { id: `small-${i}@acme.vc`, from: 'dana@acme.vc', to: ANN, at: i }))
    const medium = Array.from({ length: 3 }, (_, i) =>
      add(s, ANN, { id: `medium-${i}@acme.vc`, from: 'dana@acme.vc', to: ANN, at: 100 + i, file: { name: `m${i}.bin`, bytes: randomBytes(1_200_000) } }))
    s.emu.stats.reset()
    const { page, result } = await capture(s, ANN, [...medium, ...small], { medium: new Set(medium.map((r) => r.id)), large: new Set() })
    // 30 small: 25 + 5; 3 medium: 2 + 1. Raw, all of them: their files are stored at once.
    expect(s.emu.stats.requests.batch).toBe(4)
    expect(gets(s.emu)).toEqual({ calls: 33, contents: 33 })
    expect(page).toMatchObject({ fetched: 33, discarded: 0, failed: [] })
    expect(result).toMatchObject({ captured: 33, failed: [] })
    const statuses = await s.db.selectFrom('email_attachments').select('status').execute()
    expect(statuses.map((r) => r.status)).toEqual(['stored', 'stored', 'stored'])
  })

  it('skips candidates labelled draft, spam or trash after their one download, storing none', async () => {
    const s = await setup(open)
    const draft = add(s, ANN, { id: 'draft@acme.vc', from: ANN, to: 'dana@acme.vc' }, ['DRAFT'])
    const spam = add(s, ANN, { id: 'spam@acme.vc', from: 'dana@acme.vc', to: ANN }, ['SPAM'])
    const trash = add(s, ANN, { id: 'trash@acme.vc', from: 'dana@acme.vc', to: ANN }, ['TRASH'])
    const kept = add(s, ANN, { id: 'kept@acme.vc', from: 'dana@acme.vc', to: ANN })
    const { page, result } = await capture(s, ANN, [draft, spam, trash, kept])
    expect(reasons(page)).toEqual({ [draft.id]: 'draft', [spam.id]: 'spam', [trash.id]: 'trash' })
    expect(page).toMatchObject({ fetched: 4, discarded: 3, failed: [] })
    expect(result.captured).toBe(1)
    expect(await storedMessageIds(s)).toEqual(['kept@acme.vc'])
  })

  it('fails an unparseable candidate, skips a vanished one, and stores the rest of the page', async () => {
    const s = await setup(open)
    const broken = add(s, ANN, '\r\nNo header at all, only a body.\r\n')
    const gone = add(s, ANN, { id: 'gone@acme.vc', from: 'dana@acme.vc', to: ANN })
    const good = add(s, ANN, { id: 'good@acme.vc', from: 'dana@acme.vc', to: ANN, at: 1 })
    s.emu.deleteMessage(ANN, gone.id)
    const { page, result } = await capture(s, ANN, [broken, gone, good])
    expect(page.failed).toEqual([{ gmailId: broken.id, reason: 'no message header fields (not an email)', retryable: false }])
    expect(reasons(page)).toEqual({ [gone.id]: 'gone' })
    expect(page).toMatchObject({ fetched: 2, discarded: 0 })
    expect(result).toMatchObject({ captured: 1, failed: [] })
    expect(await storedMessageIds(s)).toEqual(['good@acme.vc'])
  })

  it('keeps two candidates that share a Message-ID but are different emails apart', async () => {
    const s = await setup(open)
    const first = add(s, ANN, { id: 'reused@acme.vc', from: 'dana@acme.vc', to: ANN, at: 1, body: 'First.' })
    const second = add(s, ANN, { id: 'reused@acme.vc', from: 'hal@globex.example', to: ANN, at: 2, body: 'Second.' })
    const { result } = await capture(s, ANN, [first, second])
    expect(result).toMatchObject({ captured: 2, failed: [] })
    const emails = await s.db.selectFrom('emails').select(['from_address', 'body_text']).orderBy('from_address').execute()
    expect(emails).toEqual([{ from_address: 'dana@acme.vc', body_text: 'First.' }, { from_address: 'hal@globex.example', body_text: 'Second.' }])
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
  })
})

/** What the capture stored, by value (no row ids, no timestamps), for comparing two stores. */
async function stored(s: CaptureSetup): Promise<Record<string, unknown[]>> {
  const db = s.db
  return {
    emails: await db.selectFrom('emails').select(['message_id', 'fingerprint', 'subject', 'is_draft']).orderBy('message_id').execute(),
    copies: await db
      .selectFrom('email_copies')
      .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
      .select(['email_accounts.address', 'gmail_id', 'gmail_thread_id', 'label_ids', 'internal_date'])
      .orderBy('gmail_id')
      .execute(),
    participants: await db.selectFrom('email_participants').select(['role', 'address']).orderBy('role').orderBy('position').execute(),
    links: await db.selectFrom('email_identity_links').select(['identity_key', 'address']).orderBy('identity_key').orderBy('address').execute(),
    attachments: await db.selectFrom('email_attachments').select(['filename', 'status']).orderBy('filename').execute(),
  }
}
