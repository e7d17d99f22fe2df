import { afterAll, beforeAll, expect, it } from 'vitest'
import type { AuditIdentity, AuditReport, DirectoryEntry } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call, expectError, messageOf, routerIntegration, type RouterIntegration } from '../helpers/http.js'
import { nestedMessage } from '../helpers/message.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'
import { auditWindow } from '../../src/sync/audit/audit.js'

// email.audit() against the Gmail emulator over HTTP: what each identity's search lists
// against what the account holds, why each missing message is missing, and the CRM mail no
// search listed (the emulator's hideFromSearch: a search index that missed a message).

const [ANN, BOB, CAT] = TEAM as [string, string, string, ...string[]]
/** A contact the host adds to its directory after the accounts synced. */
const ZED: DirectoryEntry = { type: 'contact', id: 'c-4', name: 'Zed Free', emails: ['zed@yahoo.com'] }

/** A message nested 300 MIME levels deep: CRM mail by its headers, refused by the parser every time. */
function poison(from: string, to: string): string {
  return nestedMessage(300, { from, to, subject: 'Nested', date: new Date(Date.UTC(2026, 5, 1, 10)), messageId: 'deep@acme.vc' })
}

function identity(report: AuditReport, key: string): AuditIdentity {
  const found = report.identities.find((i) => i.identityKey === key)
  if (found === undefined) throw new Error(`no identity ${key} in the report`)
  return found
}

describeEachDialect('email.audit: completeness against Gmail search', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let r: RouterIntegration
  const ids: Record<'hidden' | 'poison' | 'blocked' | 'late' | 'held' | 'zed', string> = { hidden: '', poison: '', blocked: '', late: '', held: '', zed: '' }
  let directory: DirectoryEntry[] = [...DIRECTORY]

  beforeAll(async () => {
    t = await open()
    // No recall sample: the guard would otherwise find the hidden message and fall back to headers.
    w = await syncWorld(t, { config: { recallSample: 0, blocklist: ['blocked@acme.vc'] }, directory: () => Promise.resolve(directory) })
    const add = (to: string, from: string, subject: string) => w.emu.addMessage(to, mail({ from, to: [to], subject }).raw).id
    add(ANN, 'partner@acme.vc', 'Term sheet')
    add(ANN, 'ceo@globex.example', 'Globex intro')
    add(ANN, 'dana@gmail.com', 'Coffee')
    add(ANN, BOB, 'Internal note')
    add(ANN, 'news@shop.example', 'Newsletter')
    ids.hidden = add(ANN, 'lp@acme.vc', 'Capital call')
    w.emu.hideFromSearch(ANN, ids.hidden)
    ids.poison = w.emu.addMessage(ANN, poison('deep@acme.vc', ANN)).id
    ids.blocked = add(ANN, 'blocked@acme.vc', 'Blocked sender')
    ids.zed = add(ANN, 'zed@yahoo.com', 'Not yet a contact')
    add(BOB, 'partner@acme.vc', 'Term sheet')
    add(BOB, 'ceo@globex.example', 'Globex intro')
    ids.held = add(CAT, 'ceo@globex.example', 'Globex, held')
    for (const account of [ANN, BOB, CAT]) expect((await w.email.sync.run({ account })).status).not.toBe('error')
    // After the sync: new mail the next run captures, and a stored message the search index lost.
    // A Date header has whole seconds: a minute ahead keeps it after the run's start, which has milliseconds.
    ids.late = w.emu.addMessage(ANN, mail({ from: 'late@globex.example', to: [ANN], subject: 'Late', date: new Date(Date.now() + 60_000) }).raw).id
    w.emu.hideFromSearch(CAT, ids.held)
    r = routerIntegration(t, w)
  }, 60_000)

  afterAll(async () => {
    await r.email.close()
    await w.close()
    await t.close()
  })

  it('audits a synced account clean: every identity finds by search what is stored', async () => {
    const report = await w.email.audit({ account: BOB })
    expect(report.account).toBe(BOB)
    expect(report.window).toEqual({ after: null })
    expect(report.identities.map((i) => [i.identityKey, i.name, i.terms])).toEqual([
      ['fund:7', 'Acme Ventures', ['domain:acme.vc']],
      ['org:o-1', 'Globex', ['domain:globex.example']],
      ['contact:c-1', 'Dana Diaz', ['addr:dana@gmail.com']],
    ])
    expect(report.identities.map((i) => [i.foundBySearch, i.stored, i.missing.length, i.storedNotFound])).toEqual([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
    ])
    expect(report.missedBySearch).toEqual([])
    expect(report.unitsSpent).toBeGreaterThan(0)
  })

  it('names the CRM mail the search missed, with its identity, and says why each listed message is not stored', async () => {
    const report = await w.email.audit({ account: ANN })
    expect(report.missedBySearch).toEqual([
      { gmailId: ids.hidden, reason: 'missed_by_search', detail: expect.any(String) as unknown, identities: ['fund:7'], date: expect.stringMatching(/^2026-06-01T/) as unknown },
    ])
    const fund = identity(report, 'fund:7')
    expect([fund.foundBySearch, fund.stored, fund.storedNotFound]).toEqual([3, 1, 0])
    const byId = new Map(fund.missing.map((m) => [m.gmailId, m]))
    expect(byId.get(ids.poison)).toMatchObject({ reason: 'parked', identities: ['fund:7'], detail: expect.stringMatching(/.+/) as unknown })
    expect(byId.get(ids.blocked)).toMatchObject({ reason: 'skipped_by_policy', detail: 'blocked', identities: ['fund:7'] })
    expect(fund.missing).toHaveLength(2)
    const org = identity(report, 'org:o-1')
    expect([org.foundBySearch, org.stored, org.storedNotFound]).toEqual([2, 1, 0])
    expect(org.missing).toEqual([{ gmailId: ids.late, reason: 'not_yet_synced', detail: expect.any(String) as unknown, identities: ['org:o-1'], date: expect.any(String) as unknown }])
    expect(identity(report, 'contact:c-1')).toMatchObject({ foundBySearch: 1, stored: 1, missing: [], storedNotFound: 0 })
  })

  it('counts stored mail the search no longer lists', async () => {
    const report = await w.email.audit({ account: CAT })
    expect(identity(report, 'org:o-1')).toMatchObject({ foundBySearch: 0, stored: 1, missing: [], storedNotFound: 1 })
    // Stored mail is never read again to look for misses.
    expect(report.missedBySearch).toEqual([])
  })

  it('reads no headers of unlisted mail when told not to, and spends less', async () => {
    const full = await w.email.audit({ account: ANN })
    const listed = await w.email.audit({ account: ANN, readHeaders: false })
    expect(listed.missedBySearch).toEqual([])
    expect(listed.identities).toEqual(full.identities)
    expect(listed.unitsSpent).toBeLessThan(full.unitsSpent)
  })

  it('says mail of an identity new to the directory is not yet synced, not missed', async () => {
    directory = [...DIRECTORY, ZED]
    try {
      const report = await w.email.audit({ account: ANN, identity: 'contact:c-4' })
      expect(report.identities).toEqual([
        {
          identityKey: 'contact:c-4',
          name: 'Zed Free',
          terms: ['addr:zed@yahoo.com'],
          foundBySearch: 1,
          stored: 0,
          missing: [{ gmailId: ids.zed, reason: 'not_yet_synced', detail: expect.stringMatching(/not captured yet/) as unknown, identities: ['contact:c-4'], date: null }],
          storedNotFound: 0,
        },
      ])
      expect(report.missedBySearch).toEqual([])
    } finally {
      directory = [...DIRECTORY]
    }
  })

  it('limits the report to one identity', async () => {
    const org = await w.email.audit({ account: ANN, identity: 'org:o-1' })
    expect(org.identities.map((i) => i.identityKey)).toEqual(['org:o-1'])
    expect(org.missedBySearch).toEqual([])
    const fund = await w.email.audit({ account: ANN, identity: 'fund:7' })
    expect(fund.identities.map((i) => i.identityKey)).toEqual(['fund:7'])
    expect(fund.missedBySearch.map((m) => m.gmailId)).toEqual([ids.hidden])
  })

  it('refuses an unknown account (not_found) and an identity key outside the directory (validation_failed)', async () => {
    await expect(w.email.audit({ account: 'zed@fund.example' })).rejects.toMatchObject({ code: 'not_found' })
    await expect(w.email.audit({ account: 'not an address' })).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(w.email.audit({ account: ANN, identity: 'grid:1' })).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(w.email.audit({ account: ANN, identity: 'fund:999' })).rejects.toMatchObject({ code: 'validation_failed' })
  })

  it('answers GET /api/email/audit for admins only, with its parameters checked', async () => {
    const answer = await call(r.email, 'GET', `/api/email/audit?account=${encodeURIComponent(ANN)}&identity=fund:7`)
    expect(answer.status).toBe(200)
    const report = answer.body as AuditReport
    expect(report.identities.map((i) => i.identityKey)).toEqual(['fund:7'])
    expect(report.missedBySearch.map((m) => m.gmailId)).toEqual([ids.hidden])
    const skipped = (await call(r.email, 'GET', `/api/email/audit?account=${encodeURIComponent(ANN)}&headers=false`)).body as AuditReport
    expect(skipped.missedBySearch).toEqual([])
    expect(skipped.identities).toHaveLength(3)

    expectError(await call(r.email, 'GET', `/api/email/audit?account=${encodeURIComponent(ANN)}`, { as: 'user' }), 403, 'forbidden')
    expectError(await call(r.email, 'GET', `/api/email/audit?account=${encodeURIComponent(ANN)}`, { as: 'anon' }), 401)
    const refused: [string, number, RegExp][] = [
      ['', 400, /^account: required$/],
      ['?account=nobody', 400, /^account: /],
      [`?account=${encodeURIComponent(ANN)}&headers=maybe`, 400, /^headers: expected true or false$/],
      [`?account=${encodeURIComponent(ANN)}&identity=grid:1`, 400, /^identity: /],
      [`?account=${encodeURIComponent(ANN)}&identity=org:o-9`, 400, /^identity: org:o-9 is not in the directory$/],
      [`?account=${encodeURIComponent(ANN)}&limit=3`, 400, /^unknown query parameter: limit$/],
      [`?account=${encodeURIComponent(ANN)}&account=${encodeURIComponent(BOB)}`, 400, /given more than once/],
      ['?account=zed%40fund.example', 404, /not enrolled/],
    ]
    for (const [query, status, message] of refused) {
      const reply = await call(r.email, 'GET', `/api/email/audit${query}`)
      expectError(reply, status)
      expect(messageOf(reply), query).toMatch(message)
    }
    expect(r.email.routes.find((route) => route.pattern === '/api/email/audit')).toEqual({ method: 'GET', pattern: '/api/email/audit', access: 'admin', query: ['account', 'identity', 'headers'], fields: [] })
    expect(r.errors).toEqual([])
  })
})

it('audits the window the scans cover: the backfill window, no earlier than the retention cutoff', () => {
  const now = new Date('2026-06-01T00:00:00Z')
  const at = (iso: string) => ({ after: Date.parse(iso) / 1000 })
  expect(auditWindow(now, 30)).toEqual(at('2026-05-02T00:00:00Z'))
  expect(auditWindow(now, 365, 30)).toEqual(at('2026-05-02T00:00:00Z'))
  expect(auditWindow(now, 10, 30)).toEqual(at('2026-05-22T00:00:00Z'))
  expect(auditWindow(now, 0, 30)).toEqual(at('2026-05-02T00:00:00Z'))
  expect(auditWindow(now, 0, 0)).toEqual({ after: null })
})
