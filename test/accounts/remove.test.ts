import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createBlobStore } from '../../src/db/blob-store.js'
import { ConflictError, NotFoundError, ValidationError } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call, expectError, messageOf, routerIntegration } from '../helpers/http.js'
import { sharingWorld, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { ANN, BOB, CAT, DEE, EVE } from '../helpers/team.js'
import { dbOf, halfDeleted, lifecycleSnapshot } from '../erasure/lifecycle-checks.js'

// Removing an account on both dialects: what goes (its copies, the mail only it held, its token,
// its sync state, its row), what stays (mail other mailboxes hold), the audit entry, refusals,
// and a removal cut short finished by the next call or by the scheduler.

const ACCOUNT_TABLES = ['email_copies', 'email_thread_keys', 'email_sync_runs', 'email_sync_failures', 'email_account_terms', 'email_oauth_tokens'] as const

describeEachDialect('email.accounts.remove', (open) => {
  let t: TestDatabase
  let w: SharingWorld

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  const accountId = async (address: string) => (await dbOf(t).selectFrom('email_accounts').select('id').where('address', '=', address).executeTakeFirstOrThrow()).id
  const fileOf = async (name: SharedName) => {
    const row = await dbOf(t).selectFrom('email_attachments').select(['sha256', 'size']).where('email_id', '=', Number(w.emails[name].emailId)).executeTakeFirstOrThrow()
    return { path: createBlobStore(w.attachmentsDir).pathOf(row.sha256 ?? ''), size: row.size }
  }
  const rowsOf = async (table: (typeof ACCOUNT_TABLES)[number], id: number) =>
    (await dbOf(t).selectFrom(table).select('account_id').where('account_id', '=', id).execute()).length
  /** Marks an account as a removal cut short right after its first step leaves it. */
  const cutShort = async (address: string, by: string | null) => {
    await dbOf(t)
      .updateTable('email_accounts')
      .set({ status: 'removing', removal_requested_at: new Date().toISOString(), removal_requested_by: by })
      .where('address', '=', address)
      .execute()
  }

  it('removes its copies, the mail only it held, its token and sync state; mail other mailboxes hold stays without it', async () => {
    const db = dbOf(t)
    const cat = await accountId(CAT)
    const now = new Date().toISOString()
    await db.insertInto('email_oauth_tokens').values({ account_id: cat, refresh_token: 'v1.k.sealed', key_id: 'k', scope: null, created_at: now, updated_at: now }).execute()
    await db.insertInto('email_sync_failures').values({ account_id: cat, gmail_id: 'g-1', attempts: 1, reason: 'x', parked_at: null, first_failed_at: now, last_failed_at: now, next_attempt_at: null }).execute()
    for (const table of ACCOUNT_TABLES) expect([table, await rowsOf(table, cat)]).not.toEqual([table, 0])
    const gammaFile = await fileOf('gamma')
    const keptFiles = [await fileOf('delta'), await fileOf('epsilon'), await fileOf('alpha')]
    const epsilonBefore = await w.email.emails.get(w.emails.epsilon.emailId, { viewer: CAT })
    expect(epsilonBefore.access).toBe('owner')

    const report = await w.email.accounts.remove(' Cat@Fund.Example ', { actor: EVE })

    expect(report).toEqual({ account: CAT, emails: 1, attachments: 1, blobsRemoved: 1, bytesFreed: gammaFile.size, sharedKept: 2, resumed: false })
    await expect(w.email.emails.get(w.emails.gamma.emailId)).rejects.toBeInstanceOf(NotFoundError)
    expect((await w.email.emails.get(w.emails.delta.emailId)).mailboxes).toEqual([BOB])
    expect((await w.email.emails.get(w.emails.epsilon.emailId)).mailboxes).toEqual([ANN])
    // Cat owns nothing any more: she reads epsilon as any teammate does.
    expect((await w.email.emails.get(w.emails.epsilon.emailId, { viewer: CAT })).access).toBe('everything')
    for (const table of ACCOUNT_TABLES) expect([table, await rowsOf(table, cat)]).toEqual([table, 0])
    expect((await w.email.accounts.list()).map((a) => a.address)).toEqual([ANN, BOB, DEE, EVE].sort())
    expect((await w.email.status()).accounts.map((a) => a.address)).not.toContain(CAT)
    expect(existsSync(gammaFile.path)).toBe(false)
    for (const kept of keptFiles) expect(existsSync(kept.path)).toBe(true)
    expect((await w.email.search(w.emails.gamma.bodyWord)).items).toEqual([])
    expect((await w.email.search(w.emails.gamma.subjectWord)).items).toEqual([])
    expect((await w.email.search(w.emails.epsilon.bodyWord)).items.map((i) => i.email.id)).toEqual([w.emails.epsilon.emailId])
    expect(await halfDeleted(t, w.attachmentsDir)).toEqual([])

    const audit = (await w.email.auditLog.list({ action: 'account.removed' })).items
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      actor: EVE,
      target: { kind: 'account', id: CAT },
      details: { emails: 1, attachments: 1, blobsRemoved: 1, bytesFreed: gammaFile.size, sharedKept: 2, resumed: false },
    })
  })

  it('answers NotFoundError for an address not enrolled (a second removal too), ValidationError for a bad one, changing nothing', async () => {
    const before = await lifecycleSnapshot(t, w.attachmentsDir)
    await expect(w.email.accounts.remove('nobody@fund.example')).rejects.toBeInstanceOf(NotFoundError)
    await expect(w.email.accounts.remove('not an address')).rejects.toBeInstanceOf(ValidationError)
    await expect(w.email.accounts.remove(BOB, { actor: '' })).rejects.toBeInstanceOf(ValidationError)
    expect(await lifecycleSnapshot(t, w.attachmentsDir)).toEqual(before)
    await w.email.accounts.remove(BOB)
    await expect(w.email.accounts.remove(BOB)).rejects.toBeInstanceOf(NotFoundError)
    expect((await w.email.auditLog.list({ action: 'account.removed' })).items).toHaveLength(1)
  })

  it('refuses with ConflictError while a sync of another process holds the lease, and changes nothing', async () => {
    const expires = new Date(Date.now() + 60_000).toISOString()
    await dbOf(t)
      .updateTable('email_accounts')
      .set({ lease_owner: 'crm-2:77:beef', lease_expires_at: expires, lease_host: `not-${hostname()}`, lease_pid: 77, lease_acquired_at: new Date().toISOString() })
      .where('address', '=', CAT)
      .execute()
    const before = await lifecycleSnapshot(t, w.attachmentsDir)
    const refused = w.email.accounts.remove(CAT)
    await expect(refused).rejects.toBeInstanceOf(ConflictError)
    await expect(refused).rejects.toThrow(/being synced/)
    expect(await lifecycleSnapshot(t, w.attachmentsDir)).toEqual(before)
    expect((await w.email.auditLog.list({ action: 'account.removed' })).items).toEqual([])
  })

  it('finishes a removal cut short when asked again (enrolling it meanwhile is refused): the audit entry names who asked first', async () => {
    await cutShort(CAT, EVE)
    await expect(w.email.accounts.enroll(CAT)).rejects.toBeInstanceOf(ConflictError)
    expect((await w.email.accounts.enrollAll([CAT])).skipped).toEqual([{ address: CAT, reason: expect.stringMatching(/being removed/) as unknown }])
    const report = await w.email.accounts.remove(CAT, { actor: ANN })
    expect(report).toMatchObject({ account: CAT, emails: 1, sharedKept: 2, resumed: true })
    expect((await w.email.auditLog.list({ action: 'account.removed' })).items[0]).toMatchObject({ actor: EVE, details: { resumed: true } })
    expect(await halfDeleted(t, w.attachmentsDir)).toEqual([])
  })

  it('a removal cut short is never synced again, and the scheduler finishes it after its sync', async () => {
    await cutShort(BOB, null)
    const runs = async () => (await dbOf(t).selectFrom('email_sync_runs').select('id').execute()).length
    const runsBefore = await runs()
    const reports = await w.email.sync.runAll()
    expect(reports.map((r) => r.account)).not.toContain(BOB)
    expect(await runs()).toBe(runsBefore + reports.length)
    expect((await w.email.accounts.list()).find((a) => a.address === BOB)).toMatchObject({ status: 'removing' })
    // Neither a sync of the account nor pausing it brings it back.
    await expect(w.email.sync.run({ account: BOB })).rejects.toThrow(/being removed/)
    await expect(w.email.accounts.pause(BOB)).rejects.toBeInstanceOf(ConflictError)
    expect(await runs()).toBe(runsBefore + reports.length)
    expect((await w.email.accounts.list()).find((a) => a.address === BOB)).toMatchObject({ status: 'removing' })

    const run = w.email.scheduler.runNow()
    await run.reports
    expect((await w.email.accounts.list()).map((a) => a.address)).not.toContain(BOB)
    await expect(w.email.emails.get(w.emails.beta.emailId)).rejects.toBeInstanceOf(NotFoundError)
    expect((await w.email.emails.get(w.emails.delta.emailId)).mailboxes).toEqual([CAT])
    const entry = (await w.email.auditLog.list({ action: 'account.removed' })).items[0]
    expect(entry).toMatchObject({ actor: null, target: { kind: 'account', id: BOB }, details: { emails: 1, sharedKept: 1, resumed: true } })
  })

  it('POST /api/email/accounts/remove: admins only; 404 unknown, 400 bad body; the signed-in admin is the actor', async () => {
    const { email } = routerIntegration(t, w)
    try {
      expectError(await call(email, 'POST', '/api/email/accounts/remove', { as: 'user', json: { address: CAT } }), 403, 'forbidden')
      expectError(await call(email, 'POST', '/api/email/accounts/remove', { as: 'anon', json: { address: CAT } }), 401)
      const unknown = await call(email, 'POST', '/api/email/accounts/remove', { as: 'admin', json: { address: 'nobody@fund.example' } })
      expectError(unknown, 404, 'not_found')
      expect(messageOf(unknown)).toMatch(/nobody@fund\.example/)
      for (const json of [{}, { address: 42 }, { address: 'not an address' }, { address: CAT, force: true }]) {
        expectError(await call(email, 'POST', '/api/email/accounts/remove', { as: 'admin', json }), 400, 'validation_failed')
      }
      expect((await email.accounts.list()).map((a) => a.address)).toContain(CAT)
      const removed = await call(email, 'POST', '/api/email/accounts/remove', { as: 'admin', json: { address: CAT } })
      expect(removed.status, removed.text).toBe(200)
      expect(removed.body).toMatchObject({ account: CAT, emails: 1, sharedKept: 2 })
      expect((await email.auditLog.list({ action: 'account.removed' })).items[0]?.actor).toBe(ANN)
    } finally {
      await email.close()
    }
  })
})
