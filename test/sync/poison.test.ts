import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Clock, EmailDatabase, SyncReport } from '../../src/index.js'
import { MAX_RETRIES_PER_RUN, RETRY_BACKOFF_MS, nextAttemptAt } from '../../src/sync/failures.js'
import * as failureBackoff from '../../migrations/0005-failure-backoff.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { request, routerIntegration } from '../helpers/http.js'
import { nestedMessage } from '../helpers/message.js'
import { CHEAP_COSTS } from '../helpers/sync/expect.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const FUND = 'dana@acme.vc'
const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Time that runs with the system clock, plus whatever the test moves it on by; the emulator shares it. */
function movableTime(): { clock: Clock; emulatorNow: () => number; advance(ms: number): void } {
  let offset = 0
  return {
    clock: { now: () => new Date(Date.now() + offset) },
    emulatorNow: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms
    },
  }
}

/** CRM mail (by its headers) whose MIME is nested `depth` levels deep: the parser refuses it, every time. */
function nested(depth: number, to: string): string {
  return nestedMessage(depth, { from: FUND, to, subject: 'Nested', date: new Date(Date.UTC(2026, 5, 1, 10)), messageId: `nested-${depth}@acme.vc` })
}

describeEachDialect('poison and transient failures', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let time: ReturnType<typeof movableTime>
  beforeEach(async () => {
    t = await open()
    time = movableTime()
    w = await syncWorld(t, {
      emulator: { costs: CHEAP_COSTS, clock: { now: time.emulatorNow } },
      config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: 5 },
      clock: time.clock,
    })
    db = t.db as unknown as Kysely<EmailDatabase>
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  const failureOf = (gmailId: string) =>
    db
      .selectFrom('email_sync_failures')
      .select(['kind', 'attempts', 'reason', 'parked_at', 'last_failed_at', 'next_attempt_at'])
      .where('gmail_id', '=', gmailId)
      .executeTakeFirst()
  const runAnn = async (): Promise<SyncReport> => {
    const report = (await w.email.sync.runAll()).find((r) => r.account === ANN)
    if (report === undefined) throw new Error('runAll did not sync ann')
    return report
  }
  const gets = () => w.emu.stats.requests['messages.get'] ?? 0
  const stored = async () => (await db.selectFrom('email_copies').select('gmail_id').execute()).map((r) => r.gmail_id).sort()
  const status = async () => {
    const { email } = routerIntegration(t, w)
    try {
      const answer = await email.tryHandle(request('GET', '/api/email/status', { as: 'user' }))
      const body = (await answer?.json()) as { accounts: { address: string; failures: unknown }[] }
      return Object.fromEntries(body.accounts.map((a) => [a.address, a.failures]))
    } finally {
      await email.close()
    }
  }

  it('migrates failures recorded before kinds existed as transient and due at once, and rolls the columns back', async () => {
    await runAnn()
    const schemaDb = t.db as unknown as Kysely<unknown>
    await failureBackoff.down(schemaDb)
    const account = await db.selectFrom('email_accounts').select('id').where('address', '=', ANN).executeTakeFirstOrThrow()
    const then = '2026-05-01T07:00:00.000Z'
    const old = { account_id: account.id, gmail_id: 'abc', attempts: 4, reason: 'earlier', parked_at: then, first_failed_at: then, last_failed_at: then }
    await (schemaDb as Kysely<{ email_sync_failures: typeof old }>).insertInto('email_sync_failures').values(old).execute()
    await failureBackoff.up(schemaDb)
    expect(await failureOf('abc')).toMatchObject({ kind: 'transient', attempts: 4, parked_at: then, next_attempt_at: then })
    // Due at once: the next run fetches it (Gmail holds no such message: it is settled as gone).
    await runAnn()
    expect(await failureOf('abc')).toBeUndefined()
  })

  it('downloads a message nested 300 levels deep once over ten scheduled runs, while other mail and the cursor move on', async () => {
    for (let i = 0; i < 2; i++) w.emu.addMessage(ANN, mail({ from: FUND, to: [ANN], subject: `Before ${i}` }).raw)
    const poison = w.emu.addMessage(ANN, nested(300, ANN))
    const reports: SyncReport[] = []
    for (let run = 1; run <= 10; run++) {
      w.emu.addMessage(ANN, mail({ from: FUND, to: [ANN], subject: `Run ${run}`, date: time.clock.now() }).raw)
      reports.push(await runAnn())
      // A day later every transient failure would be due: a permanent one is still not fetched.
      time.advance(DAY)
    }

    expect(w.emu.stats.downloads[poison.id]).toBe(1)
    expect(reports[0]).toMatchObject({ kind: 'backfill', status: 'partial', captured: 3, failed: 1 })
    for (const r of reports.slice(1)) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', captured: 1, failed: 0 })
    const failure = await failureOf(poison.id)
    expect(failure).toMatchObject({ kind: 'permanent', attempts: 1, next_attempt_at: null })
    expect(failure?.parked_at).not.toBeNull()
    expect(failure?.reason).toMatch(/MIME nesting depth/)
    expect(await stored()).toHaveLength(12)
    const account = await db.selectFrom('email_accounts').select('history_id').where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account.history_id).toBe(w.emu.historyId(ANN))
    expect((await status())[ANN]).toEqual({ permanent: 1, waiting: 0, nextAttemptAt: null })
  })

  it('does not fetch a permanent failure that a catch-up lists again', async () => {
    const poison = w.emu.addMessage(ANN, nested(300, ANN), { internalDate: time.clock.now() })
    expect(await runAnn()).toMatchObject({ kind: 'backfill', failed: 1 })
    // Two weeks later the cursor is stale: a catch-up scans back over the poison message's day.
    time.advance(14 * DAY)
    w.emu.addMessage(ANN, mail({ from: FUND, to: [ANN], subject: 'Later', date: time.clock.now() }).raw, { internalDate: time.clock.now() })
    const catchup = await runAnn()
    expect(catchup).toMatchObject({ kind: 'catchup', status: 'ok', captured: 1, failed: 0 })
    expect(catchup.listed).toBeGreaterThanOrEqual(1)
    expect(w.emu.stats.downloads[poison.id]).toBe(1)
  })

  it('fetches permanent failures again only when asked: by account, by id, and settles one that is gone', async () => {
    const poison = w.emu.addMessage(ANN, nested(300, ANN))
    await runAnn()
    await runAnn()
    expect(w.emu.stats.downloads[poison.id]).toBe(1)

    const [byAccount, ...others] = await w.email.sync.retryFailures({ account: ANN })
    expect(others).toEqual([])
    expect(byAccount).toMatchObject({ account: ANN, retried: 1, resolved: 0, failing: 1 })
    expect(byAccount?.run).toMatchObject({ account: ANN, kind: 'incremental', status: 'ok' })
    expect(w.emu.stats.downloads[poison.id]).toBe(2)
    expect(await failureOf(poison.id)).toMatchObject({ kind: 'permanent', attempts: 2, next_attempt_at: null })

    expect(await w.email.sync.retryFailures({ ids: ['no-such-message'] })).toEqual([])
    expect(await w.email.sync.retryFailures({ account: BOB })).toEqual([])
    const byId = await w.email.sync.retryFailures({ ids: [poison.id] })
    expect(byId.map((r) => [r.account, r.retried, r.failing])).toEqual([[ANN, 1, 1]])
    expect(w.emu.stats.downloads[poison.id]).toBe(3)

    // Scheduled runs still leave it alone.
    time.advance(30 * DAY)
    await runAnn()
    expect(w.emu.stats.downloads[poison.id]).toBe(3)

    // Deleted in Gmail, it is gone: the retry settles it and the failure is forgotten.
    w.emu.deleteMessage(ANN, poison.id)
    const [gone] = await w.email.sync.retryFailures({})
    expect(gone).toMatchObject({ account: ANN, retried: 1, resolved: 1, failing: 0 })
    expect(await failureOf(poison.id)).toBeUndefined()
    expect((await status())[ANN]).toEqual({ permanent: 0, waiting: 0, nextAttemptAt: null })

    await expect(w.email.sync.retryFailures({ account: 'nobody@fund.example' })).rejects.toMatchObject({ code: 'not_found' })
    await expect(w.email.sync.retryFailures({ ids: [''] })).rejects.toMatchObject({ code: 'validation_failed' })
  })

  it('retries a transient failure only when it is due, backing off, and captures it once Gmail serves it again', async () => {
    w.emu.setFaults({ serverError: 1, methods: ['messages.get'] })
    const flaky = w.emu.addMessage(ANN, mail({ from: FUND, to: [ANN], subject: 'Through the outage' }).raw)
    expect(await runAnn()).toMatchObject({ status: 'partial', failed: 1, captured: 0 })
    const first = await failureOf(flaky.id)
    expect(first).toMatchObject({ kind: 'transient', attempts: 1, parked_at: null })
    expect(Date.parse(first?.next_attempt_at ?? '') - Date.parse(first?.last_failed_at ?? '')).toBe(RETRY_BACKOFF_MS[0])
    expect((await status())[ANN]).toEqual({ permanent: 0, waiting: 1, nextAttemptAt: first?.next_attempt_at })

    // Not due yet: the run does not ask Gmail for it.
    time.advance(30 * 60_000)
    let before = gets()
    expect(await runAnn()).toMatchObject({ status: 'ok', failed: 0 })
    expect(gets() - before).toBe(0)

    // Due: fetched again, fails again, and waits longer.
    time.advance(31 * 60_000)
    before = gets()
    expect(await runAnn()).toMatchObject({ status: 'partial', failed: 1 })
    expect(gets() - before).toBeGreaterThan(0)
    const second = await failureOf(flaky.id)
    expect(second).toMatchObject({ kind: 'transient', attempts: 2 })
    expect(Date.parse(second?.next_attempt_at ?? '') - Date.parse(second?.last_failed_at ?? '')).toBe(RETRY_BACKOFF_MS[1])

    time.advance(5 * HOUR)
    before = gets()
    await runAnn()
    expect(gets() - before).toBe(0)

    // The outage is over; at the next due run the message is captured and its failure forgotten.
    w.emu.setFaults({})
    time.advance(HOUR + 60_000)
    expect(await runAnn()).toMatchObject({ status: 'ok', captured: 1, failed: 0 })
    expect(await stored()).toEqual([flaky.id])
    expect(await failureOf(flaky.id)).toBeUndefined()
    expect(w.emu.stats.downloads[flaky.id]).toBe(1)
  })

  it('takes a Gmail 400 for a message as permanent, and a 404 as gone', async () => {
    await runAnn()
    const account = await db.selectFrom('email_accounts').select('id').where('address', '=', ANN).executeTakeFirstOrThrow()
    const now = time.clock.now().toISOString()
    const row = (gmailId: string) => ({
      account_id: account.id, gmail_id: gmailId, attempts: 1, reason: 'earlier', kind: 'transient' as const, next_attempt_at: now, first_failed_at: now, last_failed_at: now,
    })
    // Gmail refuses a malformed id with 400 "Invalid id value"; a well-formed one it does not hold is 404.
    await db.insertInto('email_sync_failures').values([row('not-a-gmail-id'), row('fedcba9876543210')]).execute()
    time.advance(60_000)
    expect(await runAnn()).toMatchObject({ status: 'partial', failed: 1, skipped: 1 })
    expect(await failureOf('not-a-gmail-id')).toMatchObject({ kind: 'permanent', attempts: 2, next_attempt_at: null, reason: expect.stringMatching(/Invalid id value/) as unknown })
    expect(await failureOf('fedcba9876543210')).toBeUndefined()
    time.advance(30 * DAY)
    const before = gets()
    expect(await runAnn()).toMatchObject({ status: 'ok', failed: 0 })
    expect(gets() - before).toBe(0)
  })

  it('retries at most MAX_RETRIES_PER_RUN due failures a run, longest due first, and never the permanent ones', async () => {
    await runAnn()
    const account = await db.selectFrom('email_accounts').select('id').where('address', '=', ANN).executeTakeFirstOrThrow()
    const at = (minutesAgo: number) => new Date(time.clock.now().getTime() - minutesAgo * 60_000).toISOString()
    const row = (id: string, kind: 'permanent' | 'transient', due: string | null) => ({
      account_id: account.id, gmail_id: id, attempts: 1, reason: 'test', kind, next_attempt_at: due, parked_at: kind === 'permanent' ? at(500) : null,
      first_failed_at: at(500), last_failed_at: at(500),
    })
    // Gmail ids are hex: these are well-formed, but no mailbox holds them.
    const id = (prefix: string, i: number) => `${prefix}${i.toString(16).padStart(15, '0')}`
    const due = Array.from({ length: MAX_RETRIES_PER_RUN + 50 }, (_, i) => row(id('a', i), 'transient', at(400 - i)))
    const later = Array.from({ length: 10 }, (_, i) => row(id('b', i), 'transient', new Date(time.clock.now().getTime() + HOUR).toISOString()))
    const permanent = Array.from({ length: 30 }, (_, i) => row(id('c', i), 'permanent', null))
    for (const rows of [due, later, permanent]) await db.insertInto('email_sync_failures').values(rows).execute()

    // The ids are unknown to Gmail (404): each retried one is settled as gone.
    let before = gets()
    expect(await runAnn()).toMatchObject({ status: 'ok', skipped: MAX_RETRIES_PER_RUN, failed: 0 })
    expect(gets() - before).toBe(MAX_RETRIES_PER_RUN)
    const left = async () => (await db.selectFrom('email_sync_failures').select('gmail_id').execute()).map((r) => r.gmail_id).sort()
    expect(await left()).toEqual([...due.slice(MAX_RETRIES_PER_RUN), ...later, ...permanent].map((r) => r.gmail_id).sort())

    before = gets()
    expect(await runAnn()).toMatchObject({ skipped: 50 })
    expect(gets() - before).toBe(50)
    expect(await left()).toEqual([...later, ...permanent].map((r) => r.gmail_id).sort())
    expect((await status())[ANN]).toMatchObject({ permanent: 30, waiting: 10 })
  })
})

it('backs off 1 hour, 6 hours, 1 day, 3 days, then every 7 days', () => {
  const now = new Date('2026-06-01T07:00:00.000Z')
  const waits = [1, 2, 3, 4, 5, 6, 20].map((attempts) => (Date.parse(nextAttemptAt(attempts, now)) - now.getTime()) / HOUR)
  expect(waits).toEqual([1, 6, 24, 72, 168, 168, 168])
})
