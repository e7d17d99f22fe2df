import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type {
  EmailAccount,
  EmailDatabase,
  EmailDetail,
  EmailIntegration,
  IdentityFacet,
  RematchResult,
  SchedulerState,
  ThreadDetail,
  ThreadPage,
} from '../src/index.js'
import { describeEachDialect, type TestDatabase } from './helpers/databases.js'
import { buildMessage } from './helpers/emulator-messages.js'
import {
  call,
  expectError,
  leaksIn,
  messageOf,
  read,
  request,
  routerIntegration,
  schedulerIdle,
  type Answer,
  type Caller,
  type RouterIntegration,
  type RouterIntegrationOptions,
} from './helpers/http.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from './helpers/sync-setup.js'

// The router without a server: `tryHandle(new Request(...))` against an integration on a real
// database, synced from the Gmail emulator. Every answer goes through `read`, which fails on
// SQL, stack frames or key material in any JSON answer.

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const day = (d: number) => new Date(Date.UTC(2026, 5, d, 12))
const DECK_BYTES = randomBytes(3000)
const TIES = ['Tie 1', 'Tie 2', 'Tie 3', 'Tie 4']
/** The threads of the world, newest activity first (the ties share one date). */
const NEWEST_FIRST_AFTER_TIES = ['Deck', 'Capital call', 'Dana and Acme', 'Coffee?', 'Globex intro', 'Fund update']

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

/** Asserts a `Content-Disposition` value is an attachment with a name safe to save. */
function expectSafeDisposition(value: string | null): string {
  expect(value).toMatch(/^attachment; filename="[^"\\/\p{Cc}]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/u)
  const name = /filename="([^"]*)"/.exec(value ?? '')?.[1] ?? ''
  expect(name).not.toMatch(/^\.*$/)
  const extended = decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(value ?? '')?.[1] ?? '')
  expect(extended).not.toMatch(/[\\/"\p{Cc}]/u)
  expect(extended).not.toMatch(/^\.*$/)
  return name
}

describeEachDialect('the HTTP router (tryHandle without a server)', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let r: RouterIntegration
  let http: EmailIntegration
  let extra: EmailIntegration[] = []
  const messageIds: Record<string, string> = {}

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const req = (method: string, path: string, options: Parameters<typeof call>[3] = {}) => call(http, method, path, options)
  const get = (path: string, as: Caller = 'admin') => call(http, 'GET', path, { as })
  const post = (path: string, json?: unknown, as: Caller = 'admin') => call(http, 'POST', path, { as, ...(json === undefined ? {} : { json }) })
  const another = (options: RouterIntegrationOptions = {}): RouterIntegration => {
    const made = routerIntegration(t, w, options)
    extra.push(made.email)
    return made
  }

  /** The id of a stored email, by its Message-ID. */
  const emailId = async (name: string): Promise<string> => {
    const row = await db().selectFrom('emails').select('id').where('message_id', '=', messageIds[name] ?? '').executeTakeFirstOrThrow()
    return String(row.id)
  }
  const page = async (query: string, as: Caller = 'user'): Promise<ThreadPage> => {
    const answer = await get(`/api/email/threads${query}`, as)
    expect(answer.status, answer.text).toBe(200)
    return answer.body as ThreadPage
  }
  const subjects = async (query: string): Promise<string[]> =>
    (await page(`?limit=100${query === '' ? '' : `&${query}`}`)).items.map((th) => th.subject).sort()
  const threadOf = async (subject: string): Promise<string> => {
    const found = (await page('?limit=100')).items.find((th) => th.subject === subject)
    if (found === undefined) throw new Error(`no thread ${subject}`)
    return found.id
  }
  const facet = async (query = ''): Promise<[string, number][]> => {
    const answer = await get(`/api/email/identities${query}`, 'user')
    expect(answer.status, answer.text).toBe(200)
    return (answer.body as IdentityFacet).items.map((i) => [i.key, i.count])
  }

  beforeEach(async () => {
    extra = []
    t = await open()
    w = await syncWorld(t)
    const add = (name: string, m: { raw: string; messageId: string }, boxes: string[]) => {
      for (const box of boxes) w.emu.addMessage(box, m.raw)
      messageIds[name] = m.messageId
    }
    const fund = mail({ from: 'partner@acme.vc', to: [ANN, BOB], subject: 'Fund update', date: day(1) })
    add('fund', fund, [ANN, BOB])
    add('fundReply', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Re: Fund update', date: day(2), inReplyTo: fund.messageId }), [ANN])
    add('org', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', date: day(3) }), [ANN])
    add('contact', mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Coffee?', date: day(4) }), [BOB])
    add('contact2', mail({ from: 'dana@gmail.com', to: [ANN], subject: 'Dana and Acme', date: day(5) }), [ANN])
    add('late', mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: day(6), body: 'Please wire the capital call by Friday.' }), [BOB])
    const deckId = `deck-${randomBytes(4).toString('hex')}@acme.vc`
    const deck = buildMessage({
      from: 'Pat <partner@acme.vc>',
      to: ANN,
      subject: 'Deck',
      date: day(7),
      messageId: deckId,
      text: 'The deck is attached.',
      attachments: [{ filename: '../../etc/passwd', contentType: 'application/pdf', content: DECK_BYTES }],
    })
    add('deck', { raw: deck, messageId: deckId }, [ANN])
    TIES.forEach((subject, i) => {
      add(subject, mail({ from: `team${i}@globex.example`, to: [BOB], subject, date: day(8) }), [BOB])
    })
    await w.email.sync.runAll()
    r = routerIntegration(t, w)
    http = r.email
  })

  afterEach(async () => {
    // Any answer of 500 logs an error: none of these tests sends anything that may cause one.
    expect(r.errors).toEqual([])
    for (const e of extra) await e.close()
    await http.close()
    await w.close()
    await t.close()
  })

  it('answers null outside its prefixes, so the host keeps routing', async () => {
    for (const path of ['/', '/api', '/api/', '/api/other', '/api/emailx', '/api/emailx/threads', '/api/email-threads', '/apiemail/threads',
      '/API/email/threads', '/api/admin', '/api/admin/digestx', '/x/api/email/threads', '/api/%65mail/threads']) {
      for (const method of ['GET', 'POST']) {
        expect(await http.tryHandle(request(method, path)), `${method} ${path}`).toBeNull()
      }
    }
    // Ours with or without the trailing slash, and the bare prefix is ours too.
    expect((await get('/api/email/threads/')).status).toBe(200)
    expectError(await get('/api/email'), 404, 'not_found')
    expectError(await get('/api/email/'), 404, 'not_found')
    expect(await http.tryHandle(request('GET', '/api/admin/digest/preview'))).not.toBeNull()
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
    expect(http.scheduler.state().running).toBe(false)
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

  it('lists threads newest first and pages through them with the cursor to the end', async () => {
    const all = await page('?limit=100')
    expect(all.nextCursor).toBeNull()
    expect(all.items).toHaveLength(TIES.length + NEWEST_FIRST_AFTER_TIES.length)
    expect(all.items.slice(0, 4).map((th) => th.subject).sort()).toEqual(TIES)
    expect(all.items.slice(4).map((th) => th.subject)).toEqual(NEWEST_FIRST_AFTER_TIES)
    for (const [i, th] of all.items.entries()) {
      const next = all.items[i + 1]
      if (next === undefined) continue
      expect(th.lastAt >= next.lastAt).toBe(true)
      if (th.lastAt === next.lastAt) expect(Number(th.id)).toBeGreaterThan(Number(next.id))
    }
    const fundThread = all.items.find((th) => th.subject === 'Fund update')
    expect(fundThread).toMatchObject({ messageCount: 2, firstAt: day(1).toISOString(), lastAt: day(2).toISOString() })
    expect(fundThread?.identities).toEqual([{ key: 'fund:7', type: 'fund', id: '7', name: 'Acme Ventures' }])
    expect(Object.keys(fundThread ?? {}).sort()).toEqual(['firstAt', 'id', 'identities', 'lastAt', 'messageCount', 'participants', 'snippet', 'subject'])

    // Every page size walks the same list, through ties, without a repeat or a gap.
    for (const limit of [1, 2, 3, 4, 10]) {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
        const p = await page(query)
        expect(p.items.length).toBeLessThanOrEqual(limit)
        seen.push(...p.items.map((th) => th.id))
        cursor = p.nextCursor
        pages += 1
        expect(pages).toBeLessThan(50)
      } while (cursor !== null)
      expect(seen, `limit ${limit}`).toEqual(all.items.map((th) => th.id))
      expect(pages).toBe(Math.ceil(all.items.length / limit))
    }
    // The default page is 25; an empty cursor is the first page.
    expect((await page('?cursor=')).items.map((th) => th.id)).toEqual(all.items.map((th) => th.id))
    // A filtered list pages too.
    const first = await page('?identity=org:o-1&limit=2')
    const second = await page(`?identity=org:o-1&limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`)
    const third = await page(`?identity=org:o-1&limit=2&cursor=${encodeURIComponent(second.nextCursor ?? '')}`)
    expect([...first.items, ...second.items, ...third.items].map((th) => th.subject).sort()).toEqual(['Globex intro', ...TIES])
    expect(third.nextCursor).toBeNull()
  })

  it('refuses tampered, foreign and malformed cursors with 400; a cursor survives a restart with the same key', async () => {
    const first = await page('?limit=2')
    const cursor = first.nextCursor ?? ''
    const [body = '', tag = ''] = cursor.split('.')
    const [lastAt, id] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string, number]
    const reencoded = (value: unknown) => `${Buffer.from(JSON.stringify(value)).toString('base64url')}.${tag}`
    const flip = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`
    // The last character of a 16-byte base64url MAC carries 4 unused bits: this one decodes
    // to the same bytes, yet it is not the cursor the list gave out.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sameBytes = `${tag.slice(0, -1)}${alphabet[alphabet.indexOf(tag.at(-1) ?? 'A') ^ 1] ?? ''}`
    expect(Buffer.from(sameBytes, 'base64url').equals(Buffer.from(tag, 'base64url'))).toBe(true)
    const bad = [
      reencoded([lastAt, id + 1]),
      reencoded([lastAt, id - 1]),
      reencoded(['9999-12-31T00:00:00.000Z', id]),
      reencoded({ lastAt, id }),
      `${body}.${flip(tag)}`,
      `${body}.${sameBytes}`,
      `${body}.${tag}=`,
      `${body}.${tag.toUpperCase()}`,
      `${flip(body)}.${tag}`,
      `${body}.`,
      `.${tag}`,
      body,
      `${cursor}.x`,
      'abc',
      '.',
      '..',
      `${cursor}${'A'.repeat(300)}`,
      '%00',
      '💥',
    ]
    for (const value of bad) {
      const answer = await get(`/api/email/threads?cursor=${encodeURIComponent(value)}`, 'user')
      expectError(answer, 400, 'validation_failed')
      expect(messageOf(answer)).toMatch(/^cursor:/)
    }
    // Another key's cursor is not one this list gave out.
    const other = another({ config: { secretKey: randomBytes(32).toString('base64') } })
    const foreign = ((await call(other.email, 'GET', '/api/email/threads?limit=2', { as: 'user' })).body as ThreadPage).nextCursor ?? ''
    expectError(await get(`/api/email/threads?cursor=${encodeURIComponent(foreign)}`, 'user'), 400, 'validation_failed')
    // The same key in another integration object (a restarted process) reads it.
    const restarted = another()
    const next = await call(restarted.email, 'GET', `/api/email/threads?limit=2&cursor=${encodeURIComponent(cursor)}`, { as: 'user' })
    expect(next.status).toBe(200)
    expect((next.body as ThreadPage).items.map((th) => th.id)).toEqual((await page(`?limit=2&cursor=${encodeURIComponent(cursor)}`)).items.map((th) => th.id))
  })

  it('filters by typed identity: investor_id is an alias, a bare id means fund:, an unknown prefix gives an empty list', async () => {
    const fund = ['Capital call', 'Deck', 'Fund update']
    expect(await subjects('identity=fund:7')).toEqual(fund)
    expect(await subjects('identity=7')).toEqual(fund)
    expect(await subjects('identity=FUND:7')).toEqual(fund)
    expect(await subjects('identity=%20fund:7%20')).toEqual(fund)
    expect(await subjects('investor_id=7')).toEqual(fund)
    expect(await subjects('investor_id=fund:7')).toEqual(fund)
    expect(await subjects('identity=fund:7&investor_id=fund:7')).toEqual(fund)
    expect(await subjects('identity=org:o-1')).toEqual(['Globex intro', ...TIES])
    expect(await subjects('identity=contact:c-1')).toEqual(['Coffee?', 'Dana and Acme'])
    expect(await subjects('identity=addr:ceo@globex.example')).toEqual(['Globex intro'])
    expect(await subjects('identity=addr:CEO@Globex.Example')).toEqual(['Globex intro'])
    expect(await subjects('identity=')).toHaveLength(10)
    // Keys that name nothing: an empty list, never an error.
    for (const key of ['grid:7', 'investor:7', 'fund:8', 'org:nope', 'addr:nobody@nowhere.example', 'addr:not-an-address', 'fund:', ':7', '%00',
      'fund:7%00', 'x'.repeat(600), '%F0%9F%92%A5:1', 'fund:7%27%20OR%201=1--']) {
      const answer = await get(`/api/email/threads?identity=${key}`, 'user')
      expect(answer.status, key).toBe(200)
      expect(answer.body, key).toEqual({ items: [], nextCursor: null })
      const asFacet = await get(`/api/email/identities?identity=${key}`, 'user')
      expect(asFacet.status, key).toBe(200)
      expect(asFacet.body).toEqual({ items: [] })
    }
    const both = await get('/api/email/threads?identity=fund:7&investor_id=org:o-1', 'user')
    expectError(both, 400, 'validation_failed')
    expect(messageOf(both)).toMatch(/identity/)
  })

  it('validates dates, limits and repeated parameters with a 400 that names the parameter', async () => {
    expect(await subjects('from=2026-06-03&to=2026-06-04')).toEqual(['Coffee?', 'Globex intro'])
    expect(await subjects('to=2026-06-04T12:00:00Z')).toEqual(['Fund update', 'Globex intro'])
    expect(await subjects('from=2026-06-08T11:00:00%2B00:00')).toEqual(TIES)
    expect(await subjects('from=2026-06-07T12:00:00.000Z&to=2026-06-07T12:00:00.001Z')).toEqual(['Deck'])
    expect(await subjects('from=2026-06-07&to=2026-06-07')).toEqual(['Deck'])
    expect(await subjects('from=&to=')).toHaveLength(10)
    // Far bounds are no bounds: every thread lies between them.
    expect(await subjects('from=0000-01-01&to=9999-12-31')).toHaveLength(10)
    expect(await subjects('to=9999-12-31')).toHaveLength(10)
    expect(await subjects('to=9999-12-31T23:00:00-05:00')).toHaveLength(10)
    expect(await subjects('from=1970-01-01T00:00:00%2B14:00')).toHaveLength(10)

    const bad: [string, string][] = [
      ['from=2026-13-01', 'from'],
      ['from=2026-02-30', 'from'],
      ['to=2026-6-1', 'to'],
      ['to=yesterday', 'to'],
      ['from=2026-06-01T12:00', 'from'],
      ['from=2026-06-01T25:00:00Z', 'from'],
      ['from=2026-06-01T12:00:00%2B99:00', 'from'],
      ['from=1717243200000', 'from'],
      ['from=2026-06-05&to=2026-06-01', 'from'],
      [`to=${'9'.repeat(5000)}`, 'to'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=%20%205', 'limit'],
      ['limit=9999999999999999999999', 'limit'],
      ['limit=Infinity', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['identity=fund:7&identity=fund:7', 'identity'],
      ['investor_id=7&investor_id=7', 'investor_id'],
      ['from=2026-06-01&from=2026-06-02', 'from'],
      ['to=2026-06-01&to=2026-06-02', 'to'],
      ['cursor=a&cursor=b', 'cursor'],
    ]
    for (const [query, name] of bad) {
      for (const route of ['threads', 'identities']) {
        if (route === 'identities' && /limit|cursor/.test(name)) continue
        const answer = await get(`/api/email/${route}?${query}`, 'user')
        expectError(answer, 400, 'validation_failed')
        expect(messageOf(answer), query).toMatch(new RegExp(`^${name}:`))
        expect(messageOf(answer).length).toBeLessThan(200)
      }
    }
    expect((await page('?limit=100')).items).toHaveLength(10)
    expect((await page('?limit=1')).items).toHaveLength(1)
    expect((await page('?limit=007')).items).toHaveLength(7)
  })

  it('shows one thread with its emails, oldest first; a bad id is 400, an unknown one 404', async () => {
    const id = await threadOf('Fund update')
    const answer = await get(`/api/email/threads/${id}`, 'user')
    expect(answer.status).toBe(200)
    const thread = answer.body as ThreadDetail
    expect(thread.id).toBe(id)
    expect(thread.subject).toBe('Fund update')
    expect(thread.emails.map((e) => e.messageId)).toEqual([messageIds.fund, messageIds.fundReply])
    expect(thread.emails[0]?.mailboxes).toEqual([ANN, BOB])
    expect(thread.emails[0]?.from).toEqual({ address: 'partner@acme.vc', name: null })
    expect(thread.emails[0]?.identities.map((i) => i.key)).toEqual(['fund:7'])
    for (const e of thread.emails) expect(Object.keys(e).sort()).toEqual(
      ['attachments', 'cc', 'date', 'from', 'id', 'identities', 'mailboxes', 'messageId', 'snippet', 'subject', 'threadId', 'to'],
    )
    expect(answer.text).not.toMatch(/bodyText|body_text|html/i)
    // Ids are matched as decoded path segments: %31 is 1.
    expect((await get(`/api/email/threads/${encodeURIComponent(id).replace(/\d/g, (d) => `%3${d}`)}`, 'user')).status).toBe(200)

    for (const bad of ['abc', '0', '-1', '1.5', '1e3', '99999999999', '2147483648', '%20', 'null', '%00', '0x10', '1%2F2']) {
      expectError(await get(`/api/email/threads/${bad}`, 'user'), 400, 'validation_failed')
    }
    expectError(await get('/api/email/threads/999999', 'user'), 404, 'not_found')
    expectError(await get('/api/email/threads/2147483647', 'user'), 404, 'not_found')
  })

  it('gives the identity facet of the current filter, with counts, consistent with the list', async () => {
    expect(await facet()).toEqual([
      ['fund:7', 4],
      ['org:o-1', 5],
      ['contact:c-1', 2],
    ])
    const items = ((await get('/api/email/identities', 'user')).body as IdentityFacet).items
    expect(items[0]).toEqual({ key: 'fund:7', type: 'fund', id: '7', name: 'Acme Ventures', count: 4 })
    expect(await facet('?from=2026-06-05')).toEqual([
      ['fund:7', 2],
      ['org:o-1', 4],
      ['contact:c-1', 1],
    ])
    expect(await facet('?identity=org:o-1')).toEqual([['org:o-1', 5]])
    expect(await facet('?investor_id=7')).toEqual([['fund:7', 4]])
    expect(await facet('?identity=addr:ceo@globex.example')).toEqual([['org:o-1', 1]])
    expect(await facet('?to=2026-06-01')).toEqual([['fund:7', 1]])
    expect(await facet('?from=2026-07-01')).toEqual([])
    // The facet's counts are what the filtered list holds.
    expect(await subjects('identity=contact:c-1&from=2026-06-05')).toEqual(['Dana and Acme'])
  })

  it('gives an email with its text body to admins only; missing or bad ids are 400, unknown 404', async () => {
    const id = await emailId('late')
    const answer = await get(`/api/email/detail?id=${id}`)
    expect(answer.status).toBe(200)
    const detail = answer.body as EmailDetail
    expect(detail).toMatchObject({ id, subject: 'Capital call', messageId: messageIds.late, bodyText: 'Please wire the capital call by Friday.' })
    expect(detail.mailboxes).toEqual([BOB])
    expect(Object.keys(detail).filter((k) => /html|raw/i.test(k))).toEqual([])
    expectError(await get(`/api/email/detail?id=${id}`, 'user'), 403, 'forbidden')
    expectError(await get(`/api/email/detail?id=${id}`, 'anon'), 401, 'unauthenticated')

    const missing = await get('/api/email/detail')
    expectError(missing, 400, 'validation_failed')
    expect(messageOf(missing)).toMatch(/^id:/)
    for (const bad of ['', 'abc', '0', '-5', '1.0', '99999999999', `${id}&id=${id}`, '%00', ' 1']) {
      expectError(await get(`/api/email/detail?id=${bad}`), 400, 'validation_failed')
    }
    expectError(await get('/api/email/detail?id=999999'), 404, 'not_found')
    // The deck email lists its attachment.
    const deck = (await get(`/api/email/detail?id=${await emailId('deck')}`)).body as EmailDetail
    expect(deck.bodyText).toBe('The deck is attached.')
    expect(deck.attachments).toEqual([
      expect.objectContaining({ filename: '../../etc/passwd', mimeType: 'application/pdf', size: DECK_BYTES.length, status: 'stored' }),
    ])
  })

  it('streams a stored attachment to admins with a safe file name, nosniff, and 404/409 for unknown and unstored ones', async () => {
    const deck = (await get(`/api/email/detail?id=${await emailId('deck')}`)).body as EmailDetail
    const attachmentId = deck.attachments[0]?.id ?? ''
    const response = await http.tryHandle(request('GET', `/api/email/attachments/${attachmentId}`))
    expect(response).not.toBeNull()
    expect(response?.body).toBeInstanceOf(ReadableStream)
    const file = await read(response!)
    expect(file.status).toBe(200)
    expect(file.bytes.equals(DECK_BYTES)).toBe(true)
    expect(file.headers.get('content-length')).toBe(String(DECK_BYTES.length))
    expect(file.headers.get('content-type')).toBe('application/octet-stream')
    expect(file.headers.get('x-content-type-options')).toBe('nosniff')
    expect(file.headers.get('cache-control')).toMatch(/no-store/)
    expect(expectSafeDisposition(file.headers.get('content-disposition'))).toBe('passwd')

    // Whatever a sender named the file, the header carries a harmless name and nothing else.
    const hostile: [string, string | RegExp][] = [
      ['../../etc/passwd', 'passwd'],
      ['..\\..\\Windows\\system32\\evil.exe', 'evil.exe'],
      ['C:\\Users\\x\\report.pdf', 'report.pdf'],
      ['evil".pdf\r\nSet-Cookie: session=1', /^evil\.pdfSet-Cookie: session=1$/],
      ['"; filename="other.exe', /^; filename=other\.exe$/],
      ['a\u0001b\u001fc\u007fd.txt', 'abcd.txt'],
      ['résumé ☃ 📎.pdf', /^r_sum_ _ _+\.pdf$/],
      ["it's (final)*.pdf", "it's (final)*.pdf"],
      ['100% done;.txt', '100% done;.txt'],
      ['', 'attachment'],
      ['/', 'attachment'],
      ['   ', 'attachment'],
      ['..', /.+/],
      ['../..', /.+/],
      ['x'.repeat(1000), /^x{1,255}$/],
    ]
    for (const [filename, expected] of hostile) {
      await db().updateTable('email_attachments').set({ filename }).where('id', '=', Number(attachmentId)).execute()
      const answer = await get(`/api/email/attachments/${attachmentId}`)
      expect(answer.status, JSON.stringify(filename)).toBe(200)
      const header = answer.headers.get('content-disposition')
      const name = expectSafeDisposition(header)
      if (typeof expected === 'string') expect(name, JSON.stringify(filename)).toBe(expected)
      else expect(name, JSON.stringify(filename)).toMatch(expected)
      expect(header).not.toMatch(/[\r\n]/)
      expect(answer.bytes.equals(DECK_BYTES)).toBe(true)
    }
    // The UTF-8 form keeps the real name, percent-encoded.
    await db().updateTable('email_attachments').set({ filename: 'résumé.pdf' }).where('id', '=', Number(attachmentId)).execute()
    expect((await get(`/api/email/attachments/${attachmentId}`)).headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    )

    expectError(await get(`/api/email/attachments/${attachmentId}`, 'user'), 403, 'forbidden')
    expectError(await get(`/api/email/attachments/${attachmentId}`, 'anon'), 401, 'unauthenticated')
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999', '%00']) {
      expectError(await get(`/api/email/attachments/${bad}`), 400, 'validation_failed')
    }
    expectError(await get('/api/email/attachments/999999'), 404, 'not_found')
    for (const status of ['pending', 'skipped', 'failed'] as const) {
      await db().updateTable('email_attachments').set({ status, sha256: null }).where('id', '=', Number(attachmentId)).execute()
      const answer = await get(`/api/email/attachments/${attachmentId}`)
      expectError(answer, 409, 'conflict')
      expect(messageOf(answer)).toMatch(status)
    }
  })

  it('hides mail from every route until restored: never counted, listed, paged or shown', async () => {
    const fundThread = await threadOf('Fund update')
    const globexThread = await threadOf('Globex intro')
    const reply = await emailId('fundReply')
    const org = await emailId('org')
    const deck = await emailId('deck')
    const deckDetail = (await get(`/api/email/detail?id=${deck}`)).body as EmailDetail
    const attachmentId = deckDetail.attachments[0]?.id ?? ''
    const before = await page('?limit=100')

    // Refused writes hide nothing.
    expectError(await post(`/api/email/${reply}/hide`, undefined, 'user'), 403, 'forbidden')
    expectError(await post(`/api/email/${reply}/hide`, undefined, 'anon'), 401, 'unauthenticated')
    expect((await get(`/api/email/detail?id=${reply}`)).status).toBe(200)

    for (const id of [reply, org, deck]) {
      const hidden = await post(`/api/email/${id}/hide`)
      expect(hidden.status).toBe(200)
      expect(hidden.body).toEqual({ id, hidden: true })
    }
    // Hiding twice is harmless.
    expect((await post(`/api/email/${org}/hide`)).status).toBe(200)

    // The list: the reply is not counted, the thread whose only email is hidden is gone.
    const all = await page('?limit=100')
    expect(all.items.map((th) => th.subject)).not.toContain('Globex intro')
    expect(all.items.map((th) => th.subject)).not.toContain('Deck')
    expect(all.items).toHaveLength(8)
    expect(all.items.find((th) => th.id === fundThread)).toMatchObject({ messageCount: 1, firstAt: day(1).toISOString(), lastAt: day(1).toISOString() })
    expect(await subjects('identity=addr:ceo@globex.example')).toEqual([])
    expect(await subjects('identity=org:o-1')).toEqual(TIES)
    expect(await subjects('from=2026-06-02&to=2026-06-03')).toEqual([])
    expect(await subjects('identity=fund:7')).toEqual(['Capital call', 'Fund update'])
    // Paging never shows them either.
    const paged: string[] = []
    let cursor: string | null = null
    do {
      const p: ThreadPage = await page(`?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      paged.push(...p.items.map((th) => th.id))
      cursor = p.nextCursor
    } while (cursor !== null)
    expect(paged).toEqual(all.items.map((th) => th.id))
    expect(paged).not.toContain(globexThread)

    // The thread, the facet, the detail and the attachment.
    const thread = (await get(`/api/email/threads/${fundThread}`, 'user')).body as ThreadDetail
    expect(thread.emails.map((e) => e.messageId)).toEqual([messageIds.fund])
    expectError(await get(`/api/email/threads/${globexThread}`, 'user'), 404, 'not_found')
    expect(await facet()).toEqual([
      ['fund:7', 2],
      ['org:o-1', 4],
      ['contact:c-1', 2],
    ])
    expect(await facet('?identity=addr:ceo@globex.example')).toEqual([])
    for (const id of [reply, org, deck]) expectError(await get(`/api/email/detail?id=${id}`), 404, 'not_found')
    expectError(await get(`/api/email/attachments/${attachmentId}`), 404, 'not_found')
    // No route answer mentions the hidden mail at all.
    for (const path of ['/api/email/threads?limit=100', '/api/email/identities', `/api/email/threads/${fundThread}`]) {
      const text = (await get(path)).text
      expect(text).not.toContain(messageIds.fundReply)
      expect(text).not.toContain('Globex intro')
      expect(text).not.toContain('passwd')
    }

    // Restore: everything is back as it was.
    expectError(await post(`/api/email/${reply}/restore`, undefined, 'user'), 403, 'forbidden')
    for (const id of [reply, org, deck]) {
      const restored = await post(`/api/email/${id}/restore`)
      expect(restored.status).toBe(200)
      expect(restored.body).toEqual({ id, hidden: false })
    }
    expect((await post(`/api/email/${org}/restore`)).status).toBe(200)
    expect(await page('?limit=100')).toEqual(before)
    expect(await facet()).toEqual([
      ['fund:7', 4],
      ['org:o-1', 5],
      ['contact:c-1', 2],
    ])
    expect((await get(`/api/email/detail?id=${reply}`)).status).toBe(200)
    expect((await get(`/api/email/attachments/${attachmentId}`)).bytes.equals(DECK_BYTES)).toBe(true)

    for (const action of ['hide', 'restore']) {
      for (const bad of ['abc', '0', '-1', '1.5', '99999999999', '%00']) {
        expectError(await post(`/api/email/${bad}/${action}`), 400, 'validation_failed')
      }
      expectError(await post(`/api/email/999999/${action}`), 404, 'not_found')
    }
  })

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
    ]
    for (const [name, options] of bad) {
      const answer = await req('POST', '/api/email/accounts/enroll', options)
      expectError(answer, 400, 'validation_failed')
      expect(messageOf(answer), name).toMatch(/^(address|body):/)
    }
    expect(messageOf(await req('POST', '/api/email/accounts/enroll', { raw: '{"address": ' }))).toBe('body: malformed JSON')
    expect(messageOf(await req('POST', '/api/email/accounts/enroll', { raw: '[]' }))).toBe('body: expected a JSON object')
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
    await schedulerIdle(http)
    expect(await runsOf(ANN)).toBe(annRuns + 1)
    expect(await runsOf(BOB)).toBe(bobRuns)
    expect(http.scheduler.state()).toMatchObject({ running: false, lastError: null })
    expect(http.scheduler.state().lastRunAt).not.toBeNull()

    const all = await post('/api/email/sync/run-now')
    expect(all.status).toBe(202)
    expect(all.body).toEqual({ started: true, account: null })
    // While it runs, another request starts nothing and says which run is going on.
    const busy = await post('/api/email/sync/run-now', { account: BOB })
    expect(busy.status).toBe(202)
    expect(busy.body).toEqual({ started: false, account: null })
    await schedulerIdle(http)
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
    expect(http.scheduler.state().running).toBe(false)
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
    expect(JSON.stringify(r.errors)).toMatch(/email_threads/)
    expect(broken.text).not.toMatch(/email_threads/)
    r.errors.length = 0
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
      const response = await http.tryHandle(request(method, url, { as, ...(body === undefined ? {} : { raw: body }) }))
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
    await schedulerIdle(http)
    expect(leaksIn(JSON.stringify(r.errors))).toEqual([])
  })

  it('refuses a POST a browser marks as sent by another site, whatever the caller', async () => {
    const crossSite = await req('POST', '/api/email/rematch', { as: 'admin', headers: { 'sec-fetch-site': 'cross-site' } })
    expectError(crossSite, 403, 'forbidden')
    const sameOrigin = await req('POST', '/api/email/rematch', { as: 'admin', headers: { 'sec-fetch-site': 'same-origin' } })
    expect(sameOrigin.status).toBe(200)
  })
})
