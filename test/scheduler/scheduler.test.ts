import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DisabledError, type EmailDatabase, type SyncReport } from '../../src/index.js'
import { createScheduler, FIRST_RUN_DELAY_MS, JITTER_RATIO, type SchedulerOptions, type SchedulerTimers } from '../../src/scheduler/scheduler.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const MIN = 60_000
const INTERVAL_MIN = 60
const START = Date.parse('2026-06-01T07:00:00.000Z')

interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Lets every pending promise reaction (and the scheduler's bookkeeping) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve))
}

function report(account: string, extra: Partial<SyncReport> = {}): SyncReport {
  return {
    account, kind: 'incremental', status: 'ok', listed: 1, fetched: 1, captured: 1, skipped: 0, failed: 0, discarded: 0, recallSampled: 0, recallMissed: 0, strategy: 'search', unitsSpent: 25,
    startedAt: new Date(START).toISOString(), finishedAt: new Date(START).toISOString(), ...extra,
  }
}

/** Virtual timers and clock: nothing fires until the test fires it, and firing moves the clock. */
function virtualTime() {
  let now = START
  let seq = 0
  const pending = new Map<number, { callback: () => void; ms: number }>()
  const timers: SchedulerTimers = {
    setTimeout(callback, ms) {
      seq += 1
      pending.set(seq, { callback, ms })
      return seq
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    clock: { now: () => new Date(now) },
    delays: () => [...pending.values()].map((t) => t.ms),
    /** Fires the one pending timer, after moving the clock by its delay. */
    fire() {
      expect(pending.size).toBe(1)
      const [[id, t]] = [...pending.entries()] as [[number, { callback: () => void; ms: number }]]
      pending.delete(id)
      now += t.ms
      t.callback()
    },
    advance(ms: number) {
      now += ms
    },
  }
}

/** A sync whose every call waits until the test ends it. */
function controllableSync() {
  const calls: { account: string | null; signal: AbortSignal; done: Deferred<SyncReport[]> }[] = []
  const runAll = vi.fn((o: { signal: AbortSignal }) => {
    const done = deferred<SyncReport[]>()
    calls.push({ account: null, signal: o.signal, done })
    return done.promise
  })
  const run = vi.fn((o: { account: string; signal: AbortSignal }) => {
    const done = deferred<SyncReport[]>()
    calls.push({ account: o.account, signal: o.signal, done })
    return done.promise.then((r) => r[0] ?? report(o.account))
  })
  const last = () => {
    const call = calls.at(-1)
    if (call === undefined) throw new Error('no sync call yet')
    return call
  }
  return { calls, runAll, run, last }
}

function setup(extra: Partial<SchedulerOptions> = {}) {
  const time = virtualTime()
  const sync = controllableSync()
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
  const afterSync = vi.fn<(signal: AbortSignal) => Promise<void>>(() => Promise.resolve())
  const scheduler = createScheduler({
    runAll: sync.runAll,
    run: sync.run,
    afterSync,
    enabled: true,
    intervalMin: INTERVAL_MIN,
    logger,
    clock: time.clock,
    random: () => 0.5,
    timers: time.timers,
    ...extra,
  })
  return { time, sync, logger, afterSync, scheduler }
}

describe('scheduler', () => {
  it('never runs while the integration is disabled, and says so once', async () => {
    const { scheduler, sync, time, logger } = setup({ enabled: false })
    scheduler.start()
    scheduler.start()
    expect(time.delays()).toEqual([])
    expect(logger.info.mock.calls.filter(([, m]) => String(m).includes('disabled'))).toHaveLength(1)
    expect(() => scheduler.runNow()).toThrow(DisabledError)
    await flush()
    expect(sync.runAll).not.toHaveBeenCalled()
    expect(scheduler.state()).toMatchObject({ enabled: false, scheduled: false, running: false, nextRunAt: null })
    await scheduler.close()
  })

  it('runs first after a short delay, then every interval with jitter, from the end of each run', async () => {
    const randoms = [0, 0.999_999, 0.5]
    const { scheduler, sync, time } = setup({ random: () => randoms.shift() ?? 0.5 })
    scheduler.start()
    scheduler.start()
    expect(sync.runAll).not.toHaveBeenCalled()
    expect(time.delays()).toEqual([Math.round(FIRST_RUN_DELAY_MS * (1 - JITTER_RATIO))])
    expect(scheduler.state().nextRunAt).toBe(new Date(START + FIRST_RUN_DELAY_MS * 0.9).toISOString())

    time.fire()
    expect(sync.runAll).toHaveBeenCalledTimes(1)
    time.advance(5 * MIN)
    sync.last().done.resolve([report('ann@fund.example')])
    await flush()
    const [longest] = time.delays()
    expect(longest).toBeLessThanOrEqual(INTERVAL_MIN * MIN * (1 + JITTER_RATIO))
    expect(longest).toBeGreaterThan(INTERVAL_MIN * MIN * (1 + JITTER_RATIO) - 10)
    const finishedAt = START + FIRST_RUN_DELAY_MS * 0.9 + 5 * MIN
    expect(scheduler.state().nextRunAt).toBe(new Date(finishedAt + (longest ?? 0)).toISOString())

    time.fire()
    sync.last().done.resolve([])
    await flush()
    expect(time.delays()).toEqual([INTERVAL_MIN * MIN])
    expect(sync.runAll).toHaveBeenCalledTimes(2)
    await scheduler.close()
  })

  it('keeps every wait within ±10% of the interval', async () => {
    let r = 0
    const { scheduler, sync, time } = setup({ random: () => r })
    scheduler.start()
    for (r = 0; r < 1; r += 0.125) {
      time.fire()
      sync.last().done.resolve([])
      await flush()
      const [delay] = time.delays()
      expect(delay).toBeGreaterThanOrEqual(INTERVAL_MIN * MIN * (1 - JITTER_RATIO))
      expect(delay).toBeLessThanOrEqual(INTERVAL_MIN * MIN * (1 + JITTER_RATIO))
    }
    await scheduler.close()
  })

  it('never overlaps a run that takes longer than the interval', async () => {
    const { scheduler, sync, time } = setup()
    scheduler.start()
    time.fire()
    time.advance(5 * INTERVAL_MIN * MIN)
    await flush()
    expect(time.delays()).toEqual([])
    expect(scheduler.state()).toMatchObject({ running: true, nextRunAt: null })
    expect(sync.runAll).toHaveBeenCalledTimes(1)
    sync.last().done.resolve([])
    await flush()
    expect(time.delays()).toEqual([INTERVAL_MIN * MIN])
    await scheduler.close()
  })

  it('skips a tick that finds a runNow run in progress, and schedules again after it', async () => {
    const { scheduler, sync, time, logger } = setup()
    scheduler.start()
    const manual = scheduler.runNow()
    expect(manual.started).toBe(true)
    time.fire()
    expect(sync.runAll).toHaveBeenCalledTimes(1)
    expect(logger.debug).toHaveBeenCalledWith({ account: null }, expect.stringContaining('skipped'))
    sync.last().done.resolve([])
    await manual.reports
    expect(time.delays()).toEqual([INTERVAL_MIN * MIN])
    await scheduler.close()
  })

  it('runNow starts a run at once when idle, of all accounts or of one', async () => {
    const { scheduler, sync, afterSync } = setup()
    const all = scheduler.runNow()
    expect(all).toMatchObject({ started: true, account: null })
    expect(sync.runAll).toHaveBeenCalledTimes(1)
    expect(scheduler.state()).toMatchObject({ running: true, startedAt: new Date(START).toISOString() })
    sync.last().done.resolve([report('ann@fund.example'), report('bob@fund.example')])
    expect((await all.reports).map((r) => r.account)).toEqual(['ann@fund.example', 'bob@fund.example'])
    expect(scheduler.state()).toMatchObject({ running: false, startedAt: null, lastRunAt: new Date(START).toISOString(), lastError: null })
    expect(scheduler.state().lastReports).toHaveLength(2)

    const one = scheduler.runNow('ann@fund.example')
    expect(one).toMatchObject({ started: true, account: 'ann@fund.example' })
    expect(sync.run).toHaveBeenCalledWith({ account: 'ann@fund.example', signal: expect.any(AbortSignal) as AbortSignal })
    sync.last().done.resolve([report('ann@fund.example', { captured: 4 })])
    expect(await one.reports).toEqual([report('ann@fund.example', { captured: 4 })])
    expect(afterSync).toHaveBeenCalledTimes(2)
    // Not scheduled: manual runs leave no timer behind.
    expect(scheduler.state().nextRunAt).toBeNull()
    await scheduler.close()
  })

  it('runNow during a run returns that run instead of starting another', async () => {
    const { scheduler, sync } = setup()
    const first = scheduler.runNow('ann@fund.example')
    const second = scheduler.runNow()
    expect(second.started).toBe(false)
    expect(second.account).toBe('ann@fund.example')
    expect(second.reports).toBe(first.reports)
    expect(sync.runAll).not.toHaveBeenCalled()
    sync.last().done.resolve([report('ann@fund.example')])
    await first.reports
    expect(scheduler.runNow().started).toBe(true)
    sync.last().done.resolve([])
    await scheduler.close()
  })

  it('stop aborts the run in progress, waits for it, and is idempotent', async () => {
    const { scheduler, sync, time, afterSync } = setup()
    scheduler.start()
    time.fire()
    const { signal, done } = sync.last()
    let stopped = false
    const stopping = scheduler.stop().then(() => {
      stopped = true
    })
    const again = scheduler.stop()
    expect(signal.aborted).toBe(true)
    await flush()
    expect(stopped).toBe(false)
    expect(scheduler.state()).toMatchObject({ running: true, scheduled: false })
    done.resolve([report('ann@fund.example', { status: 'partial', error: 'stopped' })])
    await Promise.all([stopping, again])
    expect(stopped).toBe(true)
    expect(scheduler.state()).toMatchObject({ running: false, scheduled: false, nextRunAt: null })
    expect(time.delays()).toEqual([])
    // A stopped run leaves the downloads for the next one.
    expect(afterSync).not.toHaveBeenCalled()
    await scheduler.stop()

    scheduler.start()
    expect(time.delays()).toHaveLength(1)
    await scheduler.close()
    expect(time.delays()).toEqual([])
    expect(() => { scheduler.start() }).toThrow(expect.objectContaining({ code: 'closed' }) as Error)
    expect(() => scheduler.runNow()).toThrow(expect.objectContaining({ code: 'closed' }) as Error)
    await scheduler.close()
  })

  it('keeps a failed run in the state, logs it, and goes on without an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      let calls = 0
      const { scheduler, time, logger, afterSync } = setup({
        runAll: () => {
          calls += 1
          if (calls === 1) return Promise.reject(new Error('database is locked'))
          throw new Error('thrown at once')
        },
      })
      scheduler.start()
      time.fire()
      await flush()
      expect(scheduler.state()).toMatchObject({ running: false, lastError: 'database is locked', lastReports: [] })
      expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ error: 'database is locked' }), 'email sync run failed')
      expect(afterSync).toHaveBeenCalledTimes(1)
      expect(time.delays()).toEqual([INTERVAL_MIN * MIN])

      // Also a runNow whose reports nobody awaits.
      scheduler.runNow()
      await flush()
      await new Promise((resolve) => setTimeout(resolve, 5))
      expect(scheduler.state().lastError).toBe('thrown at once')
      expect(unhandled).toEqual([])

      const awaited = scheduler.runNow()
      await expect(awaited.reports).rejects.toThrow('thrown at once')
      await scheduler.close()
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('runs the attachment worker after each sync run, with the run signal', async () => {
    const order: string[] = []
    const { scheduler, sync, time, afterSync } = setup()
    afterSync.mockImplementation(() => {
      order.push('afterSync')
      return Promise.resolve()
    })
    scheduler.start()
    for (let i = 0; i < 3; i += 1) {
      time.fire()
      expect(afterSync).toHaveBeenCalledTimes(i)
      order.push('sync')
      sync.last().done.resolve([])
      await flush()
      expect(afterSync).toHaveBeenLastCalledWith(sync.last().signal)
    }
    expect(order).toEqual(['sync', 'afterSync', 'sync', 'afterSync', 'sync', 'afterSync'])
    await scheduler.close()
  })

  it('keeps an attachment worker failure in the state without failing the run', async () => {
    const { scheduler, sync } = setup({ afterSync: () => Promise.reject(new Error('disk full')) })
    const result = scheduler.runNow()
    sync.last().done.resolve([report('ann@fund.example')])
    expect(await result.reports).toHaveLength(1)
    expect(scheduler.state()).toMatchObject({ lastError: 'attachment downloads: disk full' })
    expect(scheduler.state().lastReports).toHaveLength(1)
    await scheduler.close()
  })

  it('rejects an interval that would switch the timer off', () => {
    for (const intervalMin of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e9]) {
      expect(() => setup({ intervalMin })).toThrow(/intervalMin/)
    }
  })
})

describeEachDialect('scheduler in createEmailIntegration', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  beforeEach(async () => {
    t = await open()
    // One message per page, so a backfill spans pages and a stop lands between two of them.
    w = await syncWorld(t, { config: { backfillPageSize: 1 } })
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('runNow syncs every account, and close stops a run after its current page and waits', async () => {
    const db = t.db as unknown as Kysely<EmailDatabase>
    for (const member of TEAM) w.emu.addMessage(member, mail({ from: 'dana@acme.vc', to: [member] }).raw)
    const { started, reports } = w.email.scheduler.runNow()
    expect(started).toBe(true)
    expect((await reports).map((r) => r.account).sort()).toEqual([...TEAM].sort())
    expect(await db.selectFrom('emails').select('id').execute()).toHaveLength(TEAM.length)
    expect(w.email.scheduler.state()).toMatchObject({ enabled: true, running: false, lastError: null })

    const FAY = 'fay@fund.example'
    const PAGES = 8
    for (let i = 0; i < PAGES; i += 1) w.emu.addMessage(FAY, mail({ from: 'x@globex.example', to: [FAY] }).raw)
    await w.email.accounts.enroll(FAY)
    let settled = false
    const mark = () => {
      settled = true
    }
    const second = w.email.scheduler.runNow(FAY)
    void second.reports.then(mark, mark)
    const running = db.selectFrom('email_sync_runs').select('id').where('status', '=', 'running')
    const fayCopies = db
      .selectFrom('email_copies')
      .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
      .select('email_copies.id')
      .where('email_accounts.address', '=', FAY)
    // Stop once the first page is committed, so the stop lands in the middle of the backfill.
    const deadline = Date.now() + 5_000
    while ((await fayCopies.execute()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
    expect(w.email.scheduler.state().running).toBe(true)

    await w.email.close()
    expect(settled).toBe(true)
    expect(w.email.scheduler.state().running).toBe(false)
    expect(await running.execute()).toEqual([])
    const [fay] = await second.reports
    // The engine reports a stop that lands on a request in flight as an error of the run
    // (`This operation was aborted`), a stop between pages as `partial`; either way the pages
    // already committed are whole, and the next run resumes from them.
    expect(fay).toMatchObject({ account: FAY, kind: 'backfill' })
    expect(fay?.status).not.toBe('ok')
    expect(fay?.captured).toBeGreaterThan(0)
    expect(fay?.captured).toBeLessThan(PAGES)
    expect(await fayCopies.execute()).toHaveLength(fay?.captured ?? -1)

    const again = w.integration()
    try {
      const [resumed] = await again.scheduler.runNow(FAY).reports
      expect(resumed).toMatchObject({ account: FAY, kind: 'backfill', status: 'ok', captured: PAGES - (fay?.captured ?? 0) })
      expect(await fayCopies.execute()).toHaveLength(PAGES)
    } finally {
      await again.close()
    }
    expect(() => w.email.scheduler.runNow()).toThrow(expect.objectContaining({ code: 'closed' }) as Error)
  })
})
