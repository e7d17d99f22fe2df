import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Kysely } from 'kysely'
import { ConflictError, type EmailDatabase, type SyncReport } from '../../src/index.js'
import { CHEAP_COSTS, MailLedger, expectExactly, integrityProblems } from '../helpers/sync/expect.js'
import { childSettings, gatedProxy, openSqliteFile, reportsOf, startSyncChild } from '../helpers/sync/process.js'
import { useSyncProcessWorld } from '../helpers/sync/process-world.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB, CAT, DEE, EVE] = TEAM as [string, string, string, string, string]
const FUND = 'dana@acme.vc'
const ORG = 'x@globex.example'
const NEWS = 'news@letters.example'
const MINUTE_MS = 60_000

/** Mail for the whole team, much of it shared, so that both processes store the same emails at once. */
function seedTeam(ledger: MailLedger, perMember: number, date?: Date): void {
  const when = date === undefined ? {} : { date }
  for (const [m, member] of TEAM.entries()) {
    const others = [TEAM[(m + 1) % TEAM.length]!, TEAM[(m + 3) % TEAM.length]!]
    for (let i = 0; i < perMember; i++) {
      const to = i % 2 === 0 ? [member, ...others] : [member]
      const first = mail({ from: i % 3 === 0 ? FUND : ORG, to, subject: `Deal ${m}-${i}`, ...when })
      ledger.deliver(first, { mailboxes: to, crm: true })
      if (i % 4 === 0) {
        const reply = mail({ from: others[0]!, to: [ORG, member], subject: `Re: Deal ${m}-${i}`, inReplyTo: first.messageId, ...when })
        ledger.deliver(reply, { mailboxes: [others[0]!], crm: true, replyTo: first.messageId, labels: ['SENT'] })
        ledger.deliver(reply, { mailboxes: [member], crm: true, replyTo: first.messageId })
      }
      if (i % 6 === 5) ledger.deliver(mail({ from: NEWS, to: [member], ...when }), { mailboxes: [member], crm: false })
    }
  }
}

/** Runs of one account by different owners that overlap in time. */
function overlaps(runs: readonly { account_id: number; owner: string; started_at: string; finished_at: string | null }[]): string[] {
  const found: string[] = []
  for (const a of runs) {
    for (const b of runs) {
      if (a === b || a.account_id !== b.account_id || a.owner === b.owner) continue
      const aEnd = a.finished_at ?? '9999'
      const bEnd = b.finished_at ?? '9999'
      if (a.started_at < bEnd && b.started_at < aEnd) found.push(`account ${a.account_id}: ${a.owner} and ${b.owner}`)
    }
  }
  return found
}

describe('two processes syncing one SQLite file', () => {
  const world = useSyncProcessWorld({ emulator: { seed: 'two', costs: CHEAP_COSTS }, config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: 10 } })

  async function runBoth(): Promise<SyncReport[]> {
    const { script, w, file } = world()
    const settings = childSettings(w, file.path, { config: { backfillPageSize: 10 } })
    const children = [startSyncChild(script, settings), startSyncChild(script, settings)]
    const reports = await Promise.all(children.map(reportsOf))
    return reports.flat()
  }

  it('syncs every account in one process at a time and stores nothing twice', async () => {
    const { db, ledger } = world()
    seedTeam(ledger, 24)
    const reported = await runBoth()
    const first = reported.filter((r) => r.status !== 'busy')
    // An account the other process held when this one reached it is reported busy, naming that process.
    const pids = new Set(reported.flatMap((r) => (r.heldBy?.pid === undefined || r.heldBy.pid === null ? [] : [r.heldBy.pid])))
    expect(pids.has(process.pid)).toBe(false)
    expect(pids.size).toBeLessThanOrEqual(2)
    ledger.synced()
    await expectExactly(db, ledger)
    // Every account was synced, each backfilled once; the process that found it leased left it alone.
    expect(first.filter((r) => r.kind === 'backfill').map((r) => r.account).sort()).toEqual([...TEAM].sort())
    for (const r of first) expect(r.status).toBe('ok')
    let runs = await db.selectFrom('email_sync_runs').select(['account_id', 'owner', 'kind', 'started_at', 'finished_at']).execute()
    expect(new Set(runs.map((r) => r.owner)).size).toBe(2)
    expect(overlaps(runs)).toEqual([])
    expect(runs.filter((r) => r.kind === 'backfill')).toHaveLength(TEAM.length)

    ledger.relabel(ledger.copies.find((c) => c.mailbox === BOB && c.crm)!, ['TRASH'], ['INBOX'])
    ledger.remove(ledger.copies.find((c) => c.mailbox === CAT && c.crm)!)
    seedTeam(ledger, 6, new Date())
    const second = (await runBoth()).filter((r) => r.status !== 'busy')
    ledger.synced()
    await expectExactly(db, ledger)
    for (const r of second) expect(r).toMatchObject({ kind: 'incremental', status: 'ok' })
    expect(new Set(second.map((r) => r.account))).toEqual(new Set(TEAM))
    runs = await db.selectFrom('email_sync_runs').select(['account_id', 'owner', 'kind', 'started_at', 'finished_at']).execute()
    expect(overlaps(runs)).toEqual([])
    expect(await db.selectFrom('email_accounts').select('address').where('lease_owner', 'is not', null).execute()).toEqual([])
  })
})

describe('sync leases', () => {
  let file: ReturnType<typeof openSqliteFile>
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let ledger: MailLedger
  beforeEach(async () => {
    file = openSqliteFile()
    w = await syncWorld(file, { emulator: { costs: CHEAP_COSTS }, config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250, backfillPageSize: 5 } })
    db = file.db as unknown as Kysely<EmailDatabase>
    ledger = new MailLedger(w.emu)
    for (const member of TEAM) {
      for (let i = 0; i < 6; i++) ledger.deliver(mail({ from: FUND, to: [member], subject: `Hi ${i}` }), { mailboxes: [member], crm: true })
    }
  })
  afterEach(async () => {
    await w.close()
    await file.close()
  })

  const leaseOf = (address: string) =>
    db.selectFrom('email_accounts').select(['lease_owner', 'lease_expires_at']).where('address', '=', address).executeTakeFirstOrThrow()

  it('takes over the lease of a crashed owner once it expired, and closes the run it left behind', async () => {
    const ann = await db.selectFrom('email_accounts').select('id').where('address', '=', ANN).executeTakeFirstOrThrow()
    const crashedAt = new Date(Date.now() - 5 * MINUTE_MS).toISOString()
    await db.updateTable('email_accounts').set({ lease_owner: 'crashed-host:4242:dead', lease_expires_at: new Date(Date.now() - MINUTE_MS).toISOString() }).where('id', '=', ann.id).execute()
    await db.insertInto('email_sync_runs').values({ account_id: ann.id, kind: 'backfill', status: 'running', owner: 'crashed-host:4242:dead', started_at: crashedAt }).execute()

    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ kind: 'backfill', status: 'ok', captured: 6 })
    expect(await leaseOf(ANN)).toEqual({ lease_owner: null, lease_expires_at: null })
    const runs = await db.selectFrom('email_sync_runs').select(['owner', 'status', 'finished_at']).orderBy('id').execute()
    expect(runs.map((r) => [r.owner, r.status])).toEqual([
      ['crashed-host:4242:dead', 'aborted'],
      [expect.not.stringMatching(/crashed/) as unknown, 'ok'],
    ])
    expect(runs[0]?.finished_at).not.toBeNull()
  })

  it('refuses to sync an account whose lease another process holds, and runAll leaves it alone and reports it busy', async () => {
    const until = new Date(Date.now() + MINUTE_MS).toISOString()
    await db.updateTable('email_accounts').set({ lease_owner: 'other-host:7:live', lease_expires_at: until }).where('address', '=', ANN).execute()
    await expect(w.email.sync.run({ account: ANN })).rejects.toBeInstanceOf(ConflictError)
    const reports = await w.email.sync.runAll()
    expect(reports.filter((r) => r.status !== 'busy').map((r) => r.account).sort()).toEqual([BOB, CAT, DEE, EVE])
    expect(reports.find((r) => r.account === ANN)).toMatchObject({
      status: 'busy',
      kind: 'backfill',
      captured: 0,
      heldBy: { owner: 'other-host:7:live', host: null, pid: null, since: null, expiresAt: until, description: `other-host:7:live, lease until ${until}` },
    })
    expect(await leaseOf(ANN)).toEqual({ lease_owner: 'other-host:7:live', lease_expires_at: until })
    const annRuns = await db
      .selectFrom('email_sync_runs')
      .innerJoin('email_accounts', 'email_accounts.id', 'email_sync_runs.account_id')
      .select('email_sync_runs.id')
      .where('email_accounts.address', '=', ANN)
      .execute()
    expect(annRuns).toEqual([])
    expect(await db.selectFrom('email_copies').innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id').select('email_copies.id').where('address', '=', ANN).execute()).toEqual([])
  })

  it('never runs one account twice at once inside one process either', async () => {
    const results = await Promise.allSettled([w.email.sync.run({ account: ANN }), w.email.sync.run({ account: ANN }), w.email.sync.runAll()])
    const [a, b, all] = results
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected'])
    const refused = [a, b].find((r) => r.status === 'rejected')
    expect(refused?.reason).toBeInstanceOf(ConflictError)
    expect(all.status === 'fulfilled' ? all.value.filter((r) => r.status !== 'busy').map((r) => r.account).sort() : all.reason).toEqual([BOB, CAT, DEE, EVE])
    // The run of this process that held Ann is named: this very process.
    const busy = all.status === 'fulfilled' ? all.value.find((r) => r.account === ANN) : undefined
    expect(busy).toMatchObject({ status: 'busy', heldBy: { pid: process.pid } })
    ledger.synced()
    await expectExactly(db, ledger)
    expect(await db.selectFrom('email_sync_runs').select('id').execute()).toHaveLength(TEAM.length)
  })

  it('stops writing as soon as another process took its lease over', async () => {
    // Another process, once this one's lease lapsed (a page that took longer than LEASE_TTL_MS), takes the account.
    const other = new Database(file.path)
    const until = new Date(Date.now() + MINUTE_MS).toISOString()
    try {
      const report = await w.email.sync.run({
        account: ANN,
        onProgress: () => {
          other.prepare('update email_accounts set lease_owner = ?, lease_expires_at = ? where address = ?').run('other-host:9:live', until, ANN)
        },
      })
      expect(report).toMatchObject({ kind: 'backfill', status: 'error', listed: 5, captured: 5 })
      expect(report.error).toMatch(/lost the sync lease/)
    } finally {
      other.close()
    }
    // The second page was not committed, and the new holder keeps its lease.
    expect(await db.selectFrom('email_copies').select('id').execute()).toHaveLength(5)
    expect(await leaseOf(ANN)).toEqual({ lease_owner: 'other-host:9:live', lease_expires_at: until })
    expect(await integrityProblems(db)).toEqual([])
  })

  it('decides what an account needs when its run starts, not when runAll listed it', async () => {
    // Another integration reaches Gmail through a gate, so its runAll lists the accounts and then waits.
    const proxy = await gatedProxy(w.emu.url, () => true)
    const other = w.integration({ apiBaseUrl: proxy.url })
    try {
      const pending = other.sync.runAll()
      await vi.waitFor(() => {
        expect(proxy.held()).toBeGreaterThanOrEqual(3)
      })
      // Meanwhile this process backfills Eve, whom the other one listed but has not reached.
      expect(await w.email.sync.run({ account: EVE })).toMatchObject({ kind: 'backfill', status: 'ok', captured: 6 })
      proxy.open()
      const reports = await pending
      expect(reports.find((r) => r.account === EVE)).toMatchObject({ kind: 'incremental', status: 'ok', captured: 0 })
      const backfills = await db
        .selectFrom('email_sync_runs')
        .innerJoin('email_accounts', 'email_accounts.id', 'email_sync_runs.account_id')
        .select('email_sync_runs.id')
        .where('email_accounts.address', '=', EVE)
        .where('kind', '=', 'backfill')
        .execute()
      expect(backfills).toHaveLength(1)
      ledger.synced()
      await expectExactly(db, ledger)
    } finally {
      proxy.open()
      await proxy.close()
    }
  })
})
