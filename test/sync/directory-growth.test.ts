import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncReport } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { CHEAP_COSTS, expectExactly, integrityProblems, readMailState, type LedgerCopy, type MailLedger } from '../helpers/sync/expect.js'
import { childSettings, progressCount, reportsOf, seededRandom, startSyncChild } from '../helpers/sync/process.js'
import { useSyncProcessWorld } from '../helpers/sync/process-world.js'
import {
  ANN, BOB, CORA, CAT, DANA, FUND, INITECH, ZED,
  GrowingDirectory, contentGets, linkedTo, searchWorld, tally, type SearchWorld,
} from '../helpers/search-world.js'
import { mail } from '../helpers/sync/setup.js'

const PARTNER = 'partner@acme.vc'
const DANA_ADDRESS = 'dana@gmail.com'
const PM = 'pm@initech.example'
/** Initech writes from a subdomain too; its directory entry names only the parent domain. */
const EU_OPS = 'ops@eu.initech.example'
const ZED_ADDRESS = 'zed@yahoo.com'
const CORA_ADDRESS = 'cora@boutique.example'
const NEWS = 'news@letters.example'
/** Pages of the resumable scans: small, so that a stop lands between pages of one targeted scan. */
const PAGE_SIZE = 10

/** A mailbox of mostly Initech mail (before Initech is in the directory), some fund mail and newsletters. */
function seedBacklog(ledger: MailLedger, count: number): void {
  for (let i = 0; i < count; i++) {
    if (i % 6 === 5) ledger.deliver(mail({ from: NEWS, to: [ANN] }), { mailboxes: [ANN], crm: false })
    else if (i % 6 === 4) ledger.deliver(mail({ from: PARTNER, to: [ANN] }), { mailboxes: [ANN], crm: true })
    else ledger.deliver(mail({ from: i % 2 === 0 ? PM : EU_OPS, to: [ANN], subject: `Initech ${i}` }), { mailboxes: [ANN], crm: true })
  }
}

/** Message-IDs of the seeded mail, by whose mail it is. */
interface Seeded {
  /** CRM mail for the identities the directory starts with. */
  readonly known: readonly string[]
  readonly initech: readonly string[]
  readonly zed: readonly string[]
  readonly cora: readonly string[]
  /** Mail that becomes CRM mail only when Initech, Zed and Cora join. */
  readonly newly: readonly string[]
}

/** Mail of the identities the directory starts with, of those added later, and mail nobody in the CRM sent. */
function seed(ledger: MailLedger): Seeded {
  const put = (m: ReturnType<typeof mail>, boxes: string[], extra: { replyTo?: string; labels?: string[] } = {}): string => {
    ledger.deliver(m, { mailboxes: boxes, crm: true, ...extra })
    return m.messageId
  }
  const deal = put(mail({ from: PARTNER, to: [ANN, BOB], subject: 'Deal' }), [ANN, BOB])
  const coffee = put(mail({ from: DANA_ADDRESS, to: [CAT], subject: 'Coffee' }), [CAT])
  // Stored for the fund from the start; once Initech and Cora join, it is their mail too.
  const withCora = put(mail({ from: PARTNER, to: [ANN], cc: [CORA_ADDRESS], subject: 'Cora joins' }), [ANN])
  const initechAndAcme = put(mail({ from: EU_OPS, to: [CAT], cc: [PARTNER], subject: 'Initech and Acme' }), [CAT])

  const pitchMail = mail({ from: PM, to: [ANN, BOB], subject: 'Pitch' })
  const pitch = put(pitchMail, [ANN, BOB])
  const rePitch = put(mail({ from: ANN, to: [PM], subject: 'Re: Pitch', inReplyTo: pitch }), [ANN], { replyTo: pitch, labels: ['SENT'] })
  const euNumbers = put(mail({ from: EU_OPS, to: [BOB], subject: 'EU numbers' }), [BOB])
  const hello = put(mail({ from: ZED_ADDRESS, to: [CAT], subject: 'Hello from Zed' }), [CAT])
  const reHello = put(mail({ from: CAT, to: [ZED_ADDRESS], subject: 'Re: Hello from Zed', inReplyTo: hello }), [CAT], { replyTo: hello, labels: ['SENT'] })
  const inCc = put(mail({ from: BOB, to: [ANN], cc: [CORA_ADDRESS], subject: 'Cora in Cc' }), [ANN, BOB])
  const again = put(mail({ from: ANN, to: [CAT], cc: [CORA_ADDRESS, BOB], subject: 'Cora again' }), [ANN, BOB, CAT])
  ledger.deliver(mail({ from: NEWS, to: [ANN, BOB, CAT], subject: 'Weekly' }), { mailboxes: [ANN, BOB, CAT], crm: false })
  ledger.deliver(mail({ from: PM, to: [ANN], subject: 'Initech draft' }), { mailboxes: [ANN], crm: true, labels: ['DRAFT'] })
  return {
    known: [deal, coffee, withCora, initechAndAcme].sort(),
    initech: [initechAndAcme, pitch, rePitch, euNumbers].sort(),
    zed: [hello, reHello].sort(),
    cora: [withCora, inCc, again].sort(),
    newly: [pitch, rePitch, euNumbers, hello, reHello, inCc, again].sort(),
  }
}

/** Gmail ids of the copies of `messageIds` in `box`. */
function copiesOf(ledger: MailLedger, box: string, messageIds: readonly string[]): string[] {
  return ledger.copies.filter((c) => c.mailbox === box && messageIds.includes(c.messageId) && !c.labels.includes('DRAFT')).map((c) => c.gmailId).sort()
}

function byBox(reports: readonly SyncReport[]): Map<string, SyncReport> {
  return new Map(reports.map((r) => [r.account, r]))
}

describeEachDialect('capture that follows a growing directory', (open) => {
  let t: TestDatabase
  let s: SearchWorld
  beforeEach(async () => {
    t = await open()
    s = await searchWorld(t, { directory: [FUND, DANA] })
  })
  afterEach(async () => {
    await s.close()
    await t.close()
  })

  it('brings in the past mail of added identities for a get per new copy, then follows new mail', async () => {
    const { ledger, log, db, directory } = s
    const seeded = seed(ledger)
    for (const r of await s.email.sync.runAll()) expect(r).toMatchObject({ kind: 'backfill', status: 'ok' })
    expect((await readMailState(db)).emails).toEqual(seeded.known)

    // An org by domain, a free-mail contact and a contact only ever in Cc join the CRM.
    directory.add(INITECH, ZED, CORA)
    log.clear()
    let arrivedDuring: LedgerCopy[] = []
    const grown = byBox(await s.email.sync.runAll({
      onProgress: () => {
        if (arrivedDuring.length > 0) return
        arrivedDuring = ledger.deliver(mail({ from: ZED_ADDRESS, to: [ANN], subject: 'While you scan', date: new Date() }), { mailboxes: [ANN], crm: true })
      },
    }))
    for (const box of [ANN, BOB, CAT]) {
      const report = grown.get(box)!
      expect(report).toMatchObject({ kind: 'targeted', status: 'ok', failed: 0 })
      // One content get per copy of the added identities' mail; mail already stored costs nothing.
      const newCopies = copiesOf(ledger, box, seeded.newly)
      // The mail that arrived during the scan may come in through history in the same run: its gets are its own.
      const calls = log.calls(box).filter((c) => !arrivedDuring.some((d) => d.gmailId === c.id))
      expect(contentGets(calls).sort()).toEqual(newCopies)
      expect(report.discarded).toBe(0)
      expect(tally(calls).metadata).toBe(report.recallSampled)
      expect(report.unitsSpent).toBe(tally(log.calls(box)).total)
      // Only the new identities are searched: the captured terms' mail is not listed again.
      const candidateLists = log.calls(box).filter((c) => c.kind === 'list' && c.q?.startsWith('{') === true)
      expect(candidateLists.length).toBeGreaterThan(0)
      for (const c of candidateLists) expect(c.q).not.toMatch(/acme\.vc|dana@gmail\.com/)
    }
    // The mail that arrived during the scan may be in this run or the next; everything else is in now.
    const during = new Set(arrivedDuring.map((c) => c.messageId))
    expect(arrivedDuring).toHaveLength(1)
    const stored = (await readMailState(db)).emails.filter((id) => !during.has(id))
    expect(stored).toEqual([...new Set([...seeded.known, ...seeded.newly])].sort())
    const linked = async (key: string): Promise<string[]> => (await linkedTo(db, key)).filter((id) => !during.has(id))
    expect(await linked('contact:c-4')).toEqual(seeded.zed)
    // Each identity's mail includes what was stored before it joined (linked, not fetched again).
    expect(await linked('org:o-2')).toEqual(seeded.initech)
    expect(await linked('contact:c-2')).toEqual(seeded.cora)
    const terms = await db.selectFrom('email_account_terms').select(['term', 'state']).where('removed_at', 'is', null).execute()
    expect(terms.every((row) => row.state === 'captured')).toBe(true)

    // Mail that arrived during the targeted scan and after it comes in through history.
    ledger.deliver(mail({ from: EU_OPS, to: [BOB], subject: 'After the scan', date: new Date() }), { mailboxes: [BOB], crm: true })
    for (const r of await s.email.sync.runAll()) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', failed: 0 })
    ledger.synced()
    await expectExactly(db, ledger)
    log.clear()
    for (const r of await s.email.sync.runAll()) expect(r).toMatchObject({ kind: 'incremental', captured: 0, fetched: 0 })
    expect(contentGets(log.calls())).toEqual([])
  })

  it('scans only the gap when a removed identity comes back, fetching nothing twice', async () => {
    const { ledger, log, db, directory } = s
    const seeded = seed(ledger)
    directory.add(INITECH)
    await s.email.sync.runAll()
    const before = (await readMailState(db)).emails

    directory.remove(INITECH)
    log.clear()
    for (const r of await s.email.sync.runAll()) expect(r).toMatchObject({ kind: 'incremental', status: 'ok' })
    expect(contentGets(log.calls())).toEqual([])
    // Initech writes while it is out of the directory (after the run that saw it go): not CRM mail then.
    const soon = new Date(Date.now() + 60_000)
    const gap = [
      ...ledger.deliver(mail({ from: PM, to: [ANN], subject: 'Still there?', date: soon }), { mailboxes: [ANN], crm: true }),
      ...ledger.deliver(mail({ from: EU_OPS, to: [ANN, CAT], subject: 'Ping', date: soon }), { mailboxes: [ANN, CAT], crm: true }),
    ]
    log.clear()
    await s.email.sync.runAll()
    expect((await readMailState(db)).emails).toEqual(before)
    expect(contentGets(log.calls())).toEqual([])
    const removed = await db.selectFrom('email_account_terms').select(['term', 'removed_at']).where('term', '=', 'domain:initech.example').execute()
    expect(removed.length).toBeGreaterThan(0)
    for (const row of removed) expect(row.removed_at).not.toBeNull()

    directory.add(INITECH)
    log.clear()
    const back = byBox(await s.email.sync.runAll())
    expect(back.get(ANN)).toMatchObject({ kind: 'targeted', status: 'ok' })
    // Only the mail of the gap is fetched: what was stored before the removal is not fetched again.
    expect(contentGets(log.calls()).sort()).toEqual(gap.map((c) => c.gmailId).sort())
    // Zed and Cora never joined: their mail is not stored.
    const gapIds = gap.map((c) => c.messageId)
    expect((await readMailState(db)).emails).toEqual([...new Set([...seeded.known, ...seeded.initech, ...gapIds])].sort())
    expect(await linkedTo(db, 'org:o-2')).toEqual([...new Set([...seeded.initech, ...gapIds])].sort())
  })

  it('links an added contact whose mail is stored already, for the list calls only', async () => {
    const { ledger, log, db, directory } = s
    const seeded = seed(ledger)
    await s.email.sync.runAll()
    // A partner of the fund, by address: every message of theirs is stored already, under the fund's domain.
    directory.add({ type: 'contact', id: 'c-9', name: 'The Partner', emails: [PARTNER] })
    log.clear()
    const reports = await s.email.sync.runAll()
    for (const r of reports) expect(r).toMatchObject({ kind: 'targeted', status: 'ok', captured: 0, fetched: 0 })
    expect(contentGets(log.calls())).toEqual([])
    // Headers are read only by the recall guard (when its random day holds unlisted mail).
    expect(tally(log.calls()).metadata).toBe(reports.reduce((sum, r) => sum + r.recallSampled, 0))
    // Linked to every stored message of theirs: the fund's mail (deal, Cora's, Initech's with the partner in Cc).
    expect(await linkedTo(db, 'contact:c-9')).toEqual(await linkedTo(db, 'fund:7'))
    expect(await linkedTo(db, 'contact:c-9')).toHaveLength(seeded.known.length - 1)
  })

  it('resumes a targeted scan stopped by its signal between pages: nothing lost, nothing stored or fetched twice', async () => {
    const { ledger, db, directory, w } = s
    seedBacklog(ledger, 60)
    const email = w.integration({ apiBaseUrl: s.log.url, backfillPageSize: PAGE_SIZE })
    try {
      await email.sync.run({ account: ANN })
      directory.add(INITECH)
      const controller = new AbortController()
      let pages = 0
      const stopped = await email.sync.run({
        account: ANN,
        signal: controller.signal,
        onProgress: () => {
          pages += 1
          if (pages === 2) controller.abort()
        },
      })
      expect(stopped).toMatchObject({ kind: 'targeted' })
      expect(stopped.status).not.toBe('ok')
      expect(await integrityProblems(db)).toEqual([])
      const resumed = await email.sync.run({ account: ANN })
      expect(resumed).toMatchObject({ kind: 'targeted', status: 'ok', failed: 0 })
      ledger.synced([ANN])
      await expectExactly(db, ledger)
      for (const c of ledger.copies) expect(w.emu.stats.downloads[c.gmailId] ?? 0).toBe(c.captured ? 1 : 0)
    } finally {
      await email.close()
    }
  })
})

describe('a targeted scan killed with SIGKILL', () => {
  const directory = new GrowingDirectory([FUND, DANA])
  // A slow-ish Gmail: a fifth of the calls take 25 ms, so a kill lands inside a page.
  const world = useSyncProcessWorld({
    emulator: { seed: 'targeted-crash', costs: CHEAP_COSTS, faults: { slow: 0.2, slowMs: 25 } },
    config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250 },
    directory: directory.read,
  })

  it('resumes after every kill and ends with exactly the expected rows', async () => {
    const { w, db, ledger, script, file } = world()
    directory.replace([FUND, DANA])
    seedBacklog(ledger, 150)
    await w.email.sync.run({ account: ANN })
    directory.add(INITECH)
    const settings = childSettings(w, file.path, { account: ANN, directory: directory.snapshot(), config: { backfillPageSize: PAGE_SIZE } })
    const random = seededRandom(13)
    let killed = 0
    let finished = false
    for (const [afterProgress, delayMs] of [[1, 0], [0, random(100, 300)], [2, random(0, 100)]] as const) {
      if (finished) break
      const child = startSyncChild(script, settings)
      const reached = await child.until((events) => events.some((e) => e.type === 'ready') && progressCount(events) >= afterProgress)
      if (reached && delayMs > 0) await sleep(delayMs)
      await child.kill()
      if ((await child.exited).signal === 'SIGKILL') killed += 1
      finished = child.events.some((e) => e.type === 'done')
      // Whatever instant it died at, the database holds whole pages of CRM mail only.
      expect(await integrityProblems(db)).toEqual([])
      const crm = new Set(ledger.copies.filter((c) => c.crm).map((c) => c.gmailId))
      for (const copy of (await readMailState(db)).copies) expect(crm).toContain(copy.split(' ')[1])
    }
    expect(killed).toBeGreaterThan(0)
    const [report] = await reportsOf(startSyncChild(script, settings))
    // The scan the killed children left is finished by this one (unless the last child finished it first).
    expect(report).toMatchObject({ account: ANN, kind: finished ? 'incremental' : 'targeted', status: 'ok', failed: 0 })
    ledger.synced([ANN])
    await expectExactly(db, ledger)
  })
})
