import { readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseRawMessage } from '../../src/capture/parse/raw.js'
import type { DirectoryEntry } from '../../src/hooks.js'
import type { GmailEmulator } from '../../src/testing/index.js'
import {
  captureSnapshot,
  expectedParticipants,
  integrityProblems,
  storedParticipants,
  threadPartition,
  type CaptureSetup,
  type MailboxRun,
} from '../helpers/capture-setup.js'
import { BASE, downloads, linksByMessage, rfc822, setup, setups, sharedEmulator, skipReasons, type Mail } from '../helpers/capture-pipeline-world.js'
import { describeEachDialect } from '../helpers/databases.js'
import { loadMailFixture, mailFixtureNames } from '../helpers/fixtures.js'
import { buildMessage } from '../helpers/message.js'
import { ANN, BOB, CAT } from '../helpers/team.js'

// The capture pipeline across a team, and over the mail corpus: real HTTP to the Gmail emulator,
// the library's Gmail client and DWD credentials, a real database, the real blob store.

describeEachDialect('the capture pipeline', (open) => {
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
      const terms = { from: `Ann <${ANN}>`, to: 'dana@acme.vc', cc: BOB, subject: 'Terms', date: new Date(BASE), messageId: 'bcc@fund.example', text: 'Terms attached.' }
      emu.addMessage(ANN, buildMessage({ ...terms, bcc: 'Jane <jane@startup.example>' }), { labelIds: ['SENT'] })
      emu.addMessage(BOB, buildMessage(terms))
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
    const manyRecipients = buildMessage({
      from: 'Dana <dana@acme.vc>',
      // Folded, one recipient a line: the header is long, no line of it is.
      to: Array.from({ length: 10_000 }, (_, i) => `"Recipient ${i}" <r${i}@globex.example>`).join(',\r\n '),
      cc: ANN,
      subject: 'To everyone',
      date: new Date(BASE),
      messageId: 'everyone@acme.vc',
      text: 'Hello all.',
    })

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
      expect(new Set(links.map((l) => l.identity_key))).toEqual(new Set(['org:o-1', 'fund:7']))
      expect(await integrityProblems(s.db, s.blobs)).toEqual([])
    })
  })
})
