import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Clock, SyncReport } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call, routerIntegration } from '../helpers/http.js'
import { expectExactly, readMailState, type LedgerCopy, type MailLedger } from '../helpers/sync/expect.js'
import { ANN, BOB, DANA, FUND, ORG, RITA, contentGets, searchWorld, tally, type SearchWorld } from '../helpers/search-world.js'
import { mail } from '../helpers/sync/setup.js'

const PARTNER = 'partner@acme.vc'
const GLOBEX = 'x@globex.example'
const DANA_ADDRESS = 'dana@gmail.com'
const NEWS = 'news@letters.example'
const HOUR_MS = 3_600_000
/** The most the guard samples: every unlisted message of the (one-day) window. */
const SAMPLE_ALL = 50

/**
 * The system clock to the minute. The window (the last day) and the scan's start are read a few
 * milliseconds apart; on this clock they are one instant, so the window is exactly one day and
 * the guard's random day is that day, whichever it draws.
 */
const minuteClock: Clock = { now: () => new Date(Math.floor(Date.now() / 60_000) * 60_000) }

const hoursAgo = (hours: number): Date => new Date(Date.now() - hours * HOUR_MS)

/** A day of Ann's and Bob's mail: CRM mail, newsletters, internal mail, a Reply-To-only CRM address. */
function seedDay(ledger: MailLedger): void {
  ledger.deliver(mail({ from: PARTNER, to: [ANN, BOB], subject: 'Deal', date: hoursAgo(9) }), { mailboxes: [ANN, BOB], crm: true })
  ledger.deliver(mail({ from: GLOBEX, to: [ANN], subject: 'Intro', date: hoursAgo(8) }), { mailboxes: [ANN], crm: true })
  ledger.deliver(mail({ from: DANA_ADDRESS, to: [BOB], subject: 'Coffee', date: hoursAgo(7) }), { mailboxes: [BOB], crm: true })
  for (let i = 0; i < 3; i++) ledger.deliver(mail({ from: NEWS, to: [ANN, BOB], subject: `Weekly ${i}`, date: hoursAgo(6) }), { mailboxes: [ANN, BOB], crm: false })
  ledger.deliver(mail({ from: ANN, to: [BOB], subject: 'Lunch?', date: hoursAgo(5) }), { mailboxes: [ANN, BOB], crm: false })
  ledger.deliver(mail({ from: 'assistant@agency.example', to: [ANN], replyTo: 'rita@hotmail.com', subject: 'For Rita', date: hoursAgo(4) }), { mailboxes: [ANN], crm: false })
}

/** Delivers CRM mail to Ann that Gmail's search does not list (its index missed it). */
function hiddenCrm(s: SearchWorld, subject: string, date: Date): LedgerCopy {
  const [copy] = s.ledger.deliver(mail({ from: PARTNER, to: [ANN], subject, date }), { mailboxes: [ANN], crm: true })
  s.w.emu.hideFromSearch(ANN, copy!.gmailId)
  return copy!
}

function reportOf(reports: readonly SyncReport[], box: string): SyncReport {
  const report = reports.find((r) => r.account === box)
  if (report === undefined) throw new Error(`no report for ${box}`)
  return report
}

async function fallbackOf(s: SearchWorld, box: string): Promise<unknown> {
  const account = (await s.email.accounts.list()).find((a) => a.address === box)
  return account?.searchFallback ?? null
}

describeEachDialect('the recall guard', (open) => {
  let t: TestDatabase
  let s: SearchWorld
  beforeEach(async () => {
    t = await open()
    s = await searchWorld(t, { directory: [FUND, ORG, DANA, RITA], config: { backfillDays: 1, recallSample: SAMPLE_ALL }, clock: minuteClock })
  })
  afterEach(async () => {
    await s.close()
    await t.close()
  })

  it('trips on CRM mail Gmail\'s search missed: captures it, and the account reads headers until cleared', async () => {
    seedDay(s.ledger)
    const missed = hiddenCrm(s, 'Missed by search', hoursAgo(3))
    // Too recent for the guard (history's business), and missed by the search: the header scan of the fallback finds it.
    const recent = hiddenCrm(s, 'Missed, and too recent for the guard', new Date(Date.now() - 2 * 60_000))
    const first = await s.email.sync.runAll()
    const ann = reportOf(first, ANN)
    // Ann's unlisted mail of the day: three newsletters, lunch, the Reply-To-only message and the missed one.
    expect(ann).toMatchObject({ kind: 'backfill', strategy: 'search', recallSampled: 6, recallMissed: 1 })
    expect(tally(s.log.calls(ANN)).metadata).toBeGreaterThanOrEqual(6)
    expect((await readMailState(s.db)).emails).toContain(missed.messageId)
    // Bob's unlisted mail is no CRM mail: no miss, no fallback.
    expect(reportOf(first, BOB)).toMatchObject({ recallSampled: 4, recallMissed: 0 })
    expect(await fallbackOf(s, ANN)).toBeTruthy()
    expect(await fallbackOf(s, BOB)).toBeNull()
    const runs = await s.db.selectFrom('email_sync_runs').innerJoin('email_accounts', 'email_accounts.id', 'email_sync_runs.account_id')
      .select(['address', 'recall_sampled', 'recall_missed']).where('address', '=', ANN).execute()
    expect(runs).toEqual([{ address: ANN, recall_sampled: 6, recall_missed: 1 }])
    const router = routerIntegration(t, s.w)
    try {
      const status = (await call(router.email, 'GET', '/api/email/status')).body as { accounts: { address: string; searchFallback: unknown }[] }
      expect(status.accounts.find((a) => a.address === ANN)?.searchFallback).toBeTruthy()
      expect(status.accounts.find((a) => a.address === BOB)?.searchFallback).toBeNull()
    } finally {
      await router.email.close()
    }

    // Later runs read headers: more mail the search would miss is captured; mail the search lists, also.
    const alsoMissed = hiddenCrm(s, 'Missed again', new Date())
    for (let i = 0; i < 11; i++) s.ledger.deliver(mail({ from: NEWS, to: [ANN], subject: `Promo ${i}`, date: new Date() }), { mailboxes: [ANN], crm: false })
    s.log.clear()
    const later = reportOf(await s.email.sync.runAll(), ANN)
    expect(later).toMatchObject({ status: 'ok', strategy: 'headers' })
    expect(tally(s.log.calls(ANN)).metadata).toBeGreaterThanOrEqual(12)
    s.ledger.synced()
    await expectExactly(s.db, s.ledger)
    for (const c of [missed, recent, alsoMissed]) expect(s.w.emu.stats.downloads[c.gmailId]).toBe(1)
    for (const id of contentGets(s.log.calls(ANN))) expect([alsoMissed.gmailId, recent.gmailId]).toContain(id)

    // Cleared by an operator, the account is back on search (new mail decided by a search, not headers).
    await s.email.accounts.clearSearchFallback(ANN)
    expect(await fallbackOf(s, ANN)).toBeNull()
    for (let i = 0; i < 11; i++) s.ledger.deliver(mail({ from: NEWS, to: [ANN], subject: `More ${i}`, date: new Date() }), { mailboxes: [ANN], crm: false })
    const [visible] = s.ledger.deliver(mail({ from: GLOBEX, to: [ANN], subject: 'Listed', date: new Date() }), { mailboxes: [ANN], crm: true })
    const cheap = s.w.integration({ apiBaseUrl: s.log.url, recallSample: 3 })
    try {
      s.log.clear()
      const cleared = await cheap.sync.run({ account: ANN })
      expect(cleared).toMatchObject({ kind: 'incremental', status: 'ok', strategy: 'search', captured: 1, recallMissed: 0 })
      expect(tally(s.log.calls(ANN)).metadata).toBe(cleared.recallSampled)
      expect(contentGets(s.log.calls(ANN))).toEqual([visible!.gmailId])
    } finally {
      await cheap.close()
    }
  })

  it('samples nothing with a recall sample of 0, and then cannot see what the search missed', async () => {
    seedDay(s.ledger)
    const missed = hiddenCrm(s, 'Missed by search', hoursAgo(3))
    const email = s.w.integration({ apiBaseUrl: s.log.url, recallSample: 0 })
    try {
      for (const r of await email.sync.runAll()) expect(r).toMatchObject({ kind: 'backfill', status: 'ok', recallSampled: 0, recallMissed: 0 })
      expect(tally(s.log.calls()).metadata).toBe(0)
      expect((await readMailState(s.db)).emails).not.toContain(missed.messageId)
      expect(await fallbackOf(s, ANN)).toBeNull()
    } finally {
      await email.close()
    }
  })

  it('does not trip when the sample holds no CRM mail', async () => {
    seedDay(s.ledger)
    const reports = await s.email.sync.runAll()
    expect(reportOf(reports, ANN)).toMatchObject({ status: 'ok', recallSampled: 5, recallMissed: 0 })
    expect(reportOf(reports, BOB)).toMatchObject({ status: 'ok', recallSampled: 4, recallMissed: 0 })
    for (const box of [ANN, BOB]) expect(tally(s.log.calls(box)).metadata).toBe(reportOf(reports, box).recallSampled)
    // Headers only: the sampled mail's content is never downloaded.
    const crm = new Set(s.ledger.copies.filter((c) => c.crm).map((c) => c.gmailId))
    for (const id of contentGets(s.log.calls())) expect(crm).toContain(id)
    expect(await fallbackOf(s, ANN)).toBeNull()
    expect(await fallbackOf(s, BOB)).toBeNull()
    // The next runs stay on search.
    s.ledger.deliver(mail({ from: GLOBEX, to: [ANN], subject: 'Later', date: new Date() }), { mailboxes: [ANN], crm: true })
    expect(reportOf(await s.email.sync.runAll(), ANN)).toMatchObject({ status: 'ok', captured: 1, recallMissed: 0 })
    expect(await fallbackOf(s, ANN)).toBeNull()
  })
})
