import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { ConflictError, type EmailDatabase, type SyncReport } from '../../src/index.js'
import { PG_URL, openPostgres, type HostDatabase, type TestDatabase } from '../helpers/databases.js'
import { CHEAP_COSTS, MailLedger, expectExactly, integrityProblems } from '../helpers/sync/expect.js'
import { childSettings, gatedProxy, progressCount, reportsOf, startSyncChild, type GatedProxy } from '../helpers/sync/process.js'
import { useSyncProcessWorld } from '../helpers/sync/process-world.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const FUND = 'dana@acme.vc'
const PAGE_SIZE = 10
/** A short lease, so that a page can outlast it within a test. */
const SHORT_TTL_MS = 600

/** Log lines an integration wrote, as `message fields`. */
function captureLog(): { readonly lines: string[]; readonly logger: { info: (fields: object, message: string) => void; warn: (fields: object, message: string) => void } } {
  const lines: string[] = []
  const write = (fields: object, message: string) => {
    lines.push(`${message} ${JSON.stringify(fields)}`)
  }
  return { lines, logger: { info: write, warn: write } }
}

/**
 * Starts a run of Ann's account on `w` whose Gmail batches, from its second page on, a proxy
 * holds; resolves once one is held. `keep` receives the proxy at once, for the test to close.
 */
async function runHeldAtSecondPage(
  w: SyncWorld,
  extra: Parameters<SyncWorld['integration']>[1],
  keep: (proxy: GatedProxy) => void,
): Promise<{ readonly proxy: GatedProxy; readonly pending: Promise<SyncReport> }> {
  let holding = false
  const proxy = await gatedProxy(w.emu.url, (_body, path) => holding && path.startsWith('/batch'))
  keep(proxy)
  const pending = w.integration({ apiBaseUrl: proxy.url }, extra).sync.run({
    account: ANN,
    onProgress: () => {
      holding = true
    },
  })
  await vi.waitFor(() => {
    expect(proxy.held()).toBeGreaterThanOrEqual(1)
  }, 20_000)
  return { proxy, pending }
}

describe('sync leases held by processes that die, stall or are slow', () => {
  // A slow-ish Gmail, so that a kill lands inside a run.
  const world = useSyncProcessWorld({
    emulator: { seed: 'lease', costs: CHEAP_COSTS, faults: { slow: 0.2, slowMs: 25 } },
    config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: PAGE_SIZE },
  })
  let proxy: GatedProxy | null

  beforeEach(() => {
    const { ledger } = world()
    proxy = null
    for (let i = 0; i < 120; i++) ledger.deliver(mail({ from: FUND, to: [ANN], subject: `Deal ${i}` }), { mailboxes: [ANN], crm: true })
    for (let i = 0; i < 4; i++) ledger.deliver(mail({ from: FUND, to: [BOB], subject: `Bob ${i}` }), { mailboxes: [BOB], crm: true })
  })
  afterEach(async () => {
    proxy?.open()
    await proxy?.close()
  })

  const leaseOf = (address: string) =>
    world()
      .db.selectFrom('email_accounts')
      .select(['lease_owner', 'lease_expires_at', 'lease_pid', 'lease_host', 'lease_acquired_at'])
      .where('address', '=', address)
      .executeTakeFirstOrThrow()

  it('after a kill -9 mid-sync, the next process takes the dead owner\'s lease at once and resumes', async () => {
    const { script, w, file, db, ledger } = world()
    const settings = childSettings(w, file.path, { account: ANN, config: { backfillPageSize: PAGE_SIZE } })
    const child = startSyncChild(script, settings)
    expect(await child.until((events) => progressCount(events) >= 1)).toBe(true)
    const ready = child.events.find((e) => e.type === 'ready')
    await child.kill()
    const killedAt = Date.now()
    expect((await child.exited).signal).toBe('SIGKILL')

    // The dead process's lease is on record, its own pid and host, and would hold for minutes.
    const dead = await leaseOf(ANN)
    expect(dead).toMatchObject({ lease_pid: ready?.type === 'ready' ? ready.pid : -1, lease_host: hostname() })
    expect(Date.parse(dead.lease_expires_at ?? '') - Date.now()).toBeGreaterThan(60_000)

    const log = captureLog()
    const other = w.integration({}, { logger: log.logger })
    const reports = await other.sync.runAll()
    expect(reports.find((r) => r.account === ANN)).toMatchObject({ status: 'ok', kind: 'backfill' })
    expect(reports.every((r) => r.status === 'ok')).toBe(true)
    // Resumed long before the dead owner's lease would have lapsed.
    const runs = await db.selectFrom('email_sync_runs').select(['status', 'started_at', 'error']).orderBy('id').execute()
    const resumed = runs.at(-1)
    expect(resumed?.status).toBe('ok')
    expect((resumed?.started_at ?? '') < (dead.lease_expires_at ?? '')).toBe(true)
    expect(runs.filter((r) => r.status === 'aborted')).toHaveLength(1)
    expect(log.lines.some((line) => line.startsWith('email sync lease taken over: its holder died') && line.includes(`pid ${dead.lease_pid}`))).toBe(true)
    ledger.synced([ANN, BOB])
    await expectExactly(db, ledger)
    expect(await leaseOf(ANN)).toMatchObject({ lease_owner: null, lease_pid: null })
    console.log(`kill -9 to the resumed run's start: ${Date.parse(resumed?.started_at ?? '') - killedAt} ms`)
  })

  it('runAll reports an account a live process holds as busy, naming that process, and logs it', async () => {
    const { script, w, file, db, ledger } = world()
    proxy = await gatedProxy(w.emu.url, (_body, path) => path.startsWith('/batch'))
    const child = startSyncChild(script, childSettings(w, file.path, { account: ANN, config: { apiBaseUrl: proxy.url, backfillPageSize: PAGE_SIZE } }))
    await vi.waitFor(() => {
      expect(proxy?.held()).toBeGreaterThanOrEqual(1)
    }, 20_000)
    const ready = child.events.find((e) => e.type === 'ready')
    const pid = ready?.type === 'ready' ? ready.pid : -1

    const log = captureLog()
    const other = w.integration({}, { logger: log.logger })
    await expect(other.sync.run({ account: ANN })).rejects.toThrow(new RegExp(`held by pid ${pid} on ${hostname()} since `))
    await expect(other.sync.run({ account: ANN })).rejects.toBeInstanceOf(ConflictError)
    const reports: SyncReport[] = await other.sync.runAll()
    const lease = await leaseOf(ANN)
    const busy = reports.find((r) => r.account === ANN)
    expect(busy).toMatchObject({
      status: 'busy',
      kind: 'backfill',
      listed: 0,
      heldBy: { pid, host: hostname(), since: lease.lease_acquired_at, description: expect.stringContaining(`pid ${pid} on ${hostname()} since ${lease.lease_acquired_at ?? ''}, lease until `) as unknown },
    })
    expect(reports.filter((r) => r.status !== 'busy').map((r) => r.account)).toEqual(TEAM.filter((a) => a !== ANN))
    expect(log.lines.some((line) => line.startsWith('email account busy') && line.includes(ANN) && line.includes(`pid ${pid}`))).toBe(true)
    // Ann's lease and work stay the live process's.
    expect(lease.lease_pid).toBe(pid)
    proxy.open()
    const [own] = await reportsOf(child)
    expect(own).toMatchObject({ account: ANN, status: 'ok' })
    ledger.synced()
    await expectExactly(db, ledger)
  })

  it('keeps the lease through a page slower than the lease TTL', async () => {
    const { w, db } = world()
    const other = w.integration({}, { sync: { leaseTtlMs: SHORT_TTL_MS } })
    const slow = await runHeldAtSecondPage(w, { sync: { leaseTtlMs: SHORT_TTL_MS } }, (p) => (proxy = p))
    // The second page's fetch is held for five TTLs; meanwhile the lease is renewed, and no one may take it.
    const before = await leaseOf(ANN)
    for (let i = 0; i < 5; i++) {
      await sleep(SHORT_TTL_MS)
      await expect(other.sync.run({ account: ANN })).rejects.toBeInstanceOf(ConflictError)
    }
    const during = await leaseOf(ANN)
    expect(during.lease_owner).toBe(before.lease_owner)
    expect(Date.parse(during.lease_expires_at ?? '')).toBeGreaterThan(Date.parse(before.lease_expires_at ?? '') + 2 * SHORT_TTL_MS)
    slow.proxy.open()
    expect(await slow.pending).toMatchObject({ status: 'ok', kind: 'backfill', captured: 120 })
    expect(await leaseOf(ANN)).toMatchObject({ lease_owner: null })
    const runs = await db.selectFrom('email_sync_runs').select('id').execute()
    expect(runs).toHaveLength(1)
  })

  it('stops a run at once, in the middle of its page, when its lease is taken, and commits nothing of that page', async () => {
    const { w, db } = world()
    let settled = false
    const victim = await runHeldAtSecondPage(w, { sync: { leaseTtlMs: SHORT_TTL_MS } }, (p) => (proxy = p))
    const pending = victim.pending.finally(() => {
      settled = true
    })
    const stored = (await db.selectFrom('email_copies').select('id').execute()).length
    expect(stored).toBe(PAGE_SIZE)
    const until = new Date(Date.now() + 60_000).toISOString()
    await db.updateTable('email_accounts').set({ lease_owner: 'other-host:9:live', lease_expires_at: until }).where('address', '=', ANN).execute()

    // The run ends while its page's fetch is still held: it did not wait for the page.
    await vi.waitFor(() => {
      expect(settled).toBe(true)
    }, 10_000)
    const report = await pending
    expect(report).toMatchObject({ status: 'error', kind: 'backfill', listed: PAGE_SIZE, captured: PAGE_SIZE })
    expect(report.error).toMatch(/lost the sync lease/)
    victim.proxy.open()
    await sleep(200)
    expect(await db.selectFrom('email_copies').select('id').execute()).toHaveLength(PAGE_SIZE)
    expect(await leaseOf(ANN)).toMatchObject({ lease_owner: 'other-host:9:live', lease_expires_at: until })
    expect(await integrityProblems(db)).toEqual([])
  })
})

describe.skipIf(PG_URL === '')('sync leases on PostgreSQL: the holder\'s session tells whether it lives', () => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let proxy: GatedProxy | null

  beforeEach(async () => {
    t = await openPostgres()
    w = await syncWorld(t, { emulator: { seed: 'lease-pg', costs: CHEAP_COSTS }, config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: 5 } })
    db = t.db as unknown as Kysely<EmailDatabase>
    proxy = null
    const ledger = new MailLedger(w.emu)
    for (let i = 0; i < 15; i++) ledger.deliver(mail({ from: FUND, to: [ANN], subject: `Deal ${i}` }), { mailboxes: [ANN], crm: true })
  })
  afterEach(async () => {
    proxy?.open()
    await proxy?.close()
    await w.close()
    await t.close()
  })

  /** Whether anyone holds the session advisory lock `key` (tried and given back on one connection). */
  async function sessionHeld(key: string): Promise<boolean> {
    const { rows } = await sql<{ free: boolean }>`
      select case when pg_try_advisory_lock(cast(${key} as bigint)) then pg_advisory_unlock(cast(${key} as bigint)) else false end as free`.execute(t.db)
    return rows[0]?.free !== true
  }

  it('takes over at once the lease of a holder on another host whose session is gone, and leaves a live one alone', async () => {
    const key = '4611686018427387000'
    const remote = new pg.Client({ connectionString: PG_URL })
    await remote.connect()
    await remote.query('select pg_advisory_lock($1::bigint)', [key])
    const until = new Date(Date.now() + 60_000).toISOString()
    await db
      .updateTable('email_accounts')
      .set({ lease_owner: 'crm-2:77:ab12', lease_expires_at: until, lease_host: 'crm-2', lease_pid: 77, lease_boot_id: 'linux:elsewhere', lease_session: key, lease_acquired_at: new Date().toISOString() })
      .where('address', '=', ANN)
      .execute()
    try {
      // Alive on another host: busy, whatever this host's process table says.
      await expect(w.email.sync.run({ account: ANN })).rejects.toBeInstanceOf(ConflictError)
      const reports = await w.email.sync.runAll()
      expect(reports.find((r) => r.account === ANN)).toMatchObject({ status: 'busy', heldBy: { host: 'crm-2', pid: 77, expiresAt: until } })
    } finally {
      await remote.end()
    }
    // Its connection gone (the process died, or its host), the lease is taken well before it lapses.
    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ status: 'ok', kind: 'backfill', captured: 15 })
    expect(await sessionHeld(key)).toBe(false)
  })

  it('keeps one pooled connection holding a session lock while it syncs, and gives it back after', async () => {
    const syncing = await runHeldAtSecondPage(w, {}, (p) => (proxy = p))
    const lease = await db.selectFrom('email_accounts').select(['lease_session', 'lease_pid']).where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(lease.lease_pid).toBe(process.pid)
    const key = lease.lease_session ?? ''
    expect(key).toMatch(/^\d+$/)
    expect(await sessionHeld(key)).toBe(true)
    // Seen from another host (no process table to ask), the session alone proves the holder alive.
    await db.updateTable('email_accounts').set({ lease_host: 'crm-2', lease_expires_at: new Date(Date.now() + 60_000).toISOString() }).where('address', '=', ANN).execute()
    await expect(w.email.sync.run({ account: ANN })).rejects.toBeInstanceOf(ConflictError)
    syncing.proxy.open()
    expect(await syncing.pending).toMatchObject({ status: 'ok', captured: 15 })
    expect(await sessionHeld(key)).toBe(false)
  })
})

describe.skipIf(PG_URL === '')('sync leases on PostgreSQL with a pool of one connection', () => {
  it('syncs without the session lock rather than waiting forever for a second connection, and logs why', async () => {
    const t = await openPostgres()
    const pool = new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${t.schema}`, max: 1 })
    const one: TestDatabase = { ...t, db: new Kysely<HostDatabase>({ dialect: new PostgresDialect({ pool }) }) }
    const w = await syncWorld(one, { emulator: { seed: 'lease-pool-of-one', costs: CHEAP_COSTS }, config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: 5 } })
    try {
      const ledger = new MailLedger(w.emu)
      for (let i = 0; i < 7; i++) ledger.deliver(mail({ from: FUND, to: [ANN], subject: `Deal ${i}` }), { mailboxes: [ANN], crm: true })
      const log = captureLog()
      const email = w.integration({}, { logger: log.logger })
      const reports = await email.sync.runAll()
      expect(reports.find((r) => r.account === ANN)).toMatchObject({ status: 'ok', kind: 'backfill', captured: 7 })
      expect(log.lines.some((line) => line.startsWith('email sync lease session lock given up') && line.includes('no second connection'))).toBe(true)
      // Refused once, the pool is not asked again by the next runs.
      const before = log.lines.length
      expect((await email.sync.runAll()).every((r) => r.status === 'ok')).toBe(true)
      expect(log.lines.slice(before).some((line) => line.startsWith('email sync lease session lock given up'))).toBe(false)
      await email.close()
    } finally {
      await w.close()
      await one.db.destroy()
      await t.close()
    }
  })
})
