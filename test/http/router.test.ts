import { expect, it } from 'vitest'
import { describeEachDialect } from '../helpers/databases.js'
import { call, expectError, leaksIn, read, request, schedulerIdle, type Answer } from '../helpers/http.js'
import { routerWorld } from '../helpers/router-world.js'

// The router's own work without a server, `tryHandle(new Request(...))` against an integration
// on a real database synced from the Gmail emulator: which paths it owns, who may call, unknown
// routes and methods, failures, and a seeded fuzz. Every answer goes through `read`, which fails
// on SQL, stack frames or key material in any JSON answer. The routes themselves are tested in
// http-mail-routes.test.ts and http-admin-routes.test.ts.

/** Every route of SPEC §8 this issue delivers (OAuth, search and digest come elsewhere). */
const ROUTES: readonly { method: 'GET' | 'POST'; path: string; access: 'user' | 'admin' }[] = [
  { method: 'GET', path: '/api/email/status', access: 'user' },
  { method: 'GET', path: '/api/email/accounts', access: 'admin' },
  { method: 'POST', path: '/api/email/accounts/enroll', access: 'admin' },
  { method: 'POST', path: '/api/email/accounts/enroll-all', access: 'admin' },
  { method: 'POST', path: '/api/email/sync/run-now', access: 'admin' },
  { method: 'POST', path: '/api/email/rematch', access: 'admin' },
  { method: 'GET', path: '/api/email/threads', access: 'user' },
  { method: 'GET', path: '/api/email/threads/1', access: 'user' },
  { method: 'GET', path: '/api/email/identities', access: 'user' },
  { method: 'GET', path: '/api/email/detail?id=1', access: 'admin' },
  { method: 'GET', path: '/api/email/attachments/1', access: 'admin' },
  { method: 'POST', path: '/api/email/1/hide', access: 'admin' },
  { method: 'POST', path: '/api/email/1/restore', access: 'admin' },
]

/** A small deterministic random source for the fuzz. */
function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}


describeEachDialect('the HTTP router (tryHandle without a server)', (open) => {
  const world = routerWorld(open)
  const { db, req, get, another, page } = world

  it('answers null outside its prefixes, so the host keeps routing', async () => {
    for (const path of ['/', '/api', '/api/', '/api/other', '/api/emailx', '/api/emailx/threads', '/api/email-threads', '/apiemail/threads',
      '/API/email/threads', '/api/admin', '/api/admin/digestx', '/x/api/email/threads', '/api/%65mail/threads']) {
      for (const method of ['GET', 'POST']) {
        expect(await world.http.tryHandle(request(method, path)), `${method} ${path}`).toBeNull()
      }
    }
    // Ours with or without the trailing slash, and the bare prefix is ours too.
    expect((await get('/api/email/threads/')).status).toBe(200)
    expectError(await get('/api/email'), 404, 'not_found')
    expectError(await get('/api/email/'), 404, 'not_found')
    expect(await world.http.tryHandle(request('GET', '/api/admin/digest/preview'))).not.toBeNull()
  })

  it('answers 503 on every route while disabled, before asking who calls', async () => {
    const authenticate = () => Promise.reject(new Error('authenticate must not be called while disabled'))
    const disabled = another({ config: { enabled: false } })
    const disabledNoAuth = another({ config: { enabled: false }, authenticate })
    for (const route of ROUTES) {
      for (const as of ['anon', 'user', 'admin'] as const) {
        expectError(await call(disabled.email, route.method, route.path, { as }), 503, 'integration_disabled')
      }
      expectError(await call(disabledNoAuth.email, route.method, route.path, { as: 'anon' }), 503, 'integration_disabled')
    }
    for (const path of ['/api/email/nope', '/api/email', '/api/admin/digest/preview']) {
      expectError(await call(disabled.email, 'GET', path, { as: 'anon' }), 503, 'integration_disabled')
    }
    expectError(await call(disabled.email, 'DELETE', '/api/email/threads', { as: 'admin' }), 503, 'integration_disabled')
    expect(await disabled.email.tryHandle(request('GET', '/api/other'))).toBeNull()
    disabled.email.scheduler.start()
    expect(disabled.email.scheduler.state()).toMatchObject({ enabled: false, scheduled: false, running: false })
    // Nothing failed unexpectedly (the 503s themselves may be logged).
    expect(disabled.errors.filter((e) => e.fields?.code !== 'integration_disabled')).toEqual([])
  })

  it('answers 401 without a principal and 403 to a non-admin on every admin route', async () => {
    const noAuthenticate = another({ withoutAuthenticate: true })
    for (const route of ROUTES) {
      expectError(await req(route.method, route.path, { as: 'anon' }), 401, 'unauthenticated')
      // A host that gave no `authenticate` has no principals at all.
      expectError(await call(noAuthenticate.email, route.method, route.path, { as: 'admin' }), 401, 'unauthenticated')
      const asUser = await req(route.method, route.path, { as: 'user' })
      if (route.access === 'admin') expectError(asUser, 403, 'forbidden')
      else expect(asUser.status, `${route.method} ${route.path}`).not.toBe(403)
    }
    // Unknown routes do not tell an anonymous caller which paths exist.
    expectError(await req('GET', '/api/email/nope', { as: 'anon' }), 401, 'unauthenticated')
    // A non-admin's refused writes changed nothing.
    expect((await db().selectFrom('emails').select('id').where('hidden_at', 'is not', null).execute()).length).toBe(0)
    expect(world.http.scheduler.state().running).toBe(false)
  })

  it('answers 404 for an unknown route under the prefix and 405 for a known path with another method', async () => {
    for (const path of ['/api/email/nope', '/api/email/threads/1/extra', '/api/email/attachments', '/api/email/attachments/', '/api/email/sync',
      '/api/email//threads', '/api/email/threads/%ZZ', '/api/email/accounts/enroll/again']) {
      const answer = await get(path)
      expectError(answer, 404, 'not_found')
    }
    const cases: [string, string, string][] = [
      ['POST', '/api/email/threads', 'GET'],
      ['POST', '/api/email/status', 'GET'],
      ['GET', '/api/email/rematch', 'POST'],
      ['GET', '/api/email/accounts/enroll', 'POST'],
      ['GET', '/api/email/sync/run-now', 'POST'],
      ['GET', '/api/email/1/hide', 'POST'],
      ['DELETE', '/api/email/threads/1', 'GET'],
      ['PUT', '/api/email/accounts', 'GET'],
      ['PATCH', '/api/email/1/restore', 'POST'],
    ]
    for (const [method, path, allow] of cases) {
      const answer = await req(method, path)
      expectError(answer, 405, 'method_not_allowed')
      expect(answer.headers.get('allow')).toBe(allow)
    }
  })

  it('never shows a stack, SQL or the reason of an unexpected failure: it answers a bare 500', async () => {
    const failing = another({ authenticate: () => Promise.reject(new Error('select secret from users at /srv/crm/auth.ts:12')) })
    const answer = await call(failing.email, 'GET', '/api/email/threads', { as: 'admin' })
    expectError(answer, 500, 'internal')
    expect(answer.body).toEqual({ error: { code: 'internal', message: 'Internal error' } })
    expect(failing.errors).toHaveLength(1)

    await db().schema.alterTable('email_threads').renameTo('email_threads_gone').execute()
    const broken = await get('/api/email/threads', 'user')
    expect(broken.body).toEqual({ error: { code: 'internal', message: 'Internal error' } })
    // The log has the reason (with the table name); the answer has none of it.
    expect(JSON.stringify(world.r.errors)).toMatch(/email_threads/)
    expect(broken.text).not.toMatch(/email_threads/)
    world.r.errors.length = 0
    await db().schema.alterTable('email_threads_gone').renameTo('email_threads').execute()
  })

  it('never answers 500 to 300 random and hostile requests under its prefix', async () => {
    const random = mulberry32(20260601)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
    const first = await page('?limit=2')
    const cursor = first.nextCursor ?? ''
    const segments = [
      'threads', 'identities', 'detail', 'attachments', 'accounts', 'enroll', 'enroll-all', 'sync', 'run-now', 'rematch', 'status', 'hide', 'restore',
      'search', '1', '0', '-1', '7', '999999', '2147483648', '99999999999999999999', '%00', '%2e%2e', '..', '.', '%2F', '%5C', '%ZZ', '%', '%E0%A4%A',
      'é', '%C3%A9', '%ED%A0%80', '%FF', "'", '%22', '%3Cscript%3E', 'a'.repeat(3000), 'null', 'undefined', '__proto__', 'constructor', '1e3', '%20',
      '+', '*', ';', ',', '$', '~', '!', ':id', '%0D%0ASet-Cookie:%20x=1', 'SELECT%20*%20FROM%20emails', "1'%20OR%20'1'='1",
    ]
    const keys = ['identity', 'investor_id', 'from', 'to', 'limit', 'cursor', 'id', 'q', 'account', 'x', 'identity[]', '']
    const values = [
      '', 'fund:7', '7', 'grid:7', 'addr:', 'addr:%00', '%00', 'org:o-1', 'contact:c-1', 'addr:ceo@globex.example', "'%3B%20DROP%20TABLE%20emails%3B--",
      '2026-13-01', '2026-02-30', '2026-06-01', '9999-12-31', '0000-01-01', '2026-06-01T00:00:00Z', '-1', '1e309', 'NaN', 'Infinity', '101', '0', '100',
      'x'.repeat(5000), '%E0%A4%A', '%F0%9F%98%80', '%ED%A0%80', encodeURIComponent(cursor), encodeURIComponent(`${cursor}x`), 'eyJ.abc', '[]', '{}', 'true',
      '%', '%%', '&', '=', '==', 'a=b=c', '%0D%0A', '\u0000', '😀', '\t', '1,2', 'fund:7,org:o-1', '../../etc/passwd',
    ]
    const bodies = [
      undefined, '', '{}', '[]', 'null', '"x"', '{"address":"ann@fund.example"}', '{"account":"bob@fund.example"}', '{"addresses":["x@fund.example"]}',
      '{"addresses":"x"}', '{"account":{}}', '{', '{"a":', '\u0000', 'x'.repeat(70_000), '{"address":"\\ud800"}', '{"__proto__":{"isAdmin":true}}',
      '{"account":"nobody@fund.example"}', '{"addresses":[null]}', '{"address":"a@b"}', '1e999', '[{"address":"x@fund.example"}]',
    ]
    const methods = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']
    let sent = 0
    for (let i = 0; i < 300; i++) {
      const prefix = random() < 0.9 ? '/api/email/' : '/api/admin/digest/'
      const path = prefix + Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(segments)).join('/') + (random() < 0.1 ? '/' : '')
      const query = Array.from({ length: Math.floor(random() * 4) }, () => `${pick(keys)}=${pick(values)}`).join('&')
      const method = pick(methods)
      const as = pick(['admin', 'admin', 'user', 'anon'] as const)
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies)
      const url = `${path}${query === '' ? '' : `?${query}`}`
      const response = await world.http.tryHandle(request(method, url, { as, ...(body === undefined ? {} : { raw: body }) }))
      sent += 1
      const where = `${method} ${url.slice(0, 200)} as ${as}`
      const pathname = new URL(`http://crm.test${url}`).pathname
      if (response === null) {
        // Only a path that URL parsing moved out of the prefix (dot segments) is the host's.
        expect(`${pathname.replace(/\/+$/, '')}/`.startsWith('/api/email/') || `${pathname.replace(/\/+$/, '')}/`.startsWith('/api/admin/digest/'), where).toBe(false)
        continue
      }
      const answer: Answer = await read(response, [pathname.replace(/\/+$/, '')])
      expect(answer.status, where).toBeLessThan(500)
      if (answer.status >= 400) expectError(answer, answer.status)
      if (as === 'anon') expect(answer.status, where).toBe(401)
      if (as === 'user' && answer.status === 200) expect(ROUTES.some((route) => route.access === 'user' && pathname.startsWith(route.path.split('?')[0] ?? '')), where).toBe(true)
    }
    expect(sent).toBe(300)
    await schedulerIdle(world.http)
    expect(leaksIn(JSON.stringify(world.r.errors))).toEqual([])
  })

  it('refuses a POST a browser marks as sent by another site, whatever the caller', async () => {
    const crossSite = await req('POST', '/api/email/rematch', { as: 'admin', headers: { 'sec-fetch-site': 'cross-site' } })
    expectError(crossSite, 403, 'forbidden')
    const sameOrigin = await req('POST', '/api/email/rematch', { as: 'admin', headers: { 'sec-fetch-site': 'same-origin' } })
    expect(sameOrigin.status).toBe(200)
  })})
