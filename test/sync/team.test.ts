import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { Kysely } from 'kysely'
import type { EmailDatabase, EmailIntegration, SyncProgress, SyncReport } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { callLog, tally, type CallLog } from '../helpers/search-world.js'
import { CHEAP_COSTS, MailLedger, expectExactly, integrityProblems, type LedgerCopy } from '../helpers/sync/expect.js'
import { gatedProxy } from '../helpers/sync/process.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB, CAT, DEE, EVE] = TEAM as [string, string, string, string, string]
/** A fund (by domain), an org (by domain), a contact (by address), and mail nobody in the CRM sent. */
const FUND = 'dana@acme.vc'
const ORG = 'x@globex.example'
const CONTACT = 'dana@gmail.com'
const NEWS = 'news@letters.example'
/** On the blocklist, in an org's domain: Gmail's search lists its mail as a candidate, the local matcher refuses it. */
const BLOCKED = 'digest@globex.example'
const PAGE_SIZE = 5
/** A capture strategy of `matched` mode (`config.captureStrategy`). */
type CaptureStrategy = SyncReport['strategy']
/** Both capture strategies must store the same mail. */
const STRATEGIES: readonly CaptureStrategy[] = ['search', 'headers']
const DAY_MS = 86_400_000
/** A get inside a batch request's body: the mailbox and the format. */
const BATCH_GET = /^GET \/gmail\/v1\/users\/([^/]+)\/messages\/[^?\s]+\?(?:\S*&)?format=(\w+)/gm

/** Every account's counters of one run, for assertions that name the account. */
function byAccount(reports: readonly SyncReport[]): Record<string, Pick<SyncReport, 'kind' | 'status' | 'captured' | 'failed'>> {
  return Object.fromEntries(reports.map((r) => [r.account, { kind: r.kind, status: r.status, captured: r.captured, failed: r.failed }]))
}

/**
 * A team's mail before the first sync: conversations that cross mailboxes (a reply whose parent
 * is in another teammate's mailbox only), internal and newsletter mail the CRM does not keep,
 * spam, trash and a draft, and enough single messages for several pages per mailbox.
 */
function seedTeam(ledger: MailLedger) {
  const termSheet = mail({ from: FUND, to: [ANN, BOB, CAT], subject: 'Term sheet' })
  ledger.deliver(termSheet, { mailboxes: [ANN, BOB, CAT], crm: true })
  const annAnswer = mail({ from: ANN, to: [FUND, BOB], subject: 'Re: Term sheet', inReplyTo: termSheet.messageId })
  ledger.deliver(annAnswer, { mailboxes: [ANN], crm: true, replyTo: termSheet.messageId, labels: ['SENT'] })
  ledger.deliver(annAnswer, { mailboxes: [BOB], crm: true, replyTo: termSheet.messageId })
  // Cat never saw Ann's answer: in Cat's Gmail this reply starts a thread; in the CRM it joins the conversation.
  const fundAnswer = mail({ from: FUND, to: [ANN, BOB, CAT], subject: 'Re: Term sheet', inReplyTo: annAnswer.messageId })
  ledger.deliver(fundAnswer, { mailboxes: [ANN, BOB, CAT], crm: true, replyTo: annAnswer.messageId })

  const intro = mail({ from: ANN, to: [ORG], subject: 'Intro' })
  ledger.deliver(intro, { mailboxes: [ANN], crm: true, labels: ['SENT'] })
  const orgAnswer = mail({ from: ORG, to: [ANN, DEE], subject: 'Re: Intro', inReplyTo: intro.messageId })
  ledger.deliver(orgAnswer, { mailboxes: [ANN, DEE], crm: true, replyTo: intro.messageId })

  const contactNote = mail({ from: CONTACT, to: [EVE], subject: 'Coffee' })
  ledger.deliver(contactNote, { mailboxes: [EVE], crm: true })
  const eveAnswer = mail({ from: EVE, to: [CONTACT], subject: 'Re: Coffee', inReplyTo: contactNote.messageId })
  ledger.deliver(eveAnswer, { mailboxes: [EVE], crm: true, replyTo: contactNote.messageId, labels: ['SENT'] })

  const lunch = mail({ from: ANN, to: [BOB], subject: 'Lunch?' })
  ledger.deliver(lunch, { mailboxes: [ANN], crm: false, labels: ['SENT'] })
  ledger.deliver(lunch, { mailboxes: [BOB], crm: false })
  ledger.deliver(mail({ from: BOB, to: [ANN], subject: 'Re: Lunch?', inReplyTo: lunch.messageId }), { mailboxes: [ANN, BOB], crm: false })
  ledger.deliver(mail({ from: NEWS, to: TEAM, subject: 'Weekly' }), { mailboxes: TEAM, crm: false })

  for (const member of TEAM) {
    for (let i = 0; i < 4; i++) ledger.deliver(mail({ from: ORG, to: [member], subject: `Update ${i}` }), { mailboxes: [member], crm: true })
  }
  ledger.deliver(mail({ from: FUND, to: [CAT, DEE], subject: 'Deck' }), { mailboxes: [CAT, DEE], crm: true })
  ledger.deliver(mail({ from: FUND, to: [DEE, EVE], subject: 'Model' }), { mailboxes: [DEE, EVE], crm: true })

  const [spam] = ledger.deliver(mail({ from: FUND, to: [ANN], subject: 'Looks like spam' }), { mailboxes: [ANN], crm: true, labels: ['SPAM'] })
  const [trashed] = ledger.deliver(mail({ from: ORG, to: [BOB], subject: 'Binned' }), { mailboxes: [BOB], crm: true, labels: ['TRASH'] })
  ledger.deliver(mail({ from: ANN, to: [FUND], subject: 'Draft' }), { mailboxes: [ANN], crm: true, labels: ['DRAFT'] })
  // A search false positive: listed for the org's domain, downloaded under `search`, then discarded.
  const blocked = ledger.deliver(mail({ from: BLOCKED, to: [ANN, DEE], subject: 'Digest' }), { mailboxes: [ANN, DEE], crm: false })
  return { termSheet, fundAnswer, orgAnswer, contactNote, spam: spam!, trashed: trashed!, blocked }
}

describeEachDialect('sync of a team', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let ledger: MailLedger
  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t, {
      emulator: { costs: CHEAP_COSTS },
      config: { backfillPageSize: PAGE_SIZE, quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, blocklist: BLOCKED },
    })
    db = t.db as unknown as Kysely<EmailDatabase>
    ledger = new MailLedger(w.emu)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it.each(STRATEGIES)('backfills five mailboxes into exactly the expected emails, copies and threads, then follows every change (%s)', async (strategy) => {
    const log = await callLog(w.emu.url)
    const email = w.integration({ captureStrategy: strategy, apiBaseUrl: log.url })
    try {
      await followsTheTeam(strategy, email, log)
    } finally {
      await email.close()
      await log.close()
    }
  })

  /** The body of the test above, under one capture strategy. */
  async function followsTheTeam(strategy: CaptureStrategy, email: EmailIntegration, log: CallLog): Promise<void> {
    const seeded = seedTeam(ledger)
    const events: SyncProgress[] = []
    const first = await email.sync.runAll({ onProgress: (p) => events.push(p) })
    ledger.synced()
    await expectExactly(db, ledger)
    expect(first.map((r) => r.account).sort()).toEqual([...TEAM].sort())
    for (const report of first) expect(report).toMatchObject({ kind: 'backfill', status: 'ok', failed: 0, strategy, recallMissed: 0 })
    // Each run is a row with the report's kind, status, strategy, counters and quota units.
    const runs = await db
      .selectFrom('email_sync_runs')
      .innerJoin('email_accounts', 'email_accounts.id', 'email_sync_runs.account_id')
      .select(['email_accounts.address'])
      .select(['kind', 'email_sync_runs.status', 'strategy', 'listed', 'fetched', 'captured', 'skipped', 'failed', 'discarded', 'recall_sampled'])
      .select(['units_spent', 'error', 'started_at', 'finished_at'])
      .execute()
    expect(runs.map((r) => r.address).sort()).toEqual([...TEAM].sort())
    for (const r of runs) {
      const report = first.find((f) => f.account === r.address)!
      expect(report.unitsSpent).toBeGreaterThan(0)
      expect(r).toEqual({
        address: report.account,
        kind: report.kind,
        status: report.status,
        strategy,
        listed: report.listed,
        fetched: report.fetched,
        captured: report.captured,
        skipped: report.skipped,
        failed: report.failed,
        discarded: report.discarded,
        recall_sampled: report.recallSampled,
        units_spent: report.unitsSpent,
        error: null,
        started_at: report.startedAt,
        finished_at: report.finishedAt,
      })
    }
    // No message is downloaded twice, and mail the CRM does not keep is never downloaded, except
    // under `search` a false positive (listed for an identity, refused by the matcher): once.
    const downloads = w.emu.stats.downloads
    for (const c of ledger.copies) expect(downloads[c.gmailId] ?? 0).toBeLessThanOrEqual(c.captured || seeded.blocked.includes(c) ? 1 : 0)
    for (const c of seeded.blocked) expect(downloads[c.gmailId] ?? 0).toBe(strategy === 'search' ? 1 : 0)

    // Progress: per account, counters never go back, one event per page at least, the last one is the report.
    for (const report of first) {
      const mine = events.filter((e) => e.account === report.account)
      const listed = backfillListing(strategy, report.account, seeded.blocked)
      expect(mine.length).toBeGreaterThanOrEqual(Math.ceil(listed.length / PAGE_SIZE))
      for (const [i, e] of mine.entries()) {
        expect(e.kind).toBe('backfill')
        const before = mine[i - 1]
        if (before === undefined) continue
        for (const counter of ['listed', 'fetched', 'captured', 'skipped', 'failed'] as const) expect(e[counter]).toBeGreaterThanOrEqual(before[counter])
        expect(e.listed).toBeGreaterThan(before.listed)
      }
      const last = mine.at(-1)
      expect(last).toMatchObject({ listed: report.listed, fetched: report.fetched, captured: report.captured, skipped: report.skipped, failed: 0 })
      expect(report.listed).toBe(listed.length)
      const falsePositives = seeded.blocked.filter((c) => c.mailbox === report.account).length
      expect(report.discarded).toBe(strategy === 'search' ? falsePositives : 0)
      // Under `search` no headers are read but the recall guard's sample; under `headers`, those of every listed message.
      const gets = tally(log.calls(report.account))
      if (strategy === 'search') expect(gets.metadata).toBe(report.recallSampled)
      else expect(gets.metadata).toBeGreaterThanOrEqual(listed.length)
    }

    // New mail, deletions for good, trash, spam, label changes; and mail that came and went between runs.
    const report = mail({ from: FUND, to: [BOB, EVE], subject: 'Q3 report', date: new Date() })
    ledger.deliver(report, { mailboxes: [BOB, EVE], crm: true })
    const bobAnswer = mail({ from: BOB, to: [FUND, EVE], subject: 'Re: Q3 report', inReplyTo: report.messageId, date: new Date() })
    ledger.deliver(bobAnswer, { mailboxes: [BOB], crm: true, replyTo: report.messageId, labels: ['SENT'] })
    ledger.deliver(bobAnswer, { mailboxes: [EVE], crm: true, replyTo: report.messageId })
    const orgAgain = mail({ from: ORG, to: [DEE], subject: 'Re: Intro', inReplyTo: seeded.orgAnswer.messageId, date: new Date() })
    ledger.deliver(orgAgain, { mailboxes: [DEE], crm: true, replyTo: seeded.orgAnswer.messageId })
    ledger.deliver(mail({ from: NEWS, to: [CAT], subject: 'Weekly', date: new Date() }), { mailboxes: [CAT], crm: false })
    const [binnedAtOnce] = ledger.deliver(mail({ from: ORG, to: [CAT], subject: 'Oops', date: new Date() }), { mailboxes: [CAT], crm: true })
    ledger.relabel(binnedAtOnce!, ['TRASH'], ['INBOX'])
    const [goneAtOnce] = ledger.deliver(mail({ from: ORG, to: [ANN], subject: 'Recalled', date: new Date() }), { mailboxes: [ANN], crm: true })
    ledger.remove(goneAtOnce!)

    ledger.remove(ledger.copy(BOB, seeded.termSheet.messageId))
    ledger.remove(ledger.copy(EVE, seeded.contactNote.messageId))
    ledger.relabel(ledger.copy(CAT, seeded.fundAnswer.messageId), ['TRASH'], ['INBOX'])
    ledger.relabel(ledger.copy(ANN, seeded.termSheet.messageId), ['STARRED'], [])
    ledger.relabel(ledger.copy(DEE, seeded.orgAnswer.messageId), [], ['INBOX'])
    ledger.relabel(seeded.spam, ['INBOX'], ['SPAM'])
    ledger.relabel(seeded.trashed, ['INBOX'], ['TRASH'])

    const second = await email.sync.runAll()
    ledger.synced()
    await expectExactly(db, ledger)
    expect(byAccount(second)).toEqual({
      [ANN]: { kind: 'incremental', status: 'ok', captured: 1, failed: 0 },
      [BOB]: { kind: 'incremental', status: 'ok', captured: 3, failed: 0 },
      [CAT]: { kind: 'incremental', status: 'ok', captured: 0, failed: 0 },
      [DEE]: { kind: 'incremental', status: 'ok', captured: 1, failed: 0 },
      [EVE]: { kind: 'incremental', status: 'ok', captured: 2, failed: 0 },
    })
    // The CRM keeps an email once every copy of it was deleted (the documented rule).
    expect(ledger.expected().emails).toContain(seeded.contactNote.messageId)

    // A third run finds nothing to do and changes nothing.
    const third = await email.sync.runAll()
    for (const r of third) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', captured: 0, failed: 0 })
    await expectExactly(db, ledger)
    const accounts = await db.selectFrom('email_accounts').select(['address', 'history_id', 'lease_owner', 'scan_kind']).execute()
    for (const a of accounts) expect(a).toEqual({ address: a.address, history_id: w.emu.historyId(a.address), lease_owner: null, scan_kind: null })
  }

  /**
   * What a backfill of `account` lists: under `headers` every message outside spam and trash;
   * under `search` the candidates, i.e. the CRM copies of the window and the false positives.
   */
  function backfillListing(strategy: CaptureStrategy, account: string, falsePositives: readonly LedgerCopy[]): LedgerCopy[] {
    const mine = ledger.copies.filter((c) => c.mailbox === account)
    if (strategy === 'headers') return mine.filter((c) => !c.labels.some((l) => l === 'SPAM' || l === 'TRASH'))
    return [...mine.filter((c) => c.captured), ...falsePositives.filter((c) => c.mailbox === account)]
  }

  it('stores mail two mailboxes hold once, and keeps conversations whole, when both accounts commit at the same moment', async () => {
    for (let i = 0; i < 10; i++) {
      // Mail both hold: one email, two copies.
      ledger.deliver(mail({ from: FUND, to: [ANN, BOB], subject: `Shared ${i}` }), { mailboxes: [ANN, BOB], crm: true })
      // A conversation split across them: Ann holds the question, Bob only the answer.
      const question = mail({ from: ANN, to: [ORG], subject: `Question ${i}` })
      ledger.deliver(question, { mailboxes: [ANN], crm: true, labels: ['SENT'] })
      const answer = mail({ from: ORG, to: [BOB], subject: `Re: Question ${i}`, inReplyTo: question.messageId })
      ledger.deliver(answer, { mailboxes: [BOB], crm: true, replyTo: question.messageId })
    }
    // Both accounts' content downloads are held back and answered together, so both pages commit at once.
    // Under the default `search` strategy that is each account's one batch of `raw` gets of its
    // candidates (after the profile, the candidate list and the size hints; no header is read).
    const held: string[][] = []
    const proxy = await gatedProxy(w.emu.url, (body, path) => {
      const parts = [...body.matchAll(BATCH_GET)]
      if (!path.startsWith('/batch/') || parts.length === 0 || parts.some((m) => m[2] !== 'raw')) return false
      held.push(parts.map((m) => decodeURIComponent(m[1] ?? '')))
      return true
    })
    const other = w.integration({ apiBaseUrl: proxy.url, backfillPageSize: 50 })
    try {
      const both = Promise.all([other.sync.run({ account: ANN }), other.sync.run({ account: BOB })])
      await vi.waitFor(() => {
        expect(proxy.held()).toBe(2)
      })
      // One batch per account, each with all 20 of its CRM copies: nothing of either page is stored yet.
      expect(held.map((users) => [...new Set(users)].join()).sort()).toEqual([ANN, BOB])
      for (const users of held) expect(users).toHaveLength(20)
      expect(await db.selectFrom('email_copies').select('id').execute()).toEqual([])
      proxy.open()
      for (const r of await both) expect(r).toMatchObject({ kind: 'backfill', status: 'ok', strategy: 'search', captured: 20, failed: 0 })
    } finally {
      proxy.open()
      await proxy.close()
    }
    ledger.synced()
    await expectExactly(db, ledger)
  })

  it('recovers everything added while the cursor went stale, and while history expired', async () => {
    seedTeam(ledger)
    await w.email.sync.runAll()
    ledger.synced()

    // Nobody synced for a month: every cursor is older than CRM_GMAIL_HISTORY_STALE_DAYS.
    const monthAgo = new Date(Date.now() - 30 * DAY_MS).toISOString()
    await db.updateTable('email_accounts').set({ history_checked_at: monthAgo }).execute()
    const gap = mail({ from: FUND, to: [ANN, CAT], subject: 'While you were away', date: new Date() })
    ledger.deliver(gap, { mailboxes: [ANN, CAT], crm: true })
    ledger.deliver(mail({ from: ORG, to: [EVE], subject: 'Ping', date: new Date() }), { mailboxes: [EVE], crm: true })
    ledger.deliver(mail({ from: FUND, to: [ANN], subject: 'Re: While you were away', inReplyTo: gap.messageId, date: new Date() }), {
      mailboxes: [ANN],
      crm: true,
      replyTo: gap.messageId,
    })
    ledger.deliver(mail({ from: NEWS, to: [BOB], date: new Date() }), { mailboxes: [BOB], crm: false })
    const stale = await w.email.sync.runAll()
    ledger.synced()
    await expectExactly(db, ledger)
    expect(byAccount(stale)).toEqual({
      [ANN]: { kind: 'catchup', status: 'ok', captured: 2, failed: 0 },
      [BOB]: { kind: 'catchup', status: 'ok', captured: 0, failed: 0 },
      [CAT]: { kind: 'catchup', status: 'ok', captured: 1, failed: 0 },
      [DEE]: { kind: 'catchup', status: 'ok', captured: 0, failed: 0 },
      [EVE]: { kind: 'catchup', status: 'ok', captured: 1, failed: 0 },
    })

    // History resumes after the catch-up.
    ledger.deliver(mail({ from: ORG, to: [BOB], subject: 'Back to normal', date: new Date() }), { mailboxes: [BOB], crm: true })
    const resumed = await w.email.sync.runAll()
    for (const r of resumed) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', captured: r.account === BOB ? 1 : 0 })
    ledger.synced()
    await expectExactly(db, ledger)

    // Dee's history expires (Gmail answers 404) while mail arrives for Dee and Ann.
    const lost = mail({ from: FUND, to: [DEE, ANN], subject: 'Lost history', date: new Date() })
    ledger.deliver(lost, { mailboxes: [DEE, ANN], crm: true })
    ledger.deliver(mail({ from: CONTACT, to: [DEE], subject: 'Hello', date: new Date() }), { mailboxes: [DEE], crm: true })
    w.emu.expireHistory(DEE)
    const expired = await w.email.sync.runAll()
    ledger.synced()
    await expectExactly(db, ledger)
    expect(byAccount(expired)[DEE]).toEqual({ kind: 'catchup', status: 'ok', captured: 2, failed: 0 })
    expect(byAccount(expired)[ANN]).toEqual({ kind: 'incremental', status: 'ok', captured: 1, failed: 0 })
    const dee = await db.selectFrom('email_accounts').select(['history_id', 'scan_kind']).where('address', '=', DEE).executeTakeFirstOrThrow()
    expect(dee).toEqual({ history_id: w.emu.historyId(DEE), scan_kind: null })
    ledger.deliver(mail({ from: ORG, to: [DEE], subject: 'After the gap', date: new Date() }), { mailboxes: [DEE], crm: true })
    expect(await w.email.sync.run({ account: DEE })).toMatchObject({ kind: 'incremental', status: 'ok', captured: 1 })
    ledger.synced()
    await expectExactly(db, ledger)
  })

  it('stops after the page during which onProgress aborted, and a later run resumes from there', async () => {
    const total = 23
    for (let i = 0; i < total; i++) ledger.deliver(mail({ from: ORG, to: [ANN], subject: `Report ${i}` }), { mailboxes: [ANN], crm: true })
    const controller = new AbortController()
    const events: SyncProgress[] = []
    const stopped = await w.email.sync.run({
      account: ANN,
      signal: controller.signal,
      onProgress: (p) => {
        events.push(p)
        controller.abort()
      },
    })
    expect(events).toHaveLength(1)
    expect(stopped).toMatchObject({ kind: 'backfill', status: 'partial', listed: PAGE_SIZE, captured: PAGE_SIZE, failed: 0 })
    expect(stopped.error).toBeUndefined()
    const run = await db.selectFrom('email_sync_runs').selectAll().executeTakeFirstOrThrow()
    expect(run).toMatchObject({ status: 'aborted', kind: 'backfill', listed: PAGE_SIZE, captured: PAGE_SIZE, error: null })
    expect(run.finished_at).not.toBeNull()
    const account = await db.selectFrom('email_accounts').selectAll().where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account).toMatchObject({ scan_kind: 'backfill', backfill_completed_at: null, history_id: null, lease_owner: null, last_error: null })
    expect(account.scan_page_token).not.toBeNull()
    expect(await db.selectFrom('emails').select('id').execute()).toHaveLength(PAGE_SIZE)
    expect(await integrityProblems(db)).toEqual([])

    const resumed = await w.email.sync.run({ account: ANN })
    // The committed page is not listed again: the run starts at the checkpointed page token.
    expect(resumed).toMatchObject({ kind: 'backfill', status: 'ok', listed: total - PAGE_SIZE, captured: total - PAGE_SIZE })
    ledger.synced()
    await expectExactly(db, ledger)
    for (const c of ledger.copies) expect(w.emu.stats.downloads[c.gmailId]).toBe(1)
  })

  it('treats an abort that lands in the middle of a page as a stop, not as an error', async () => {
    const total = 17
    for (let i = 0; i < total; i++) ledger.deliver(mail({ from: ORG, to: [ANN], subject: `Memo ${i}` }), { mailboxes: [ANN], crm: true })
    const controller = new AbortController()
    // Aborted from a timer, so the signal fires while the next page is on the wire.
    const stopped = await w.email.sync.run({
      account: ANN,
      signal: controller.signal,
      onProgress: () => {
        setTimeout(() => {
          controller.abort()
        }, 0)
      },
    })
    expect(stopped).toMatchObject({ kind: 'backfill', status: 'partial' })
    expect(stopped.error).toBeUndefined()
    const run = await db.selectFrom('email_sync_runs').select(['status', 'error']).executeTakeFirstOrThrow()
    expect(run).toEqual({ status: 'aborted', error: null })
    const account = await db.selectFrom('email_accounts').select(['last_error', 'lease_owner', 'status']).where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account).toEqual({ last_error: null, lease_owner: null, status: 'active' })
    expect(await integrityProblems(db)).toEqual([])

    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ kind: 'backfill', status: 'ok' })
    ledger.synced()
    await expectExactly(db, ledger)
  })

  it('runAll stops every running account after its page and starts no other', async () => {
    for (const member of TEAM) {
      for (let i = 0; i < 12; i++) ledger.deliver(mail({ from: FUND, to: [member], subject: `Note ${i}` }), { mailboxes: [member], crm: true })
    }
    const controller = new AbortController()
    const stopped = await w.email.sync.runAll({
      signal: controller.signal,
      onProgress: () => {
        controller.abort()
      },
    })
    // Three accounts run at once (MAX_PARALLEL_ACCOUNTS); the other two never start.
    expect(stopped).toHaveLength(3)
    for (const r of stopped) expect(r).toMatchObject({ status: 'partial' })
    for (const r of stopped) expect(r.error).toBeUndefined()
    const runs = await db.selectFrom('email_sync_runs').select(['status', 'error']).execute()
    expect(runs).toEqual(stopped.map(() => ({ status: 'aborted', error: null })))
    expect(await db.selectFrom('email_accounts').select('address').where('lease_owner', 'is not', null).execute()).toEqual([])
    expect(await integrityProblems(db)).toEqual([])

    const rest = await w.email.sync.runAll()
    for (const r of rest) expect(r).toMatchObject({ kind: 'backfill', status: 'ok' })
    ledger.synced()
    await expectExactly(db, ledger)
  })
})
