import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import type { EmailDatabase, SyncReport } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { CHEAP_COSTS, MailLedger, expectExactly, integrityProblems } from '../helpers/sync/expect.js'
import { nestedMessage } from '../helpers/message.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB, CAT] = TEAM as [string, string, string, ...string[]]
const FUND = 'dana@acme.vc'
const ORG = 'x@globex.example'
const NEWS = 'news@letters.example'
/** Enrolled, but Google refuses to issue tokens for it (no such user): `invalid_grant`. */
const GHOST = 'ghost@fund.example'
const FAST = { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250 }
/** The fault seed: 1% of a few hundred requests may reset no connection at all; with this one, several are. */
const FAULT_SEED = 'b'

/** A message the parser refuses (MIME nested deeper than it allows) but whose headers match the CRM. */
function poison(to: string): { raw: string; messageId: string } {
  const messageId = 'poison@acme.vc'
  return { raw: nestedMessage(80, { from: FUND, to, subject: 'Nested', date: new Date(Date.UTC(2026, 5, 1, 10)), messageId }), messageId }
}

/** Mail for the whole team: shared messages, a conversation across mailboxes, noise. */
function seedTeam(ledger: MailLedger, perMember: number): void {
  for (const [m, member] of TEAM.entries()) {
    const next = TEAM[(m + 1) % TEAM.length]!
    for (let i = 0; i < perMember; i++) {
      const shared = i % 3 === 0
      const first = mail({ from: i % 2 === 0 ? FUND : ORG, to: shared ? [member, next] : [member], subject: `Deal ${m}-${i}` })
      ledger.deliver(first, { mailboxes: shared ? [member, next] : [member], crm: true })
      if (i % 4 === 1) {
        const reply = mail({ from: member, to: [ORG, next], subject: `Re: Deal ${m}-${i}`, inReplyTo: first.messageId })
        ledger.deliver(reply, { mailboxes: [member], crm: true, replyTo: first.messageId, labels: ['SENT'] })
        ledger.deliver(reply, { mailboxes: [next], crm: true, replyTo: first.messageId })
      }
      if (i % 5 === 2) ledger.deliver(mail({ from: NEWS, to: [member] }), { mailboxes: [member], crm: false })
    }
  }
}

function statuses(reports: readonly SyncReport[]): Record<string, SyncReport['status']> {
  return Object.fromEntries(reports.map((r) => [r.account, r.status]))
}

describeEachDialect('sync under Gmail faults', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let ledger: MailLedger
  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t, {
      emulator: { seed: FAULT_SEED, costs: CHEAP_COSTS, faults: { serverError: 0.05, rateLimit: 0.03, reset: 0.01 } },
      config: { ...FAST, backfillPageSize: 4 },
    })
    db = t.db as unknown as Kysely<EmailDatabase>
    ledger = new MailLedger(w.emu)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('ends with exactly the expected mail through 5% server errors, 3% quota errors and 1% connection resets', async () => {
    seedTeam(ledger, 16)
    const backfill = await w.email.sync.runAll()
    for (const r of backfill) expect(r.kind).toBe('backfill')
    // The client's own retries carry every message through (one whose every retry failed would be
    // recorded and fetched again by a later run once due); nothing fails as a whole.
    for (const r of backfill) expect(r.status).not.toBe('error')

    const [first] = ledger.copies.filter((c) => c.mailbox === ANN && c.crm)
    const [shared] = ledger.copies.filter((c) => c.mailbox === BOB && c.crm && ledger.copies.some((o) => o !== c && o.messageId === c.messageId))
    ledger.synced()
    for (const member of TEAM) {
      ledger.deliver(mail({ from: ORG, to: [member], subject: 'After the backfill', date: new Date() }), { mailboxes: [member], crm: true })
    }
    ledger.deliver(mail({ from: FUND, to: [ANN, BOB, CAT], subject: 'All hands', date: new Date() }), { mailboxes: [ANN, BOB, CAT], crm: true })
    ledger.remove(first!)
    ledger.relabel(shared!, ['TRASH'], ['INBOX'])
    ledger.relabel(ledger.copies.find((c) => c.mailbox === CAT && c.crm && !c.deleted)!, ['STARRED'], [])

    const incremental = await w.email.sync.runAll()
    for (const r of incremental) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', failed: 0 })
    ledger.synced()
    await expectExactly(db, ledger)
    expect(await db.selectFrom('email_sync_failures').select('gmail_id').execute()).toEqual([])

    const faults = w.emu.stats.faults
    expect(faults.serverError).toBeGreaterThan(0)
    expect(faults.rateLimit).toBeGreaterThan(0)
    expect(faults.reset).toBeGreaterThan(0)
  })
})

describeEachDialect('sync failures', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let ledger: MailLedger
  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t, { emulator: { costs: CHEAP_COSTS }, config: { ...FAST, backfillPageSize: 5 } })
    db = t.db as unknown as Kysely<EmailDatabase>
    ledger = new MailLedger(w.emu)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  const failureOf = (gmailId: string) =>
    db
      .selectFrom('email_sync_failures')
      .select(['attempts', 'kind', 'parked_at', 'next_attempt_at', 'reason'])
      .where('gmail_id', '=', gmailId)
      .executeTakeFirstOrThrow()
  const cursorOf = async (address: string) =>
    (await db.selectFrom('email_accounts').select('history_id').where('address', '=', address).executeTakeFirstOrThrow()).history_id

  it('parks a poison message at its first failure and never fetches it again, holding back neither other mail nor the cursor', async () => {
    for (let i = 0; i < 4; i++) ledger.deliver(mail({ from: ORG, to: [ANN], subject: `Before ${i}` }), { mailboxes: [ANN], crm: true })
    const bad = poison(ANN)
    // CRM mail by its headers, but never storable: the ledger expects it nowhere.
    const [poisoned] = ledger.deliver(bad, { mailboxes: [ANN], crm: false })
    for (let i = 0; i < 6; i++) ledger.deliver(mail({ from: ORG, to: [ANN], subject: `After ${i}` }), { mailboxes: [ANN], crm: true })

    const first = await w.email.sync.run({ account: ANN })
    expect(first).toMatchObject({ kind: 'backfill', status: 'partial', captured: 10, failed: 1 })
    ledger.synced()
    await expectExactly(db, ledger)
    const parked = await failureOf(poisoned!.gmailId)
    // The parser refuses it the same way every time: it is parked at once.
    expect(parked).toMatchObject({ attempts: 1, kind: 'permanent', next_attempt_at: null })
    expect(parked.parked_at).not.toBeNull()
    expect(parked.reason).toMatch(/MIME nesting depth/)
    expect(await cursorOf(ANN)).toBe(w.emu.historyId(ANN))

    const attempts: SyncReport[] = []
    for (let run = 2; run <= 4; run++) {
      ledger.deliver(mail({ from: FUND, to: [ANN], subject: `Run ${run}`, date: new Date() }), { mailboxes: [ANN], crm: true })
      attempts.push(await w.email.sync.run({ account: ANN }))
      ledger.synced()
      await expectExactly(db, ledger)
      // The cursor moves past the poison message every time: it is retried from the failures table.
      expect(await cursorOf(ANN)).toBe(w.emu.historyId(ANN))
    }
    for (const later of attempts) expect(later).toMatchObject({ kind: 'incremental', status: 'ok', captured: 1, failed: 0 })
    // Only an explicit retry (email.sync.retryFailures) fetches it again.
    expect(await failureOf(poisoned!.gmailId)).toEqual(parked)
    expect(w.emu.stats.downloads[poisoned!.gmailId]).toBe(1)
    const runs = await db.selectFrom('email_sync_runs').select(['status', 'failed']).orderBy('id').execute()
    expect(runs).toEqual([
      { status: 'partial', failed: 1 },
      { status: 'ok', failed: 0 },
      { status: 'ok', failed: 0 },
      { status: 'ok', failed: 0 },
    ])
  })

  it('leaves an account Google refuses in needs_attention while the others sync, and recovers it', async () => {
    await w.email.accounts.enroll(GHOST)
    for (const member of TEAM) ledger.deliver(mail({ from: FUND, to: [member], subject: 'Hello' }), { mailboxes: [member], crm: true })
    const reports = await w.email.sync.runAll()
    expect(statuses(reports)).toEqual({ ...Object.fromEntries(TEAM.map((m) => [m, 'ok'])), [GHOST]: 'error' })
    const ghostReport = reports.find((r) => r.account === GHOST)
    expect(ghostReport?.error).toMatch(/invalid_grant|Invalid email or User ID/)
    ledger.synced()
    await expectExactly(db, ledger)
    const ghost = await db.selectFrom('email_accounts').selectAll().where('address', '=', GHOST).executeTakeFirstOrThrow()
    expect(ghost).toMatchObject({ status: 'needs_attention', lease_owner: null, history_id: null })
    expect(ghost.status_reason).toMatch(/invalid_grant|Invalid email or User ID/)
    const run = await db.selectFrom('email_sync_runs').select(['status', 'error']).where('account_id', '=', ghost.id).executeTakeFirstOrThrow()
    expect(run.status).toBe('error')

    // Delegation fixed (the user exists now): the next run syncs it and the account is active again.
    w.emu.addMailbox(GHOST)
    ledger.deliver(mail({ from: FUND, to: [GHOST], subject: 'Welcome' }), { mailboxes: [GHOST], crm: true })
    const again = await w.email.sync.runAll()
    expect(statuses(again)).toEqual({ ...Object.fromEntries(TEAM.map((m) => [m, 'ok'])), [GHOST]: 'ok' })
    expect(again.find((r) => r.account === GHOST)).toMatchObject({ kind: 'backfill', captured: 1 })
    ledger.synced()
    await expectExactly(db, ledger)
    const recovered = await db.selectFrom('email_accounts').select(['status', 'status_reason', 'last_error']).where('address', '=', GHOST).executeTakeFirstOrThrow()
    expect(recovered).toEqual({ status: 'active', status_reason: null, last_error: null })
    expect(await integrityProblems(db)).toEqual([])
  })
})
