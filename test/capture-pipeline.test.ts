import { randomBytes } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRawMessage } from '../src/capture/parse/raw.js'
import { RAW_FETCH_MAX_BYTES } from '../src/capture/pipeline.js'
import type { DirectoryEntry } from '../src/hooks.js'
import { startGmailEmulator, type GmailEmulator } from '../src/testing/index.js'
import { mailWithAttachments } from './helpers/attachment-mail.js'
import {
  ANN,
  BOB,
  CAT,
  captureSnapshot,
  expectedParticipants,
  integrityProblems,
  startCaptureSetup,
  storedParticipants,
  threadPartition,
  type CaptureSetup,
  type CaptureSetupOptions,
  type MailboxRun,
} from './helpers/capture-setup.js'
import { describeEachDialect, openSqlite, type TestDatabase } from './helpers/databases.js'
import { loadMailFixture, mailFixtureNames } from './helpers/fixtures.js'

// The capture pipeline end to end: real HTTP to the Gmail emulator, the library's Gmail client
// and DWD credentials, a real database, the real blob store.

const setups: CaptureSetup[] = []
const emulators: GmailEmulator[] = []
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()))
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})

async function setup(open: () => Promise<TestDatabase>, options: CaptureSetupOptions = {}): Promise<CaptureSetup> {
  const s = await startCaptureSetup(open, options)
  setups.push(s)
  return s
}

async function sharedEmulator(): Promise<GmailEmulator> {
  const emu = await startGmailEmulator({ seed: 23, quota: Infinity, maxInFlight: Infinity })
  emulators.push(emu)
  return emu
}

const BASE = Date.UTC(2026, 5, 1, 9, 0, 0)

interface Mail {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly cc?: string
  readonly subject?: string
  /** Minutes after BASE. */
  readonly at?: number
  readonly inReplyTo?: string
  readonly references?: readonly string[]
  readonly body?: string
}

function rfc822(m: Mail): string {
  return [
    `From: ${m.from}`,
    `To: ${m.to}`,
    ...(m.cc === undefined ? [] : [`Cc: ${m.cc}`]),
    `Subject: ${m.subject ?? `About ${m.id}`}`,
    `Date: ${new Date(BASE + (m.at ?? 0) * 60_000).toUTCString()}`,
    `Message-ID: <${m.id}>`,
    ...(m.inReplyTo === undefined ? [] : [`In-Reply-To: <${m.inReplyTo}>`]),
    ...(m.references === undefined ? [] : [`References: ${m.references.map((r) => `<${r}>`).join(' ')}`]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    m.body ?? `Body of ${m.id}.`,
    '',
  ].join('\r\n')
}

/** Gmail ids whose content the emulator served, with how often. */
const downloads = (emu: GmailEmulator): Readonly<Record<string, number>> => emu.stats.downloads

const skipReasons = (run: MailboxRun): Record<string, string> => Object.fromEntries(run.skipped.map((s) => [s.gmailId, s.reason]))

/** Per Message-ID, the links as `key address kind`, sorted. */
async function linksByMessage(s: CaptureSetup): Promise<Record<string, string[]>> {
  const rows = await s.db
    .selectFrom('email_identity_links')
    .innerJoin('emails', 'emails.id', 'email_identity_links.email_id')
    .select(['emails.message_id', 'email_identity_links.identity_key', 'email_identity_links.address', 'email_identity_links.match_kind'])
    .execute()
  const out: Record<string, string[]> = {}
  for (const r of rows) (out[r.message_id] ??= []).push(`${r.identity_key} ${r.address} ${r.match_kind}`)
  for (const list of Object.values(out)) list.sort()
  return out
}

/** Gmail id -> Message-ID of every stored copy of a mailbox. */
async function storedCopies(s: CaptureSetup, address: string): Promise<Record<string, string>> {
  const rows = await s.db
    .selectFrom('email_copies')
    .innerJoin('emails', 'emails.id', 'email_copies.email_id')
    .select(['email_copies.gmail_id', 'emails.message_id'])
    .where('email_copies.account_id', '=', s.account(address).id)
    .execute()
  return Object.fromEntries(rows.map((r) => [r.gmail_id, r.message_id]))
}

/** Ann's mailbox: CRM mail of every kind, and every kind of mail that is not captured. */
function fillAnnsMailbox(emu: GmailEmulator) {
  const add = (m: Mail, labelIds: readonly string[] = ['INBOX']) => emu.addMessage(ANN, rfc822(m), { labelIds }).id
  const crm = {
    fund: add({ id: 'fund@acme.vc', from: 'Dana <dana@eu.acme.vc>', to: ANN, at: 1 }),
    org: add({ id: 'org@fund.example', from: `Ann <${ANN}>`, to: 'Hal <hal@globex.example>', cc: BOB, at: 2 }, ['SENT']),
    contact: add({ id: 'contact@startup.example', from: 'Jane <Jane+deals@startup.example>', to: ANN, at: 3 }),
    freeMailContact: add({ id: 'pat@gmail.example', from: 'Pat <P.a.t.Lee@GoogleMail.com>', to: ANN, at: 4 }),
    several: add({ id: 'several@acme.vc', from: 'dana@acme.vc', to: ANN, cc: 'jane@startup.example, hal@globex.example, cat@fund.example', at: 5 }),
  }
  const other = {
    newsletter: add({ id: 'news@marketing.example', from: 'News <news@marketing.example>', to: ANN, at: 6 }),
    personal: add({ id: 'friend@gmail.example', from: 'friend@gmail.com', to: ANN, at: 7 }),
    internal: add({ id: 'internal@fund.example', from: BOB, to: ANN, cc: CAT, at: 8 }),
  }
  const excluded = {
    spam: add({ id: 'spam@acme.vc', from: 'dana@acme.vc', to: ANN, at: 9 }, ['SPAM']),
    trash: add({ id: 'trash@acme.vc', from: 'dana@acme.vc', to: ANN, at: 10 }, ['TRASH']),
    draft: add({ id: 'draft@fund.example', from: ANN, to: 'dana@acme.vc', at: 11 }, ['DRAFT']),
    blockedAddress: add({ id: 'blocked@acme.vc', from: 'spammy@acme.vc', to: ANN, at: 12 }),
    blockedDomain: add({ id: 'blocked@globex.example', from: 'hal@globex.example', to: ANN, cc: 'x@mail.blocked.example', at: 13 }),
  }
  return { crm, other, excluded }
}

describeEachDialect('the capture pipeline', (open) => {
  it('captures exactly the CRM mail in matched mode, downloading nothing else', async () => {
    const s = await setup(open)
    const ids = fillAnnsMailbox(s.emu)
    s.emu.stats.reset()
    const run = await s.captureMailbox(ANN)

    const captured = Object.values(ids.crm)
    expect(run.listed).toHaveLength(13)
    expect(run.failed).toEqual([])
    expect(run.captured).toBe(captured.length)
    expect(run.fetched).toBe(captured.length)
    expect(skipReasons(run)).toEqual({
      [ids.other.newsletter]: 'unmatched',
      [ids.other.personal]: 'unmatched',
      [ids.other.internal]: 'internal',
      [ids.excluded.spam]: 'spam',
      [ids.excluded.trash]: 'trash',
      [ids.excluded.draft]: 'draft',
      [ids.excluded.blockedAddress]: 'blocked',
      [ids.excluded.blockedDomain]: 'blocked',
    })

    // Content (raw or full) was served once per captured message and for nothing else;
    // every listed message was read as metadata.
    expect(downloads(s.emu)).toEqual(Object.fromEntries(captured.map((id) => [id, 1])))
    expect(s.emu.stats.requests['messages.get']).toBe(run.listed.length + captured.length)
    expect(s.emu.stats.requests['messages.attachments.get']).toBeUndefined()

    expect(await storedCopies(s, ANN)).toEqual({
      [ids.crm.fund]: 'fund@acme.vc',
      [ids.crm.org]: 'org@fund.example',
      [ids.crm.contact]: 'contact@startup.example',
      [ids.crm.freeMailContact]: 'pat@gmail.example',
      [ids.crm.several]: 'several@acme.vc',
    })
    expect(await linksByMessage(s)).toEqual({
      'fund@acme.vc': ['fund:7 dana@eu.acme.vc domain'],
      'org@fund.example': ['org:globex hal@globex.example domain'],
      'contact@startup.example': ['contact:c1 jane+deals@startup.example exact'],
      'pat@gmail.example': ['contact:c2 p.a.t.lee@googlemail.com exact'],
      'several@acme.vc': ['contact:c1 jane@startup.example exact', 'fund:7 dana@acme.vc domain', 'org:globex hal@globex.example domain'],
    })

    const org = await s.db.selectFrom('email_copies').selectAll().where('gmail_id', '=', ids.crm.org).executeTakeFirstOrThrow()
    expect(JSON.parse(org.label_ids)).toEqual(['SENT'])
    expect(org.account_id).toBe(s.account(ANN).id)
    const several = await s.db.selectFrom('emails').selectAll().where('message_id', '=', 'several@acme.vc').executeTakeFirstOrThrow()
    expect(several).toMatchObject({ from_address: 'dana@acme.vc', subject: 'About several@acme.vc', body_text: 'Body of several@acme.vc.', sent_at: new Date(BASE + 5 * 60_000).toISOString() })
    expect((await storedParticipants(s.db, several.id)).map((p) => `${p.role}:${p.address}`)).toEqual([
      'from:dana@acme.vc',
      `to:${ANN}`,
      'cc:jane@startup.example',
      'cc:hal@globex.example',
      `cc:${CAT}`,
    ])
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
  })

  it('stores everything but spam, trash, drafts and blocked mail in all mode', async () => {
    const s = await setup(open, { config: { capture: 'all' } })
    const ids = fillAnnsMailbox(s.emu)
    s.emu.stats.reset()
    const run = await s.captureMailbox(ANN)

    const stored = [...Object.values(ids.crm), ...Object.values(ids.other)]
    expect(run.failed).toEqual([])
    expect(run.captured).toBe(stored.length)
    expect(skipReasons(run)).toEqual({
      [ids.excluded.spam]: 'spam',
      [ids.excluded.trash]: 'trash',
      [ids.excluded.draft]: 'draft',
      [ids.excluded.blockedAddress]: 'blocked',
      [ids.excluded.blockedDomain]: 'blocked',
    })
    expect(Object.keys(await storedCopies(s, ANN)).sort()).toEqual([...stored].sort())
    expect(downloads(s.emu)).toEqual(Object.fromEntries(stored.map((id) => [id, 1])))
    // Mail without a CRM participant is archived without links.
    const links = await linksByMessage(s)
    for (const id of ['news@marketing.example', 'friend@gmail.example', 'internal@fund.example']) expect(links[id]).toBeUndefined()
    expect(links['fund@acme.vc']).toEqual(['fund:7 dana@eu.acme.vc domain'])
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
  })

  describe('a team of three sharing conversations', () => {
    /*
     * Who holds which message (Gmail puts a reply in its parent's thread only when the parent is
     * in the same mailbox, so the Gmail threads differ between mailboxes):
     *   t1: dana -> ann cc bob; ann replies (cc bob); bob replies (cc cat); dana answers cat alone.
     *   x: jane -> the whole team; cat replies alone.
     *   g: globex writes to bob; a follow-up reaches ann only (her mailbox lacks the parent).
     *   r: dana -> ann; bob and cat each reply in their own mailbox (siblings of a parent they lack).
     *   p: an internal note (never captured); dana replies to it in ann's and in bob's mailbox.
     *   s: a lone message in bob's mailbox.
     */
    const conversation: { mail: Mail; holders: Partial<Record<string, string[]>>; joinThreadOf?: string }[] = [
      { mail: { id: 'm1@acme.vc', from: 'dana@acme.vc', to: ANN, cc: BOB, subject: 'Deal', at: 1 }, holders: { [ANN]: ['INBOX'], [BOB]: ['INBOX'] } },
      {
        mail: { id: 'm2@fund.example', from: ANN, to: 'dana@acme.vc', cc: BOB, subject: 'Re: Deal', at: 2, inReplyTo: 'm1@acme.vc', references: ['m1@acme.vc'] },
        holders: { [ANN]: ['SENT'], [BOB]: ['INBOX'] },
      },
      {
        mail: { id: 'm3@fund.example', from: BOB, to: 'dana@acme.vc', cc: CAT, subject: 'Re: Deal', at: 3, inReplyTo: 'm2@fund.example', references: ['m1@acme.vc', 'm2@fund.example'] },
        holders: { [BOB]: ['SENT'], [CAT]: ['INBOX'] },
      },
      {
        mail: { id: 'm4@acme.vc', from: 'dana@acme.vc', to: CAT, subject: 'Re: Deal', at: 4, inReplyTo: 'm3@fund.example', references: ['m1@acme.vc', 'm2@fund.example', 'm3@fund.example'] },
        holders: { [CAT]: ['INBOX'] },
      },
      { mail: { id: 'x1@startup.example', from: 'jane@startup.example', to: `${ANN}, ${BOB}, ${CAT}`, subject: 'Intro', at: 5 }, holders: { [ANN]: ['INBOX'], [BOB]: ['INBOX'], [CAT]: ['INBOX'] } },
      {
        mail: { id: 'x2@fund.example', from: CAT, to: 'jane@startup.example', subject: 'Re: Intro', at: 6, inReplyTo: 'x1@startup.example', references: ['x1@startup.example'] },
        holders: { [CAT]: ['SENT'] },
      },
      { mail: { id: 'g1@globex.example', from: 'hal@globex.example', to: BOB, subject: 'Pilot', at: 7 }, holders: { [BOB]: ['INBOX'] } },
      {
        mail: { id: 'g2@globex.example', from: 'hal@globex.example', to: ANN, subject: 'Re: Pilot', at: 8, inReplyTo: 'g1@globex.example', references: ['g1@globex.example'] },
        holders: { [ANN]: ['INBOX'] },
      },
      { mail: { id: 'r1@acme.vc', from: 'dana@acme.vc', to: ANN, subject: 'Terms', at: 9 }, holders: { [ANN]: ['INBOX'] } },
      {
        mail: { id: 'r2@fund.example', from: BOB, to: 'dana@acme.vc', subject: 'Re: Terms', at: 10, inReplyTo: 'r1@acme.vc', references: ['r1@acme.vc'] },
        holders: { [BOB]: ['SENT'] },
      },
      {
        mail: { id: 'r3@fund.example', from: CAT, to: 'dana@acme.vc', subject: 'Re: Terms', at: 11, inReplyTo: 'r1@acme.vc', references: ['r1@acme.vc'] },
        holders: { [CAT]: ['SENT'] },
      },
      { mail: { id: 'p0@fund.example', from: ANN, to: BOB, subject: 'Note', at: 12 }, holders: { [ANN]: ['SENT'], [BOB]: ['INBOX'] } },
      {
        mail: { id: 'p1@acme.vc', from: 'dana@acme.vc', to: ANN, subject: 'Re: Note', at: 13, inReplyTo: 'p0@fund.example', references: ['p0@fund.example'] },
        holders: { [ANN]: ['INBOX'] },
      },
      {
        mail: { id: 'p2@acme.vc', from: 'dana@acme.vc', to: BOB, subject: 'Re: Note', at: 14, inReplyTo: 'p0@fund.example', references: ['p0@fund.example'] },
        holders: { [BOB]: ['INBOX'] },
      },
      { mail: { id: 's1@acme.vc', from: 'dana@acme.vc', to: BOB, subject: 'Alone', at: 15 }, holders: { [BOB]: ['INBOX'] } },
      // Unrelated by headers, but Bob's Gmail put it in the thread of s1: the threads join.
      { mail: { id: 'z1@acme.vc', from: 'dana@acme.vc', to: `${ANN}, ${BOB}`, subject: 'Other', at: 16 }, holders: { [ANN]: ['INBOX'], [BOB]: ['INBOX'] }, joinThreadOf: 's1@acme.vc' },
    ]
    const expectedThreads = [
      ['g1@globex.example', 'g2@globex.example'],
      ['m1@acme.vc', 'm2@fund.example', 'm3@fund.example', 'm4@acme.vc'],
      ['p1@acme.vc', 'p2@acme.vc'],
      ['r1@acme.vc', 'r2@fund.example', 'r3@fund.example'],
      ['s1@acme.vc', 'z1@acme.vc'],
      ['x1@startup.example', 'x2@fund.example'],
    ]
    const captured = conversation.filter((c) => c.mail.id !== 'p0@fund.example')

    /** Adds every message to its holders' mailboxes; returns Message-ID -> Gmail ids. */
    function fill(emu: GmailEmulator): Map<string, string[]> {
      const gmailIds = new Map<string, string[]>()
      const gmailThreads = new Map<string, string>()
      for (const { mail, holders, joinThreadOf } of conversation) {
        for (const [address, labelIds] of Object.entries(holders)) {
          const threadId = joinThreadOf === undefined ? undefined : gmailThreads.get(`${address} ${joinThreadOf}`)
          const { id, threadId: gmailThread } = emu.addMessage(address, rfc822(mail), { labelIds: labelIds ?? ['INBOX'], ...(threadId === undefined ? {} : { threadId }) })
          gmailIds.set(mail.id, [...(gmailIds.get(mail.id) ?? []), id])
          gmailThreads.set(`${address} ${mail.id}`, gmailThread)
        }
      }
      return gmailIds
    }

    const orders = [
      [ANN, BOB, CAT],
      [ANN, CAT, BOB],
      [BOB, ANN, CAT],
      [BOB, CAT, ANN],
      [CAT, ANN, BOB],
      [CAT, BOB, ANN],
    ]

    it('stores one email per message and a copy per mailbox, downloads each once, and threads alike in every order', async () => {
      const emu = await sharedEmulator()
      const gmailIds = fill(emu)
      const partitions: string[][][] = []
      for (const order of orders) {
        const s = await setup(open, { emulator: emu })
        emu.stats.reset()
        for (const address of order) {
          const run = await s.captureMailbox(address)
          expect(run.failed, `${order.join(' > ')}: ${address}`).toEqual([])
        }
        const label = order.join(' > ')
        const emails = await s.db.selectFrom('emails').select('message_id').execute()
        expect(emails.map((e) => e.message_id).sort(), label).toEqual(captured.map((c) => c.mail.id).sort())
        for (const { mail, holders } of captured) {
          const copies = await s.db
            .selectFrom('email_copies')
            .innerJoin('emails', 'emails.id', 'email_copies.email_id')
            .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
            .select('email_accounts.address')
            .where('emails.message_id', '=', mail.id)
            .execute()
          expect(copies.map((c) => c.address).sort(), `${label}: copies of ${mail.id}`).toEqual(Object.keys(holders).sort())
          // The team downloaded the content once; the other mailboxes' copies came from headers.
          const served = (gmailIds.get(mail.id) ?? []).reduce((sum, id) => sum + (downloads(emu)[id] ?? 0), 0)
          expect(served, `${label}: downloads of ${mail.id}`).toBe(1)
        }
        for (const id of gmailIds.get('p0@fund.example') ?? []) expect(downloads(emu)[id], label).toBeUndefined()
        const partition = await threadPartition(s.db)
        expect(partition, label).toEqual(expectedThreads)
        partitions.push(partition)
        expect(await integrityProblems(s.db, s.blobs), label).toEqual([])
        await s.close()
        setups.splice(setups.indexOf(s), 1)
      }
      expect(new Set(partitions.map((p) => JSON.stringify(p))).size).toBe(1)
    })

    it('stores the same participants and links whichever copy comes first when only the sender\'s copy shows the Bcc', async () => {
      // Ann's sent copy names her Bcc recipient; Bob's received copy cannot. Same Message-ID,
      // From and Date: one email, whichever mailbox is read first.
      const emu = await sharedEmulator()
      const headers = ['From: Ann <ann@fund.example>', 'To: dana@acme.vc', `Cc: ${BOB}`, 'Subject: Terms', `Date: ${new Date(BASE).toUTCString()}`, 'Message-ID: <bcc@fund.example>']
      const body = ['', 'Terms attached.', '']
      emu.addMessage(ANN, [...headers, 'Bcc: Jane <jane@startup.example>', ...body].join('\r\n'), { labelIds: ['SENT'] })
      emu.addMessage(BOB, [...headers, ...body].join('\r\n'))
      const stored: unknown[] = []
      for (const order of [[ANN, BOB], [BOB, ANN]]) {
        const s = await setup(open, { emulator: emu })
        for (const address of order) expect((await s.captureMailbox(address)).failed).toEqual([])
        const email = await s.db.selectFrom('emails').select('id').where('message_id', '=', 'bcc@fund.example').executeTakeFirstOrThrow()
        stored.push({
          participants: (await storedParticipants(s.db, email.id)).map((p) => `${p.role}:${p.address}`),
          links: (await linksByMessage(s))['bcc@fund.example'],
          problems: await integrityProblems(s.db, s.blobs),
        })
        await s.close()
        setups.splice(setups.indexOf(s), 1)
      }
      expect(stored[1], 'Bob first vs Ann first').toEqual(stored[0])
      expect(stored[0]).toMatchObject({ problems: [] })
    })

    it('changes nothing and downloads nothing when the same listings run again', async () => {
      const s = await setup(open)
      fill(s.emu)
      const first: MailboxRun[] = []
      for (const address of [ANN, BOB, CAT]) first.push(await s.captureMailbox(address))
      const before = await captureSnapshot(s.db)
      s.emu.stats.reset()
      for (const [i, address] of [ANN, BOB, CAT].entries()) {
        const again = await s.captureMailbox(address)
        const firstRun = first[i]
        expect(again.listed).toEqual(firstRun?.listed)
        expect(again).toMatchObject({ captured: 0, fetched: 0, failed: [] })
        // What was stored is now known; what was skipped is skipped for the same reason.
        const storedBefore = new Set(firstRun?.listed.filter((id) => !firstRun.skipped.some((sk) => sk.gmailId === id)))
        const expected = Object.fromEntries(again.listed.map((id) => [id, storedBefore.has(id) ? 'known' : (skipReasons(firstRun ?? again)[id] ?? '?')]))
        expect(skipReasons(again)).toEqual(expected)
      }
      expect(downloads(s.emu)).toEqual({})
      expect(await captureSnapshot(s.db)).toEqual(before)
    })
  })

  it('fetches a message too large for raw as full: attachments pending within the limit, skipped over it, none downloaded', async () => {
    // 1 MiB attachment limit: the raw limit drops with it.
    const s = await setup(open, { config: { maxAttachmentMb: 1 } })
    const withAttachments = (id: string, files: [string, number][]) =>
      mailWithAttachments({ to: ANN, messageId: id, date: new Date(BASE), files: files.map(([name, bytes]) => ({ name, bytes: randomBytes(bytes) })) })
    const big = s.emu.addMessage(ANN, withAttachments('big@acme.vc', [['deck.pdf', 600_000], ['video.bin', 1_500_000]])).id
    const small = s.emu.addMessage(ANN, withAttachments('small@acme.vc', [['memo.pdf', 200_000]])).id
    s.emu.stats.reset()
    const run = await s.captureMailbox(ANN)
    expect(run).toMatchObject({ captured: 2, fetched: 2, failed: [], skipped: [] })
    expect(downloads(s.emu)).toEqual({ [big]: 1, [small]: 1 })
    expect(s.emu.stats.requests['messages.attachments.get']).toBeUndefined()

    const rows = await s.db
      .selectFrom('email_attachments')
      .innerJoin('emails', 'emails.id', 'email_attachments.email_id')
      .select(['emails.message_id', 'filename', 'status', 'size', 'sha256', 'gmail_attachment_id', 'part_id', 'copy_id', 'error'])
      .orderBy('emails.message_id')
      .orderBy('position')
      .execute()
    const bigCopy = await s.db.selectFrom('email_copies').select('id').where('gmail_id', '=', big).executeTakeFirstOrThrow()
    expect(rows).toEqual([
      expect.objectContaining({ message_id: 'big@acme.vc', filename: 'deck.pdf', status: 'pending', size: 600_000, sha256: null, copy_id: bigCopy.id, error: null }),
      expect.objectContaining({ message_id: 'big@acme.vc', filename: 'video.bin', status: 'skipped', size: 1_500_000, sha256: null, error: 'larger than 1 MB' }),
      expect.objectContaining({ message_id: 'small@acme.vc', filename: 'memo.pdf', status: 'stored', size: 200_000 }),
    ])
    expect(rows[0]?.gmail_attachment_id).toMatch(/^ANGjdJ/)
    expect(rows[0]?.part_id).toBe('1')
    const stored = rows[2]?.sha256 ?? ''
    expect(await s.blobs.has(stored)).toBe(true)
    const email = await s.db.selectFrom('emails').selectAll().where('message_id', '=', 'big@acme.vc').executeTakeFirstOrThrow()
    expect(email).toMatchObject({ body_text: 'See attached.', has_attachments: 1 })
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
  })

  it('fetches a message with a 25 MB attachment as full, its attachment pending and not downloaded', async () => {
    const s = await setup(open)
    const payload = randomBytes(25 * 1024 * 1024)
    const raw = mailWithAttachments({
      to: ANN,
      messageId: 'dataroom@acme.vc',
      date: new Date(BASE),
      subject: 'The data room',
      text: 'Everything is attached.',
      files: [{ name: 'dataroom.zip', type: 'application/zip', bytes: payload }],
    })
    expect(raw.length).toBeGreaterThan(RAW_FETCH_MAX_BYTES)
    const { id } = s.emu.addMessage(ANN, raw)
    s.emu.stats.reset()
    const run = await s.captureMailbox(ANN)
    expect(run).toMatchObject({ captured: 1, fetched: 1, failed: [] })
    expect(downloads(s.emu)).toEqual({ [id]: 1 })
    expect(s.emu.stats.requests['messages.attachments.get']).toBeUndefined()
    const rows = await s.db.selectFrom('email_attachments').select(['filename', 'status', 'size', 'gmail_attachment_id']).execute()
    expect(rows).toEqual([{ filename: 'dataroom.zip', status: 'pending', size: payload.byteLength, gmail_attachment_id: expect.stringMatching(/^ANGjdJ/) as unknown }])
    const email = await s.db.selectFrom('emails').select(['body_text', 'size_bytes']).executeTakeFirstOrThrow()
    expect(email).toEqual({ body_text: 'Everything is attached.', size_bytes: raw.length })
  }, 60_000)

  it('keeps two different messages that share a Message-ID apart, and downloads the second', async () => {
    const s = await setup(open)
    const first = s.emu.addMessage(ANN, rfc822({ id: 'reused@acme.vc', from: 'dana@acme.vc', to: ANN, at: 1, body: 'First.' })).id
    // A broken mailer reuses the id: another sender, another date.
    const second = s.emu.addMessage(BOB, rfc822({ id: 'reused@acme.vc', from: 'hal@globex.example', to: BOB, at: 2, body: 'Second.' })).id
    const same = s.emu.addMessage(CAT, rfc822({ id: 'reused@acme.vc', from: 'dana@acme.vc', to: ANN, at: 1, body: 'First.' })).id
    for (const address of [ANN, BOB, CAT]) expect((await s.captureMailbox(address)).failed).toEqual([])
    const emails = await s.db.selectFrom('emails').select(['from_address', 'body_text']).orderBy('from_address').execute()
    expect(emails).toEqual([{ from_address: 'dana@acme.vc', body_text: 'First.' }, { from_address: 'hal@globex.example', body_text: 'Second.' }])
    expect(downloads(s.emu)).toEqual({ [first]: 1, [second]: 1 })
    expect(downloads(s.emu)[same]).toBeUndefined()
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
  })

  it('undoes a message whose write fails, alone, and commits the rest of the page', async () => {
    const s = await setup(open)
    for (const [i, id] of ['ok-1@acme.vc', 'ok-2@acme.vc'].entries()) s.emu.addMessage(ANN, rfc822({ id, from: 'dana@acme.vc', to: ANN, at: i, references: ['root@acme.vc'] }))
    const listing = await s.client(ANN).listMessages({ maxResults: 10 })
    const page = await s.pipeline.prepare(s.account(ANN), s.client(ANN), listing.messages ?? [])
    expect(page.records).toHaveLength(2)
    const [first] = page.records
    if (first === undefined) throw new Error('no record')
    // A new email whose attachment row breaks a NOT NULL constraint: its thread, thread key,
    // email, participants, references, copy and links are all written before the last insert fails.
    const broken = { filename: null as unknown as string, mimeType: 'text/plain', size: 1, contentId: null, inline: false, status: 'failed' as const, sha256: null, gmailAttachmentId: null, partId: null, error: 'x' }
    const doomed = {
      ...first,
      gmailId: 'doomed',
      gmailThreadId: 'doomed-thread',
      email: { ...first.email, messageId: 'doomed@acme.vc', references: ['elsewhere@acme.vc'], inReplyTo: null },
      attachments: [broken],
    }
    const before = await captureSnapshot(s.db)
    const result = await s.db.transaction().execute((trx) => s.pipeline.commit(trx, { ...page, records: [first, doomed, ...page.records.slice(1)] }, new Date().toISOString()))
    expect(result.captured).toBe(2)
    expect(result.failed).toEqual([{ gmailId: 'doomed', reason: expect.stringMatching(/^storing failed: /) as unknown, retryable: true }])
    expect((await s.db.selectFrom('emails').select('message_id').orderBy('message_id').execute()).map((e) => e.message_id)).toEqual(['ok-1@acme.vc', 'ok-2@acme.vc'])
    expect(before.emails).toEqual([])
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
    // The two stored replies to one missing root share a thread; the undone one left none behind.
    expect(await threadPartition(s.db)).toEqual([['ok-1@acme.vc', 'ok-2@acme.vc']])
    expect(await s.db.selectFrom('email_threads').select('id').execute()).toHaveLength(1)
  })

  it('stores a copy whose Gmail internalDate is out of range without throwing', async () => {
    // Gmail's internalDate is external input: a value past what a Date can hold must not
    // take the page down (it did in the copy path, and failed the message as "storing
    // attachments failed" in the content path).
    const s = await setup(open)
    const raw = rfc822({ id: 'late@acme.vc', from: 'dana@acme.vc', to: `${ANN}, ${BOB}` })
    const beyond = 8.64e15 + 1
    s.emu.addMessage(ANN, raw, { internalDate: BASE })
    const bobs = s.emu.addMessage(BOB, raw, { internalDate: beyond }).id
    const alone = s.emu.addMessage(BOB, rfc822({ id: 'alone@acme.vc', from: 'dana@acme.vc', to: BOB }), { internalDate: beyond }).id
    expect((await s.captureMailbox(ANN)).failed).toEqual([])
    const run = await s.captureMailbox(BOB)
    expect(run).toMatchObject({ captured: 2, failed: [] })
    const copies = await s.db.selectFrom('email_copies').select(['gmail_id', 'internal_date']).where('account_id', '=', s.account(BOB).id).orderBy('gmail_id').execute()
    expect(copies).toEqual([{ gmail_id: bobs, internal_date: null }, { gmail_id: alone, internal_date: null }].sort((a, b) => a.gmail_id.localeCompare(b.gmail_id)))
    expect(downloads(s.emu)[bobs]).toBeUndefined()
  })

  /** A message from Dana to Ann with extra header lines and a body (multipart when `parts` says so). */
  const hostile = (id: string, extra: readonly string[], body: readonly string[]) =>
    ['From: dana@acme.vc', `To: ${ANN}`, 'Subject: Hostile', `Date: ${new Date(BASE).toUTCString()}`, `Message-ID: <${id}>`, ...extra, 'MIME-Version: 1.0', ...body].join('\r\n')

  it('keeps NUL out of an attachment type, so every database stores the message', async () => {
    // PostgreSQL refuses NUL in text: the message failed there as a retryable "storing failed"
    // (forever), while SQLite stored the NUL. Every other header-derived column strips it.
    const s = await setup(open)
    const raw = hostile('nul-type@acme.vc', [], [
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'See attached.',
      '--b',
      'Content-Type: app\0lication/pdf; name="a.pdf"',
      'Content-Disposition: attachment; filename="a.pdf"',
      '',
      'PDF',
      '--b--',
      '',
    ])
    s.emu.addMessage(ANN, raw)
    const run = await s.captureMailbox(ANN)
    expect(run.failed).toEqual([])
    const types = await s.db.selectFrom('email_attachments').select('mime_type').execute()
    expect(types).toHaveLength(1)
    expect(types[0]?.mime_type).not.toContain('\0')
  })

  it('stores a message whose Message-ID or reference is long in UTF-8 bytes', async () => {
    // 990 CJK characters pass the 998-character id limit but are ~3,000 UTF-8 bytes: over
    // PostgreSQL's 2,704-byte btree row limit of emails_dedup_uq and email_references_pk, so
    // the message failed there (retryably, forever) while SQLite stored it.
    const s = await setup(open)
    const longId = Array.from({ length: 990 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000))).join('')
    const plain = ['Content-Type: text/plain; charset=utf-8', '', 'x', '']
    const ids = {
      [s.emu.addMessage(ANN, Buffer.from(hostile(longId, [], plain), 'utf8')).id]: 'long Message-ID',
      [s.emu.addMessage(ANN, Buffer.from(hostile('long-ref@acme.vc', [`References: <${longId}>`], plain), 'utf8')).id]: 'long reference',
    }
    const run = await s.captureMailbox(ANN)
    expect(run.failed.map((f) => `${ids[f.gmailId] ?? '?'}: ${f.reason}`)).toEqual([])
    expect(run.captured).toBe(2)
  })

  describe('the mail corpus', () => {
    const externalDomains = [
      'client.example', 'startup.example', 'lawfirm.example', 'marketing.example', 'example.co.jp',
      'partner.example.ru', 'firma.example', 'vendor.example', 'attacker.example', 'bigco.example', 'globex.example',
    ]
    const corpusDirectory: DirectoryEntry[] = [
      ...externalDomains.map((domain, i): DirectoryEntry => ({ type: 'org', id: i + 1, name: domain, domains: [domain] })),
      { type: 'contact', id: 'daemon', name: 'Mailer daemon', emails: ['mailer-daemon@googlemail.com'] },
    ]
    /** Corpus messages between teammates only: not CRM mail in matched mode. */
    const internalOnly = ['forwarded-rfc822.eml', 'inline-rfc822.eml', 'missing-headers.eml']
    const manyRecipients = [
      'From: Dana <dana@acme.vc>',
      `To: ${Array.from({ length: 10_000 }, (_, i) => `"Recipient ${i}" <r${i}@globex.example>`).join(',\r\n ')}`,
      `Cc: ${ANN}`,
      'Subject: To everyone',
      `Date: ${new Date(BASE).toUTCString()}`,
      'Message-ID: <everyone@acme.vc>',
      '',
      'Hello all.',
      '',
    ].join('\r\n')

    /** Adds every fixture (and the 10,000-recipient message) to Ann's mailbox; returns Gmail id -> name. */
    function fillCorpus(s: CaptureSetup): Map<string, string> {
      const names = new Map<string, string>()
      for (const name of mailFixtureNames()) names.set(s.emu.addMessage(ANN, Buffer.from(loadMailFixture(name))).id, name)
      names.set(s.emu.addMessage(ANN, manyRecipients).id, 'many-recipients')
      return names
    }

    const rawOf = (name: string): Uint8Array => (name === 'many-recipients' ? new TextEncoder().encode(manyRecipients) : loadMailFixture(name))

    /** Every stored copy matches a direct parse of the same bytes; returns the names stored. */
    async function checkStored(s: CaptureSetup, names: Map<string, string>): Promise<string[]> {
      const copies = await s.db
        .selectFrom('email_copies')
        .innerJoin('emails', 'emails.id', 'email_copies.email_id')
        .select(['email_copies.gmail_id', 'email_copies.internal_date', 'emails.id', 'emails.message_id', 'emails.subject', 'emails.body_text', 'emails.sent_at'])
        .execute()
      const stored: string[] = []
      for (const copy of copies) {
        const name = names.get(copy.gmail_id) ?? '?'
        stored.push(name)
        const internalDate = copy.internal_date === null ? null : String(Date.parse(copy.internal_date))
        const parsed = await parseRawMessage(rawOf(name), { internalDate })
        if (!parsed.ok) throw new Error(`${name} was stored but does not parse: ${parsed.reason}`)
        const email = parsed.value
        expect({ messageId: copy.message_id, subject: copy.subject, text: copy.body_text, date: copy.sent_at }, name).toEqual({
          messageId: email.messageId,
          subject: email.subject,
          text: email.text,
          date: email.date,
        })
        expect(await storedParticipants(s.db, copy.id), name).toEqual(expectedParticipants(email))
        const attachments = await s.db.selectFrom('email_attachments').select(['filename', 'status', 'size']).where('email_id', '=', copy.id).orderBy('position').execute()
        expect(attachments.map((a) => a.filename), name).toEqual(email.attachments.map((a) => a.filename))
        for (const a of attachments) {
          expect(a.status, `${name}: ${a.filename}`).toBe('stored')
          expect(a.filename).not.toContain('\0')
        }
      }
      return stored.sort()
    }

    /** Only hash-named files, two hash-prefix folders deep: no file name from mail became a path. */
    function blobPaths(dir: string): string[] {
      const out: string[] = []
      const walk = (at: string): void => {
        for (const entry of readdirSync(at)) {
          const path = join(at, entry)
          if (statSync(path).isDirectory()) walk(path)
          else out.push(relative(dir, path).split(sep).join('/'))
        }
      }
      walk(dir)
      return out
    }

    it('stores every CRM message of the corpus or records why not, in matched mode', async () => {
      const s = await setup(open, { directory: corpusDirectory })
      const names = fillCorpus(s)
      const run = await s.captureMailbox(ANN)
      for (const f of run.failed) expect(f.reason, names.get(f.gmailId)).toMatch(/\S/)
      expect(run.skipped.map((sk) => `${names.get(sk.gmailId) ?? '?'} ${sk.reason}`).sort()).toEqual(internalOnly.map((n) => `${n} internal`))
      const stored = await checkStored(s, names)
      const failed = run.failed.map((f) => names.get(f.gmailId) ?? '?')
      expect([...stored, ...failed, ...internalOnly].sort()).toEqual([...names.values()].sort())
      expect(failed).toEqual([])
      expect(downloads(s.emu)).toEqual(Object.fromEntries([...names].filter(([, n]) => !internalOnly.includes(n)).map(([id]) => [id, 1])))
      const everyone = await s.db.selectFrom('emails').select('id').where('message_id', '=', 'everyone@acme.vc').executeTakeFirstOrThrow()
      const linkCount = await s.db.selectFrom('email_identity_links').select((eb) => eb.fn.countAll<number | string>().as('n')).where('email_id', '=', everyone.id).executeTakeFirstOrThrow()
      expect(Number(linkCount.n)).toBe(10_000) // acme.vc is not in this directory; globex.example is
      for (const path of blobPaths(s.blobs.dir)) expect(path).toMatch(/^([0-9a-f]{2})\/([0-9a-f]{2})\/\1\2[0-9a-f]{60}$/)
      expect(await integrityProblems(s.db, s.blobs)).toEqual([])
    })

    it('stores every message of the corpus or records why not, in all mode', async () => {
      const s = await setup(open, { config: { capture: 'all' } })
      const names = fillCorpus(s)
      const run = await s.captureMailbox(ANN)
      expect(run.skipped).toEqual([])
      for (const f of run.failed) expect(f.reason, names.get(f.gmailId)).toMatch(/\S/)
      const stored = await checkStored(s, names)
      expect([...stored, ...run.failed.map((f) => names.get(f.gmailId) ?? '?')].sort()).toEqual([...names.values()].sort())
      // The 10,000 recipients are all participants, and all linked to the org of their domain.
      const everyone = await s.db.selectFrom('emails').select('id').where('message_id', '=', 'everyone@acme.vc').executeTakeFirstOrThrow()
      const links = await s.db.selectFrom('email_identity_links').select(['identity_key']).where('email_id', '=', everyone.id).execute()
      expect(links).toHaveLength(10_001)
      expect(new Set(links.map((l) => l.identity_key))).toEqual(new Set(['org:globex', 'fund:7']))
      expect(await integrityProblems(s.db, s.blobs)).toEqual([])
    })
  })
})

describe('the capture pipeline on SQLite alone', () => {
  it('links an email only through its participants, whatever a decoded display name looks like', async () => {
    // Gmail hands metadata header values over RFC 2047-decoded (as the emulator does), so an
    // encoded display name can read as an address: `=?UTF-8?Q?dana=40acme.vc=2C?= <x@...>`
    // arrives as `dana@acme.vc, <x@...>`. The raw reading knows it is a name. Nobody of the
    // fund took part, so the fund must not be linked (nor, in matched mode, the mail stored).
    const s = await setup(openSqlite)
    s.emu.addMessage(ANN, [
      'From: Eve <eve@elsewhere.example>',
      `To: =?UTF-8?Q?dana=40acme.vc=2C?= <x@elsewhere.example>, ${ANN}`,
      'Subject: Hello',
      `Date: ${new Date(BASE).toUTCString()}`,
      'Message-ID: <spoof@elsewhere.example>',
      '',
      'Hi.',
      '',
    ].join('\r\n'))
    const run = await s.captureMailbox(ANN)
    expect(run.failed).toEqual([])
    expect(await linksByMessage(s)).toEqual({})
    expect(await integrityProblems(s.db, s.blobs)).toEqual([])
    expect(run.captured).toBe(0)
  })

  it('reports a message Gmail no longer has as gone, without failing the page', async () => {
    const s = await setup(openSqlite)
    const kept = s.emu.addMessage(ANN, rfc822({ id: 'kept@acme.vc', from: 'dana@acme.vc', to: ANN })).id
    const page = await s.pipeline.prepare(s.account(ANN), s.client(ANN), [
      { id: kept, threadId: kept },
      { id: '18c0ffee00000001', threadId: '18c0ffee00000001' },
    ])
    expect(page.skipped).toEqual([{ gmailId: '18c0ffee00000001', reason: 'gone' }])
    expect(page.records.map((r) => r.gmailId)).toEqual([kept])
  })
})
