import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { Kysely } from 'kysely'
import { ConflictError, NotFoundError, type EmailDatabase, type SyncReport } from '../../src/index.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { schedulerIdle } from '../helpers/http.js'
import { CHEAP_COSTS, integrityProblems } from '../helpers/sync/expect.js'
import { gatedProxy, type GatedProxy } from '../helpers/sync/process.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const FUND = 'dana@acme.vc'
const PAGE_SIZE = 5

describeEachDialect('pausing and resuming an account', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let proxy: GatedProxy | null
  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t, { emulator: { costs: CHEAP_COSTS }, config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: PAGE_SIZE } })
    db = t.db as unknown as Kysely<EmailDatabase>
    proxy = null
  })
  afterEach(async () => {
    proxy?.open()
    await proxy?.close()
    await w.close()
    await t.close()
  })

  const copiesOf = async (address: string): Promise<string[]> =>
    (
      await db
        .selectFrom('email_copies as c')
        .innerJoin('email_accounts as a', 'a.id', 'c.account_id')
        .innerJoin('emails as e', 'e.id', 'c.email_id')
        .select('e.message_id')
        .where('a.address', '=', address)
        .execute()
    )
      .map((r) => r.message_id)
      .sort()
  const runsOf = async (address: string) =>
    db
      .selectFrom('email_sync_runs as r')
      .innerJoin('email_accounts as a', 'a.id', 'r.account_id')
      .select(['r.status', 'r.error'])
      .where('a.address', '=', address)
      .orderBy('r.id')
      .execute()

  it('skips a paused account in runAll and refuses sync.run; resume captures what arrived meanwhile, nothing lost, nothing twice', async () => {
    const first = mail({ from: FUND, to: [ANN], subject: 'Before 1' })
    const before = [first, mail({ from: FUND, to: [ANN], subject: 'Before 2' })]
    for (const m of before) w.emu.addMessage(ANN, m.raw)
    w.emu.addMessage(BOB, mail({ from: FUND, to: [BOB] }).raw)
    await w.email.sync.runAll()
    const runsBefore = (await runsOf(ANN)).length

    const paused = await w.email.accounts.pause(ANN)
    expect(paused).toMatchObject({ address: ANN, status: 'paused' })
    expect(typeof paused.pausedAt).toBe('string')
    // Mail arrives while the account is paused: a new message, and a reply in the stored thread.
    const during = [mail({ from: FUND, to: [ANN], subject: 'During', date: new Date() }), mail({ from: FUND, to: [ANN], subject: 'Re: Before 1', inReplyTo: first.messageId, date: new Date() })]
    for (const m of during) w.emu.addMessage(ANN, m.raw)
    w.emu.addMessage(BOB, mail({ from: FUND, to: [BOB], date: new Date() }).raw)

    const reports = await w.email.sync.runAll()
    const ann = reports.find((r) => r.account === ANN)
    expect(ann).toMatchObject({ status: 'paused', pausedAt: paused.pausedAt, listed: 0, captured: 0, unitsSpent: 0 })
    expect(ann?.error).toBeUndefined()
    expect(reports.find((r) => r.account === BOB)).toMatchObject({ status: 'ok', captured: 1 })
    await expect(w.email.sync.run({ account: ANN })).rejects.toThrow(ConflictError)
    await expect(w.email.sync.run({ account: ANN })).rejects.toThrow(/paused/)
    expect((await runsOf(ANN)).length).toBe(runsBefore)
    // Its mail stays stored and readable.
    expect(await copiesOf(ANN)).toEqual(before.map((m) => m.messageId).sort())
    const threads = await w.email.threads.list({ identity: 'fund:7' })
    expect(threads.items.map((thread) => thread.subject)).toEqual(expect.arrayContaining(['Before 1', 'Before 2']))

    const resumed = await w.email.accounts.resume(ANN)
    expect(resumed).toMatchObject({ status: 'active', statusReason: null, pausedAt: null })
    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ kind: 'incremental', status: 'ok', captured: 2 })
    expect(await copiesOf(ANN)).toEqual([...before, ...during].map((m) => m.messageId).sort())
    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ status: 'ok', captured: 0 })
    expect(await integrityProblems(db)).toEqual([])
  })

  it('the scheduler leaves a paused account alone and syncs the others', async () => {
    w.emu.addMessage(ANN, mail({ from: FUND, to: [ANN] }).raw)
    w.emu.addMessage(BOB, mail({ from: FUND, to: [BOB] }).raw)
    await w.email.accounts.pause(ANN)
    expect(w.email.scheduler.runNow().started).toBe(true)
    await schedulerIdle(w.email)
    const { lastReports } = w.email.scheduler.state()
    expect(lastReports.find((r) => r.account === ANN)).toMatchObject({ status: 'paused', captured: 0 })
    expect(lastReports.find((r) => r.account === BOB)).toMatchObject({ status: 'ok', captured: 1 })
    expect(w.email.scheduler.state().lastError).toBeNull()
    expect(await runsOf(ANN)).toEqual([])
    expect(await copiesOf(ANN)).toEqual([])
  })

  it('stops a run paused in the middle at its page boundary, committing nothing of that page; resume finishes the backfill exactly', async () => {
    const all = Array.from({ length: 3 * PAGE_SIZE }, (_, i) => mail({ from: FUND, to: [ANN], subject: `Deal ${i}` }))
    for (const m of all) w.emu.addMessage(ANN, m.raw)
    // The run's Gmail batches are held from its second page on, until the test opens the gate.
    let holding = false
    const gate = await gatedProxy(w.emu.url, (_body, path) => holding && path.startsWith('/batch'))
    proxy = gate
    const pending: Promise<SyncReport> = w.integration({ apiBaseUrl: gate.url }).sync.run({
      account: ANN,
      onProgress: () => {
        holding = true
      },
    })
    await vi.waitFor(() => {
      expect(gate.held()).toBeGreaterThanOrEqual(1)
    }, 20_000)
    expect(await copiesOf(ANN)).toHaveLength(PAGE_SIZE)
    await w.email.accounts.pause(ANN)
    gate.open()
    const report = await pending
    expect(report).toMatchObject({ status: 'partial', kind: 'backfill', captured: PAGE_SIZE })
    expect(report.error).toMatch(/paused/)
    expect(await copiesOf(ANN)).toHaveLength(PAGE_SIZE)
    expect(await runsOf(ANN)).toEqual([{ status: 'aborted', error: expect.stringMatching(/paused/) as unknown }])
    const account = await db.selectFrom('email_accounts').selectAll().where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account).toMatchObject({ status: 'paused', last_error: null, lease_owner: null })
    expect(account.scan_kind).toBe('backfill')

    await w.email.accounts.resume(ANN)
    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ kind: 'backfill', status: 'ok', captured: 2 * PAGE_SIZE })
    expect(await copiesOf(ANN)).toEqual(all.map((m) => m.messageId).sort())
    expect(await integrityProblems(db)).toEqual([])
  })

  it('keeps a paused account paused when the run it stopped ends, whatever status that run had, and resume gives that status back', async () => {
    await w.email.sync.run({ account: ANN })
    await db.updateTable('email_accounts').set({ status: 'needs_attention', status_reason: 'token refused' }).where('address', '=', ANN).execute()
    for (let i = 0; i < 2 * PAGE_SIZE; i++) w.emu.addMessage(ANN, mail({ from: FUND, to: [ANN], date: new Date() }).raw)
    const pauses: Promise<unknown>[] = []
    // Paused as its first page commits: the run stops at the next page, and the end of the run does not unpause it.
    const report = await w.email.sync.run({
      account: ANN,
      onProgress: () => {
        if (pauses.length === 0) pauses.push(w.email.accounts.pause(ANN))
      },
    })
    await Promise.all(pauses)
    expect(pauses).toHaveLength(1)
    expect(['ok', 'partial']).toContain(report.status)
    const account = await db.selectFrom('email_accounts').select(['status', 'paused_status']).where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account.status).toBe('paused')
    expect(await w.email.accounts.resume(ANN)).toMatchObject({ status: account.paused_status ?? 'none', pausedAt: null })
  })

  it('leaves the attachment downloads of a paused account pending until it is resumed', async () => {
    const bytes = randomBytes(2000)
    w.emu.addMessage(ANN, mailWithAttachments({ to: ANN, messageId: 'files@acme.vc', date: new Date(), files: [{ name: 'deck.pdf', bytes }] }))
    await w.email.sync.run({ account: ANN })
    // As the pipeline leaves a message too large to fetch whole: its attachment waits for the worker.
    await db.updateTable('email_attachments').set({ status: 'pending', sha256: null }).execute()
    await w.email.accounts.pause(ANN)
    expect(await w.email.attachments.downloadPending()).toMatchObject({ stored: 0, failed: 0 })
    expect((await db.selectFrom('email_attachments').select('status').executeTakeFirstOrThrow()).status).toBe('pending')
    await w.email.accounts.resume(ANN)
    expect(await w.email.attachments.downloadPending()).toMatchObject({ stored: 1, remaining: 0 })
  })

  it('pausing and resuming are idempotent; an unknown address is NotFoundError', async () => {
    const first = await w.email.accounts.pause(ANN)
    const again = await w.email.accounts.pause(` ${ANN.toUpperCase()} `)
    expect(again).toEqual(first)
    await expect(w.email.accounts.pause('nobody@fund.example')).rejects.toThrow(NotFoundError)
    await expect(w.email.accounts.resume('nobody@fund.example')).rejects.toThrow(NotFoundError)
    const resumed = await w.email.accounts.resume(ANN)
    expect(await w.email.accounts.resume(ANN)).toEqual(resumed)
    expect(resumed).toMatchObject({ status: 'active', pausedAt: null })
  })
})
