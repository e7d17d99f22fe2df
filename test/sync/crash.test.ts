import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { SyncKind } from '../../src/index.js'
import { CHEAP_COSTS, expectExactly, integrityProblems, readMailState, type MailLedger } from '../helpers/sync/expect.js'
import { childSettings, progressCount, reportsOf, seededRandom, startSyncChild, type ChildSettings } from '../helpers/sync/process.js'
import { useSyncProcessWorld } from '../helpers/sync/process-world.js'
import { mail, TEAM } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const FUND = 'dana@acme.vc'
const ORG = 'x@globex.example'
const NEWS = 'news@letters.example'
const PAGE_SIZE = 20

/** Where to kill a child: once it printed `afterProgress` progress lines (0: once started), and `delayMs` later. */
interface KillPoint {
  readonly afterProgress: number
  readonly delayMs: number
}

/** Ann's mail: CRM mail (some of it conversations whose replies land pages apart), newsletters, mail also addressed to Bob. */
function seedMailbox(ledger: MailLedger, count: number, date?: Date): void {
  const threads: string[] = []
  for (let i = 0; i < count; i++) {
    const when = date === undefined ? {} : { date }
    if (i % 5 === 4) {
      ledger.deliver(mail({ from: NEWS, to: [ANN], ...when }), { mailboxes: [ANN], crm: false })
    } else if (i % 7 === 3 && threads.length > 0) {
      const parent = threads[(i * 31) % threads.length]!
      const reply = mail({ from: FUND, to: [ANN], subject: 'Re: Thread', inReplyTo: parent, ...when })
      ledger.deliver(reply, { mailboxes: [ANN], crm: true, replyTo: parent })
    } else {
      const message = mail({ from: i % 2 === 0 ? ORG : FUND, to: i % 9 === 0 ? [ANN, BOB] : [ANN], subject: 'Thread', ...when })
      ledger.deliver(message, { mailboxes: [ANN], crm: true })
      threads.push(message.messageId)
    }
  }
}

describe('a sync process killed with SIGKILL', () => {
  // A slow-ish Gmail: a fifth of the calls (batch parts included) take 25 ms, so a kill lands inside a page.
  const world = useSyncProcessWorld({
    emulator: { seed: 'crash', costs: CHEAP_COSTS, faults: { slow: 0.2, slowMs: 25 } },
    config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250 },
  })
  const settings = (): ChildSettings => childSettings(world().w, world().file.path, { account: ANN, config: { backfillPageSize: PAGE_SIZE } })

  /** Starts a child and kills it at `point`; `false` when it finished first. */
  async function killAt(point: KillPoint): Promise<boolean> {
    const { script, db, ledger } = world()
    const child = startSyncChild(script, settings())
    const reached = await child.until((events) => events.some((e) => e.type === 'ready') && progressCount(events) >= point.afterProgress)
    if (reached && point.delayMs > 0) await sleep(point.delayMs)
    const finished = child.events.some((e) => e.type === 'done' || e.type === 'failed')
    await child.kill()
    const { signal } = await child.exited
    if (signal !== 'SIGKILL') {
      await reportsOf(child)
      return false
    }
    expect(finished).toBe(false)
    // Whatever instant it died at, the database holds whole pages only.
    expect(await integrityProblems(db)).toEqual([])
    const stored = new Set((await readMailState(db)).copies.map((c) => c.split(' ').slice(0, 2).join(' ')))
    const known = new Set(ledger.copies.filter((c) => c.crm).map((c) => `${c.mailbox} ${c.gmailId}`))
    for (const copy of stored) expect(known).toContain(copy)
    return true
  }

  async function finish(kind: SyncKind): Promise<void> {
    const child = startSyncChild(world().script, settings())
    const [report] = await reportsOf(child)
    expect(report).toMatchObject({ account: ANN, kind, status: 'ok', failed: 0 })
  }

  async function runsOf(kind: SyncKind) {
    return world().db.selectFrom('email_sync_runs').selectAll().where('kind', '=', kind).orderBy('id').execute()
  }

  it('resumes a backfill and an incremental run after every kill, ending with exactly the expected rows', async () => {
    const { w, db, ledger } = world()
    const random = seededRandom(20_260_601)
    seedMailbox(ledger, 300)
    // The default `search` strategy lists only the candidates Gmail's search finds for the
    // directory's identities: Ann's CRM mail (none of it in spam, trash or drafts), not the newsletters.
    const candidates = ledger.copies.filter((c) => c.mailbox === ANN && c.crm).length
    expect(candidates).toBeLessThan(ledger.copies.filter((c) => c.mailbox === ANN).length)

    // Some kills right after a commit, some at a random instant: before the first page, inside a page's fetch or its commit.
    const backfillKills: KillPoint[] = [
      { afterProgress: 1, delayMs: 0 },
      { afterProgress: 0, delayMs: random(100, 400) },
      { afterProgress: 2, delayMs: random(0, 150) },
      { afterProgress: 1, delayMs: random(0, 200) },
      { afterProgress: 3, delayMs: 0 },
    ]
    let killed = 0
    for (const point of backfillKills) if (await killAt(point)) killed += 1
    // The backfill is 12 pages (240 candidates) of at least ~150 ms each (slow answers); no kill point lets a child get past a few.
    expect(killed).toBe(backfillKills.length)
    const midway = await db.selectFrom('email_accounts').select(['scan_kind', 'backfill_completed_at']).where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(midway).toEqual({ scan_kind: 'backfill', backfill_completed_at: null })
    await finish('backfill')
    ledger.synced([ANN])
    await expectExactly(db, ledger)
    // Each page was committed exactly once, whichever process listed it: the runs' counters add up to the candidates.
    const backfills = await runsOf('backfill')
    // (A run killed before its first commit never recorded its strategy.)
    for (const r of backfills.filter((run) => run.listed > 0)) expect(r.strategy).toBe('search')
    expect(backfills.reduce((sum, r) => sum + r.listed, 0)).toBe(candidates)
    expect(backfills.reduce((sum, r) => sum + r.captured, 0)).toBe(candidates)
    expect(backfills.length).toBeGreaterThanOrEqual(killed)

    // New mail, deletions, trash and labels; the incremental run is killed twice on the way.
    const captured = ledger.copies.filter((c) => c.captured)
    for (const c of captured.slice(0, 8)) ledger.remove(c)
    for (const c of captured.slice(8, 12)) ledger.relabel(c, ['TRASH'], ['INBOX'])
    for (const c of captured.slice(12, 16)) ledger.relabel(c, ['STARRED', 'Label_3'], [])
    const before = ledger.copies.length
    seedMailbox(ledger, 150, new Date())
    const newCrm = ledger.copies.slice(before).filter((c) => c.crm).length
    const incrementalKills: KillPoint[] = [
      { afterProgress: 1, delayMs: 0 },
      { afterProgress: 0, delayMs: random(300, 700) },
    ]
    for (const point of incrementalKills) await killAt(point)
    await finish('incremental')
    ledger.synced([ANN])
    await expectExactly(db, ledger)
    const incrementals = await runsOf('incremental')
    expect(incrementals.reduce((sum, r) => sum + r.captured, 0)).toBe(newCrm)
    const account = await db.selectFrom('email_accounts').select(['history_id', 'lease_owner', 'scan_kind']).where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account).toEqual({ history_id: w.emu.historyId(ANN), lease_owner: null, scan_kind: null })

    // Every run is on record: the finished ones ok, the killed ones closed by the run that took over.
    const runs = await db.selectFrom('email_sync_runs').select(['kind', 'status', 'error', 'finished_at']).orderBy('id').execute()
    expect(runs.filter((r) => r.kind === 'backfill' && r.status === 'ok')).toHaveLength(1)
    expect(runs.at(-1)).toMatchObject({ kind: 'incremental', status: 'ok' })
    for (const r of runs.filter((run) => run.status !== 'ok')) {
      expect(r).toMatchObject({ status: 'aborted', error: expect.stringMatching(/stopped/) as unknown })
      expect(r.finished_at).not.toBeNull()
    }
  })
})
