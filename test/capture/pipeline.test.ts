import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RAW_FETCH_MAX_BYTES } from '../../src/capture/pipeline.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { captureSnapshot, integrityProblems, storedParticipants, threadPartition } from '../helpers/capture-setup.js'
import { BASE, downloads, fillAnnsMailbox, linksByMessage, rfc822, setup, skipReasons, storedCopies } from '../helpers/capture-pipeline-world.js'
import { describeEachDialect, openSqlite } from '../helpers/databases.js'
import { buildMessage } from '../helpers/message.js'
import { ANN, BOB, CAT } from '../helpers/team.js'

// The capture pipeline end to end: real HTTP to the Gmail emulator, the library's Gmail client
// and DWD credentials, a real database, the real blob store.

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
      'org@fund.example': ['org:o-1 hal@globex.example domain'],
      'contact@startup.example': ['contact:c1 jane+deals@startup.example exact'],
      'pat@gmail.example': ['contact:c2 p.a.t.lee@googlemail.com exact'],
      'several@acme.vc': ['contact:c1 jane@startup.example exact', 'fund:7 dana@acme.vc domain', 'org:o-1 hal@globex.example domain'],
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

  /** A message from Dana to Ann with extra header lines and a MIME body given line by line. */
  const hostile = (id: string, extra: readonly string[], body: readonly string[]) =>
    buildMessage({ from: 'dana@acme.vc', to: ANN, subject: 'Hostile', date: new Date(BASE), messageId: id, headers: extra, body: body.join('\r\n') })

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

})

describe('the capture pipeline on SQLite alone', () => {
  it('links an email only through its participants, whatever a decoded display name looks like', async () => {
    // Gmail hands metadata header values over RFC 2047-decoded (as the emulator does), so an
    // encoded display name can read as an address: `=?UTF-8?Q?dana=40acme.vc=2C?= <x@...>`
    // arrives as `dana@acme.vc, <x@...>`. The raw reading knows it is a name. Nobody of the
    // fund took part, so the fund must not be linked (nor, in matched mode, the mail stored).
    const s = await setup(openSqlite)
    s.emu.addMessage(ANN, buildMessage({
      from: 'Eve <eve@elsewhere.example>',
      to: ['=?UTF-8?Q?dana=40acme.vc=2C?= <x@elsewhere.example>', ANN],
      subject: 'Hello',
      date: new Date(BASE),
      messageId: 'spoof@elsewhere.example',
      text: 'Hi.',
    }))
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
