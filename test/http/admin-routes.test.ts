import { expect, it } from 'vitest'
import type { EmailAccount, RematchResult, SchedulerState } from '../../src/index.js'
import { describeEachDialect } from '../helpers/databases.js'
import { call, expectError, messageOf, schedulerIdle } from '../helpers/http.js'
import { ANN, BOB, routerWorld } from '../helpers/router-world.js'
import { DIRECTORY, TEAM } from '../helpers/sync/setup.js'

// The admin routes of the router (src/http/routes/admin-routes.ts) without a server: status,
// accounts and enrolment, sync runs on demand, and rematching. Every answer goes through `read`,
// which fails on SQL, stack frames or key material in any JSON answer.

describeEachDialect('the admin routes (tryHandle without a server)', (open) => {
  const world = routerWorld(open)
  const { db, req, get, post, another, subjects, facet } = world

  it('reports status to any signed-in user: enabled, the scheduler, and each account with its last run', async () => {
    const answer = await get('/api/email/status', 'user')
    expect(answer.status).toBe(200)
    const status = answer.body as { enabled: boolean; scheduler: SchedulerState; accounts: (EmailAccount & { lastRun: Record<string, unknown> | null; busy: Record<string, unknown> | null })[] }
    expect(status.enabled).toBe(true)
    expect(status.scheduler).toMatchObject({ enabled: true, scheduled: false, running: false, intervalMin: 180, lastRunAt: null, lastError: null })
    expect(status.accounts.map((a) => a.address)).toEqual([...TEAM].sort())
    for (const account of status.accounts) {
      expect(account).toMatchObject({ status: 'active', authMethod: 'dwd' })
      expect(account.lastRun).toMatchObject({ kind: 'backfill', status: 'ok', failed: 0, error: null })
      expect(typeof account.lastRun?.startedAt).toBe('string')
      expect(typeof account.lastRun?.finishedAt).toBe('string')
    }
    expect(status.accounts.find((a) => a.address === ANN)?.lastRun?.captured).toBe(5)
    expect(status.accounts.map((a) => a.busy)).toEqual(TEAM.map(() => null))
    // While a process syncs an account, the status names it.
    const until = new Date(Date.now() + 60_000).toISOString()
    await db().updateTable('email_accounts').set({ lease_owner: 'crm-2:77:ab12', lease_expires_at: until, lease_host: 'crm-2', lease_pid: 77 }).where('address', '=', ANN).execute()
    const busy = (await get('/api/email/status', 'user')).body as typeof status
    expect(busy.accounts.find((a) => a.address === ANN)?.busy).toEqual({ owner: 'crm-2:77:ab12', host: 'crm-2', pid: 77, since: null, expiresAt: until, description: `pid 77 on crm-2, lease until ${until}`, dead: false })
    await db().updateTable('email_accounts').set({ lease_owner: null, lease_expires_at: null, lease_host: null, lease_pid: null }).where('address', '=', ANN).execute()
    // A freshly enrolled account has not run yet.
    expect((await post('/api/email/accounts/enroll', { address: 'fay@fund.example' })).status).toBe(200)
    const after = (await get('/api/email/status', 'user')).body as typeof status
    expect(after.accounts.find((a) => a.address === 'fay@fund.example')).toMatchObject({ status: 'active', lastRun: null })
    expect(answer.text).not.toMatch(/private_key|serviceAccount/i)
  })

  it('lists and enrolls accounts for admins; addresses outside the workspace and malformed bodies are 400', async () => {
    const list = await get('/api/email/accounts')
    expect(list.status).toBe(200)
    expect((list.body as { items: EmailAccount[] }).items.map((a) => a.address)).toEqual([...TEAM].sort())

    const enrolled = await post('/api/email/accounts/enroll', { address: '  Fay@Fund.Example ' })
    expect(enrolled.status).toBe(200)
    expect((enrolled.body as { account: EmailAccount }).account).toMatchObject({ address: 'fay@fund.example', status: 'active', authMethod: 'dwd' })
    const again = await post('/api/email/accounts/enroll', { address: 'fay@fund.example' })
    expect((again.body as { account: EmailAccount }).account.id).toBe((enrolled.body as { account: EmailAccount }).account.id)

    const outside = await post('/api/email/accounts/enroll', { address: 'mallory@else.example' })
    expectError(outside, 400, 'validation_failed')
    expect(messageOf(outside)).toMatch(/workspace/)
    const bad: [string, Parameters<typeof call>[3]][] = [
      ['no body', {}],
      ['empty object', { json: {} }],
      ['not an address', { json: { address: 'not an address' } }],
      ['a number', { json: { address: 42 } }],
      ['null', { json: { address: null } }],
      ['a list', { json: { address: ['fay@fund.example'] } }],
      ['subdomain', { json: { address: 'gus@mail.fund.example' } }],
      ['lookalike', { json: { address: 'gus@fund.example.evil' } }],
      ['nul', { json: { address: 'gus\u0000@fund.example' } }],
      ['lone surrogate', { raw: '{"address":"\\ud800@fund.example"}' }],
      ['malformed JSON', { raw: '{"address": ' }],
      ['trailing garbage', { raw: '{"address":"gus@fund.example"} x' }],
      ['single quotes', { raw: "{'address':'gus@fund.example'}" }],
      ['a JSON array', { json: [{ address: 'gus@fund.example' }] }],
      ['a JSON string', { json: 'gus@fund.example' }],
      ['JSON null', { raw: 'null' }],
      ['a JSON number', { raw: '1' }],
      ['too large', { raw: JSON.stringify({ address: 'gus@fund.example', pad: 'x'.repeat(70 * 1024) }) }],
      ['a lying length', { raw: '{}', headers: { 'content-length': '99999999' } }],
      ['prototype', { raw: '{"__proto__":{"address":"gus@fund.example"}}' }],
      ['an undeclared field', { json: { address: 'gus@fund.example', adress: 'gus@fund.example' } }],
    ]
    for (const [name, options] of bad) {
      const answer = await req('POST', '/api/email/accounts/enroll', options)
      expectError(answer, 400, 'validation_failed')
      expect(messageOf(answer), name).toMatch(/^(address|body):/)
    }
    expect(messageOf(await req('POST', '/api/email/accounts/enroll', { raw: '{"address": ' }))).toBe('body: malformed JSON')
    expect(messageOf(await req('POST', '/api/email/accounts/enroll', { raw: '[]' }))).toBe('body: expected a JSON object')
    expect(messageOf(await req('POST', '/api/email/accounts/enroll', { json: { address: 'gus@fund.example', until: 'x' } }))).toBe('body: unknown field: until')
    // Nothing else was enrolled.
    expect(((await get('/api/email/accounts')).body as { items: EmailAccount[] }).items.map((a) => a.address)).toEqual([...TEAM, 'fay@fund.example'].sort())
    expectError(await get('/api/email/accounts', 'user'), 403, 'forbidden')
  })

  it('enrolls all the users of the workspace domains, from the body or from the listUsers hook', async () => {
    const fromBody = await post('/api/email/accounts/enroll-all', {
      addresses: ['gus@fund.example', 'Hal@Fund.Example', 'mallory@else.example', 'not an address', ANN, 'x'.repeat(300)],
    })
    expect(fromBody.status).toBe(200)
    const body = fromBody.body as { enrolled: string[]; skipped: { address: string; reason: string }[] }
    expect(body.enrolled).toEqual(['gus@fund.example', 'hal@fund.example', ANN])
    expect(body.skipped).toEqual([
      { address: 'mallory@else.example', reason: 'not in the workspace domains' },
      { address: 'not an address', reason: 'not an email address' },
      { address: 'x'.repeat(100), reason: 'not an email address' },
    ])
    expect(((await post('/api/email/accounts/enroll-all', { addresses: [] })).body as typeof body)).toEqual({ enrolled: [], skipped: [] })

    // No body and no hook: nothing to enroll, said plainly.
    const noHook = await post('/api/email/accounts/enroll-all')
    expectError(noHook, 400, 'validation_failed')
    expect(messageOf(noHook)).toMatch(/listUsers/)
    for (const addresses of ['gus@fund.example', [1, 2], null, { a: 'gus@fund.example' }, [...Array(1001).keys()].map((i) => `u${i}@fund.example`)]) {
      expectError(await post('/api/email/accounts/enroll-all', { addresses }), 400, 'validation_failed')
    }
    expectError(await req('POST', '/api/email/accounts/enroll-all', { raw: '{not json' }), 400, 'validation_failed')
    expectError(await req('POST', '/api/email/accounts/enroll-all', { raw: '["gus@fund.example"]' }), 400, 'validation_failed')

    let asked = 0
    const hooked = another({
      listUsers: () => {
        asked += 1
        return Promise.resolve(['ivy@fund.example', 'jon@partner.example', 'KIM@fund.example'])
      },
    })
    const fromHook = await call(hooked.email, 'POST', '/api/email/accounts/enroll-all', { as: 'admin' })
    expect(fromHook.status).toBe(200)
    expect(fromHook.body).toEqual({ enrolled: ['ivy@fund.example', 'kim@fund.example'], skipped: [{ address: 'jon@partner.example', reason: 'not in the workspace domains' }] })
    expect(asked).toBe(1)
    // A body still wins over the hook.
    const overridden = await call(hooked.email, 'POST', '/api/email/accounts/enroll-all', { as: 'admin', json: { addresses: ['lea@fund.example'] } })
    expect(overridden.body).toEqual({ enrolled: ['lea@fund.example'], skipped: [] })
    expect(asked).toBe(1)
    expectError(await call(hooked.email, 'POST', '/api/email/accounts/enroll-all', { as: 'user' }), 403, 'forbidden')
    expect(asked).toBe(1)
    expect(hooked.errors).toEqual([])
  })

  it('starts a sync run at once with 202, of one account or all; unknown accounts are 404, bad ones 400', async () => {
    const runsOf = async (address: string) =>
      (await db().selectFrom('email_sync_runs').innerJoin('email_accounts', 'email_accounts.id', 'email_sync_runs.account_id')
        .select('email_sync_runs.id').where('email_accounts.address', '=', address).execute()).length
    const annRuns = await runsOf(ANN)
    const bobRuns = await runsOf(BOB)

    const one = await post('/api/email/sync/run-now', { account: 'ANN@fund.example' })
    expect(one.status).toBe(202)
    expect(one.body).toEqual({ started: true, account: ANN })
    await schedulerIdle(world.http)
    expect(await runsOf(ANN)).toBe(annRuns + 1)
    expect(await runsOf(BOB)).toBe(bobRuns)
    expect(world.http.scheduler.state()).toMatchObject({ running: false, lastError: null })
    expect(world.http.scheduler.state().lastRunAt).not.toBeNull()

    const all = await post('/api/email/sync/run-now')
    expect(all.status).toBe(202)
    expect(all.body).toEqual({ started: true, account: null })
    // While it runs, another request starts nothing and says which run is going on.
    const busy = await post('/api/email/sync/run-now', { account: BOB })
    expect(busy.status).toBe(202)
    expect(busy.body).toEqual({ started: false, account: null })
    await schedulerIdle(world.http)
    expect(await runsOf(BOB)).toBe(bobRuns + 1)
    const status = (await get('/api/email/status', 'user')).body as { scheduler: SchedulerState }
    expect(status.scheduler).toMatchObject({ running: false, lastError: null })

    expectError(await post('/api/email/sync/run-now', { account: 'zed@fund.example' }), 404, 'not_found')
    expectError(await post('/api/email/sync/run-now', { account: 'zed@else.example' }), 404, 'not_found')
    for (const account of ['not-an-address', '', 42, null, ['ann@fund.example'], { address: ANN }]) {
      const answer = await post('/api/email/sync/run-now', { account })
      expectError(answer, 400, 'validation_failed')
      expect(messageOf(answer)).toMatch(/^account:/)
    }
    expectError(await req('POST', '/api/email/sync/run-now', { raw: '{"account":' }), 400, 'validation_failed')
    expectError(await req('POST', '/api/email/sync/run-now', { raw: '"ann@fund.example"' }), 400, 'validation_failed')
    expectError(await post('/api/email/sync/run-now', { account: ANN }, 'user'), 403, 'forbidden')
    expect(world.http.scheduler.state().running).toBe(false)
  })

  it('rematches stored mail after the directory changed and answers the counts', async () => {
    let directory = DIRECTORY
    const moving = another({ directory: () => directory })
    const unchanged = await call(moving.email, 'POST', '/api/email/rematch', { as: 'admin' })
    expect(unchanged.status).toBe(200)
    const counts = unchanged.body as RematchResult
    expect(counts).toMatchObject({ emails: 11, linked: 0, unlinked: 0, changed: 0, warnings: [] })

    directory = DIRECTORY.filter((entry) => entry.type !== 'org')
    const changed = await call(moving.email, 'POST', '/api/email/rematch', { as: 'admin', json: { ignored: true } })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ emails: 11, linked: 0, unlinked: 5, changed: 5 })
    expect(await subjects('identity=org:o-1')).toEqual([])
    // The routes' own integration still has Globex in its directory, so nothing names it now.
    expect((await facet()).map(([key]) => key)).toEqual(['fund:7', 'contact:c-1'])
    expectError(await call(moving.email, 'POST', '/api/email/rematch', { as: 'user' }), 403, 'forbidden')
    expectError(await call(moving.email, 'POST', '/api/email/rematch', { as: 'anon' }), 401, 'unauthenticated')
    expect(moving.errors).toEqual([])
  })})
