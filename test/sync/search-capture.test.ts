import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { DirectoryEntry, SyncReport } from '../../src/index.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { expectExactly, readMailState, type LedgerCopy, type MailLedger } from '../helpers/sync/expect.js'
import {
  ANN, BOB, CORA, CAT, DANA, FUND, ORG, RITA,
  contentGets, identityLinks, searchWorld, tally, twinStore, type SearchWorld,
} from '../helpers/search-world.js'
import { mail, TEAM } from '../helpers/sync/setup.js'

const PARTNER = 'partner@acme.vc'
const IR = 'ir@deals.acme.vc'
const GLOBEX = 'x@globex.example'
const DANA_ADDRESS = 'dana@gmail.com'
const CORA_ADDRESS = 'cora@boutique.example'
const RITA_ADDRESS = 'rita@hotmail.com'
const NEWS = 'news@letters.example'
/** A sender on the blocklist inside a CRM domain: Gmail's search lists it, the library must not keep it. */
const BLOCKED_IN_CRM = 'noreply@globex.example'
const BLOCKED_ELSEWHERE = 'promo@blocked.example'
const BLOCKLIST = [BLOCKED_IN_CRM, 'blocked.example']
/**
 * The most list calls of one backfill on the search strategy when every answer fits a page: the
 * candidate query (one chunk for this small directory), the size-hint lists (over 1 MB, and over
 * 10 MB when there is such mail), and the recall guard's days (it tries up to three to find one
 * with mail the search did not list).
 */
const BACKFILL_LISTS = 6
/** Enough contacts that the candidate queries split into several chunks (Gmail's `q` is kept within 1,500 characters). */
const MANY = 90
const MAX_Q_CHARS = 1500
/** Two of the many contacts, whose terms land in the first chunk and the last. */
const FIRST = 'partner-0@firm-0.example'
const LAST = `partner-${MANY - 1}@firm-${MANY - 1}.example`

/**
 * The team's mail: CRM mail by domain, subdomain, free-mail contact, Cc only, Bcc in a sent
 * copy, a Reply-To; copies across mailboxes and conversations that cross them; and what the CRM
 * does not keep: newsletters, internal mail, a Reply-To-only CRM address, drafts, spam, trash,
 * blocklisted senders (one of them in a CRM domain, which Gmail's search lists).
 */
function seedTeam(ledger: MailLedger) {
  const termSheet = mail({ from: PARTNER, to: [ANN, BOB], cc: [CAT], subject: 'Term sheet' })
  ledger.deliver(termSheet, { mailboxes: [ANN, BOB, CAT], crm: true })
  const annAnswer = mail({ from: ANN, to: [PARTNER], cc: [BOB], subject: 'Re: Term sheet', inReplyTo: termSheet.messageId })
  ledger.deliver(annAnswer, { mailboxes: [ANN], crm: true, replyTo: termSheet.messageId, labels: ['SENT'] })
  ledger.deliver(annAnswer, { mailboxes: [BOB], crm: true, replyTo: termSheet.messageId })
  ledger.deliver(mail({ from: IR, to: [CAT], subject: 'Quarterly letter' }), { mailboxes: [CAT], crm: true })
  const danaNote = mail({ from: DANA_ADDRESS, to: [BOB], subject: 'Coffee' })
  ledger.deliver(danaNote, { mailboxes: [BOB], crm: true })
  const bobAnswer = mail({ from: BOB, to: [DANA_ADDRESS], subject: 'Re: Coffee', inReplyTo: danaNote.messageId })
  ledger.deliver(bobAnswer, { mailboxes: [BOB], crm: true, replyTo: danaNote.messageId, labels: ['SENT'] })
  ledger.deliver(mail({ from: ANN, to: [BOB], cc: [CORA_ADDRESS], subject: 'Looping Cora in' }), { mailboxes: [ANN, BOB], crm: true })
  // Cat's sent copy carries the Bcc header; Ann's delivered copy of the same message does not.
  const bccOptions = { from: CAT, to: [ANN], subject: 'Bcc to Globex', id: `bcc-${Date.now()}@fund.example`, date: new Date(Date.UTC(2026, 5, 1, 9)) }
  const bcc = mail({ ...bccOptions, bcc: [GLOBEX] })
  ledger.deliver(bcc, { mailboxes: [CAT], crm: true, labels: ['SENT'] })
  ledger.deliver(mail(bccOptions), { mailboxes: [ANN], crm: false })
  ledger.deliver(mail({ from: PARTNER, to: [BOB], replyTo: RITA_ADDRESS, subject: 'Write to Rita' }), { mailboxes: [BOB], crm: true })
  const replyToOnly = mail({ from: 'assistant@agency.example', to: [ANN], replyTo: RITA_ADDRESS, subject: 'On behalf of Rita' })
  ledger.deliver(replyToOnly, { mailboxes: [ANN], crm: false })
  const orgNote = mail({ from: GLOBEX, to: [CAT], subject: 'Intro' })
  ledger.deliver(orgNote, { mailboxes: [CAT], crm: true })
  const catAnswer = mail({ from: CAT, to: [GLOBEX], cc: [ANN], subject: 'Re: Intro', inReplyTo: orgNote.messageId })
  ledger.deliver(catAnswer, { mailboxes: [CAT], crm: true, replyTo: orgNote.messageId, labels: ['SENT'] })
  ledger.deliver(catAnswer, { mailboxes: [ANN], crm: true, replyTo: orgNote.messageId })
  for (const member of [ANN, BOB, CAT]) {
    for (let i = 0; i < 3; i++) ledger.deliver(mail({ from: GLOBEX, to: [member], subject: `Update ${i}` }), { mailboxes: [member], crm: true })
  }

  ledger.deliver(mail({ from: NEWS, to: TEAM, subject: 'Weekly' }), { mailboxes: [ANN, BOB, CAT], crm: false })
  const lunch = mail({ from: ANN, to: [BOB], subject: 'Lunch?' })
  ledger.deliver(lunch, { mailboxes: [ANN], crm: false, labels: ['SENT'] })
  ledger.deliver(lunch, { mailboxes: [BOB], crm: false })
  ledger.deliver(mail({ from: ANN, to: [PARTNER], subject: 'Draft' }), { mailboxes: [ANN], crm: true, labels: ['DRAFT'] })
  ledger.deliver(mail({ from: GLOBEX, to: [BOB], subject: 'Looks like spam' }), { mailboxes: [BOB], crm: true, labels: ['SPAM'] })
  ledger.deliver(mail({ from: DANA_ADDRESS, to: [CAT], subject: 'Binned' }), { mailboxes: [CAT], crm: true, labels: ['TRASH'] })
  const [blocked] = ledger.deliver(mail({ from: BLOCKED_IN_CRM, to: [ANN], subject: 'Your invoice' }), { mailboxes: [ANN], crm: false })
  ledger.deliver(mail({ from: BLOCKED_ELSEWHERE, to: [BOB], subject: 'Offer' }), { mailboxes: [BOB], crm: false })
  return { replyToOnly, falsePositives: [blocked!] }
}

/** The copies of one mailbox a complete sync stores. */
function capturedIn(ledger: MailLedger, box: string): LedgerCopy[] {
  return ledger.copies.filter((c) => c.mailbox === box && c.captured)
}

function reportOf(reports: readonly SyncReport[], box: string): SyncReport {
  const report = reports.find((r) => r.account === box)
  if (report === undefined) throw new Error(`no report for ${box}`)
  return report
}

describeEachDialect('capture on Gmail\'s search', (open) => {
  let t: TestDatabase
  let s: SearchWorld
  beforeEach(async () => {
    t = await open()
    s = await searchWorld(t, { directory: [FUND, ORG, DANA, CORA, RITA], config: { blocklist: BLOCKLIST, recallSample: 3 } })
  })
  afterEach(async () => {
    await s.close()
    await t.close()
  })

  it('stores exactly the CRM mail, as the headers strategy does, for one content get per CRM copy', async () => {
    const { ledger, log, db } = s
    const { replyToOnly, falsePositives } = seedTeam(ledger)
    const reports = await s.email.sync.runAll()
    ledger.synced()
    await expectExactly(db, ledger)

    const falsePositiveIds = new Set(falsePositives.map((c) => c.gmailId))
    for (const box of TEAM) {
      const report = reportOf(reports, box)
      expect(report).toMatchObject({ kind: 'backfill', status: 'ok', failed: 0, strategy: 'search' })
      const mine = log.calls(box)
      const counts = tally(mine)
      const crm = capturedIn(ledger, box).map((c) => c.gmailId).sort()
      const wrong = ledger.copies.filter((c) => c.mailbox === box && falsePositiveIds.has(c.gmailId)).map((c) => c.gmailId)
      // Each CRM copy's content once, no headers read first; a search false positive costs its get and is counted.
      expect(contentGets(mine).sort()).toEqual([...crm, ...wrong].sort())
      expect(report.discarded).toBe(wrong.length)
      expect(report.captured).toBe(crm.length)
      // The only metadata gets are the recall guard's sample, and it never samples CRM mail it stored.
      expect(counts.metadata).toBe(report.recallSampled)
      expect(report.recallSampled).toBeLessThanOrEqual(3)
      expect(report.recallMissed).toBe(0)
      const sampled = mine.filter((c) => c.kind === 'get' && c.format === 'metadata').map((c) => c.id)
      for (const id of sampled) expect(crm).not.toContain(id)
      expect(counts.list).toBeLessThanOrEqual(BACKFILL_LISTS)
      expect(counts.profile).toBe(1)
      // The floor plus the guard: the list calls, the profile, one get per CRM copy (and false positive), the sample.
      expect(report.unitsSpent).toBe(counts.list + counts.profile + crm.length + wrong.length + report.recallSampled)
      expect(report.unitsSpent).toBe(counts.total)
      expect(report.unitsSpent).toBe(s.w.emu.stats.unitsSpent[box] ?? 0)
    }
    // Privacy: no content of mail Gmail's search does not tie to a CRM identity was ever served.
    const allowed = new Set([...ledger.copies.filter((c) => c.captured).map((c) => c.gmailId), ...falsePositiveIds])
    for (const id of Object.keys(s.w.emu.stats.downloads)) expect(allowed).toContain(id)
    const runs = await db.selectFrom('email_sync_runs').select(['strategy', 'discarded', 'recall_sampled', 'recall_missed', 'skipped']).execute()
    expect(runs.map((r) => r.strategy)).toEqual(TEAM.map(() => 'search'))
    expect(runs.reduce((sum, r) => sum + r.discarded, 0)).toBe(falsePositives.length)
    for (const r of runs) expect(r.skipped).toBeGreaterThanOrEqual(r.discarded)

    // The headers strategy over the same mailboxes stores the same emails, copies, links and threads.
    const twin = await twinStore(await open(), s, { blocklist: BLOCKLIST, captureStrategy: 'headers' })
    try {
      const headersReports = await twin.email.sync.runAll()
      for (const r of headersReports) expect(r).toMatchObject({ kind: 'backfill', status: 'ok', strategy: 'headers', discarded: 0 })
      const [searchState, headersState] = [await readMailState(db), await readMailState(twin.db)]
      expect(headersState.emails).toEqual(searchState.emails)
      expect(headersState.copies).toEqual(searchState.copies)
      expect(headersState.threads).toEqual(searchState.threads)
      expect(headersState.labels).toEqual(searchState.labels)
      expect(await identityLinks(twin.db)).toEqual(await identityLinks(db))
      // A Reply-To-only CRM address makes no CRM mail in either strategy; with a From link it adds its own.
      expect(headersState.emails).not.toContain(replyToOnly.messageId)
      expect((await identityLinks(db)).filter((l) => l.includes(` contact:c-3 ${RITA_ADDRESS} `))).toHaveLength(1)
    } finally {
      await twin.close()
    }
  })

  it('follows new mail through history at the cheaper of reading headers and searching, and handles deletions and labels as before', async () => {
    const { ledger, log, db } = s
    seedTeam(ledger)
    await s.email.sync.runAll()
    ledger.synced()
    const now = (): Date => new Date()

    // Two new messages: a metadata get each costs less than the candidate and size lists.
    const thread = ledger.copies.find((c) => c.mailbox === ANN && c.captured)!
    const [reply] = ledger.deliver(mail({ from: PARTNER, to: [ANN], subject: 'Re: again', inReplyTo: thread.messageId, date: now() }), { mailboxes: [ANN], crm: true, replyTo: thread.messageId })
    ledger.deliver(mail({ from: NEWS, to: [ANN], subject: 'Daily', date: now() }), { mailboxes: [ANN], crm: false })
    log.clear()
    const few = reportOf(await s.email.sync.runAll(), ANN)
    ledger.synced()
    await expectExactly(db, ledger)
    expect(few).toMatchObject({ kind: 'incremental', status: 'ok', captured: 1 })
    expect(tally(log.calls(ANN)).metadata).toBe(2)
    expect(contentGets(log.calls(ANN))).toEqual([reply!.gmailId])

    // Ten new messages, three of them CRM mail, and a restored one: the search over the new ids' time range costs less.
    const crm: LedgerCopy[] = []
    for (let i = 0; i < 3; i++) crm.push(...ledger.deliver(mail({ from: i === 0 ? IR : DANA_ADDRESS, to: [BOB], subject: `New ${i}`, date: now() }), { mailboxes: [BOB], crm: true }))
    for (let i = 0; i < 7; i++) ledger.deliver(mail({ from: NEWS, to: [BOB], subject: `Promo ${i}`, date: now() }), { mailboxes: [BOB], crm: false })
    // Old CRM mail taken out of spam is new to the CRM too, though its date is months before the run.
    const spam = ledger.copies.find((c) => c.mailbox === BOB && c.labels.includes('SPAM'))!
    ledger.relabel(spam, ['INBOX'], ['SPAM'])
    crm.push(spam)
    log.clear()
    const many = reportOf(await s.email.sync.runAll(), BOB)
    ledger.synced()
    await expectExactly(db, ledger)
    expect(many).toMatchObject({ kind: 'incremental', status: 'ok', captured: 4 })
    const bobCalls = tally(log.calls(BOB))
    // Metadata gets: the guard's sample of what the search did not list, and the restored message (old mail a search of recent mail cannot see).
    expect(bobCalls.metadata).toBe(many.recallSampled + 1)
    expect(contentGets(log.calls(BOB)).sort()).toEqual(crm.map((c) => c.gmailId).sort())
    expect(log.calls(BOB).filter((c) => c.kind === 'list').every((c) => c.q !== null && /after:\d+/.test(c.q))).toBe(true)
    // Cheaper than reading the headers of the eleven messages history brought, then the CRM ones' content.
    expect(many.unitsSpent).toBe(bobCalls.total)
    expect(many.unitsSpent).toBeLessThan(bobCalls.history + 11 + crm.length)

    // Deletions for good, trash, spam, stars and archive, with new CRM mail in the same run.
    const stored = ledger.copies.filter((c) => c.captured && !c.deleted)
    ledger.remove(stored[0]!)
    ledger.relabel(stored[1]!, ['TRASH'], ['INBOX'])
    ledger.relabel(stored[2]!, ['STARRED'], [])
    ledger.relabel(stored[3]!, [], ['INBOX'])
    const binned = ledger.copies.find((c) => c.mailbox === CAT && c.labels.includes('TRASH'))!
    ledger.relabel(binned, ['INBOX'], ['TRASH'])
    ledger.deliver(mail({ from: GLOBEX, to: [CAT], subject: 'Fresh', date: now() }), { mailboxes: [CAT], crm: true })
    const after = await s.email.sync.runAll()
    ledger.synced()
    await expectExactly(db, ledger)
    for (const r of after) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', failed: 0 })
    // A run with nothing new fetches nothing.
    log.clear()
    for (const r of await s.email.sync.runAll()) expect(r).toMatchObject({ kind: 'incremental', captured: 0, fetched: 0 })
    expect(contentGets(log.calls())).toEqual([])
  })

  /** Ann's mail from many contacts (one each per third), some listed by the first chunk and the last. */
  function seedMany(ledger: MailLedger): void {
    s.directory.add(...Array.from({ length: MANY }, (_, i): DirectoryEntry => ({ type: 'contact', id: `p-${i}`, name: `Partner ${i}`, emails: [`partner-${i}@firm-${i}.example`] })))
    for (let i = 0; i < MANY; i += 3) ledger.deliver(mail({ from: `partner-${i}@firm-${i}.example`, to: [ANN] }), { mailboxes: [ANN], crm: true })
    for (let i = 0; i < 4; i++) ledger.deliver(mail({ from: FIRST, to: [ANN], cc: [LAST], subject: `Both ${i}` }), { mailboxes: [ANN], crm: true })
    ledger.deliver(mail({ from: NEWS, to: [ANN] }), { mailboxes: [ANN], crm: false })
  }

  it('splits a large directory into queries within the limit, and fetches a message two of them list once, a false positive too', async () => {
    const { ledger, log, db, w } = s
    seedMany(ledger)
    // A false positive two chunks list (a blocklisted sender of a CRM domain, a contact in Cc).
    const [wrong] = ledger.deliver(mail({ from: BLOCKED_IN_CRM, to: [ANN], cc: [FIRST], subject: 'Notification' }), { mailboxes: [ANN], crm: false })
    expect(await s.email.sync.run({ account: ANN })).toMatchObject({ kind: 'backfill', status: 'ok', failed: 0, discarded: 1 })
    ledger.synced([ANN])
    await expectExactly(db, ledger)
    const lists = log.calls(ANN).filter((c) => c.kind === 'list' && c.q?.startsWith('{') === true)
    expect(new Set(lists.map((c) => c.q)).size).toBeGreaterThan(2)
    for (const c of lists) expect(c.q?.length).toBeLessThanOrEqual(MAX_Q_CHARS)
    for (const c of ledger.copies) expect(w.emu.stats.downloads[c.gmailId] ?? 0).toBe(c.captured || c === wrong ? 1 : 0)
  })

  it('resumes a search scan stopped between chunks: nothing lost, nothing fetched twice', async () => {
    const { ledger, log, db, w } = s
    seedMany(ledger)
    const email = w.integration({ apiBaseUrl: log.url, backfillPageSize: 5 })
    try {
      const controller = new AbortController()
      let pages = 0
      const stopped = await email.sync.run({
        account: ANN,
        signal: controller.signal,
        onProgress: () => {
          pages += 1
          if (pages === 3) controller.abort()
        },
      })
      expect(stopped.status).not.toBe('ok')
      const resumed = await email.sync.run({ account: ANN })
      expect(resumed).toMatchObject({ kind: 'backfill', status: 'ok', failed: 0, strategy: 'search' })
      expect(tally(log.calls(ANN)).metadata).toBe(stopped.recallSampled + resumed.recallSampled)
    } finally {
      await email.close()
    }
    ledger.synced([ANN])
    await expectExactly(db, ledger)
    for (const c of ledger.copies) expect(w.emu.stats.downloads[c.gmailId] ?? 0).toBe(c.captured ? 1 : 0)
  })

  it('fetches big CRM mail by its size (raw over 1 MB, the part tree over 10 MB) once, and never big mail that is not CRM mail', async () => {
    const { ledger, log, db } = s
    const big = (subject: string, bytes: number) => {
      const messageId = `${subject.replace(/\W/g, '')}-${Date.now()}@acme.vc`
      return { messageId, raw: mailWithAttachments({ to: ANN, messageId, date: new Date(Date.UTC(2026, 5, 2)), subject, files: [{ name: `${subject}.bin`, bytes: randomBytes(bytes) }] }) }
    }
    const [medium] = ledger.deliver(big('medium', 2 * 1024 * 1024), { mailboxes: [ANN], crm: true })
    const [large] = ledger.deliver(big('large', 9 * 1024 * 1024), { mailboxes: [ANN], crm: true })
    const bigNews = mail({ from: NEWS, to: [ANN], subject: 'Big newsletter', body: 'x'.repeat(3 * 1024 * 1024) })
    const [news] = ledger.deliver(bigNews, { mailboxes: [ANN], crm: false })
    ledger.deliver(mail({ from: GLOBEX, to: [ANN], subject: 'Small' }), { mailboxes: [ANN], crm: true })
    const report = await s.email.sync.run({ account: ANN })
    expect(report).toMatchObject({ kind: 'backfill', status: 'ok', captured: 3, failed: 0, strategy: 'search' })
    expect(tally(log.calls(ANN)).metadata).toBe(report.recallSampled)
    ledger.synced([ANN])
    await expectExactly(db, ledger)
    const gets = log.calls(ANN).filter((c) => c.kind === 'get' && c.format !== 'metadata')
    expect(gets.filter((c) => c.id === medium!.gmailId).map((c) => c.format)).toEqual(['raw'])
    expect(gets.filter((c) => c.id === large!.gmailId).map((c) => c.format)).toEqual(['full'])
    expect(s.w.emu.stats.downloads[news!.gmailId]).toBeUndefined()
    expect(gets).toHaveLength(3)
  })
})
