import { request as httpRequest, Agent } from 'node:http'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmailDatabase, RouteInfo } from '../../src/index.js'
import { ErrorCodes } from '../../src/errors.js'
import { nodeHost, type MountedHost } from '../helpers/adapter-hosts.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { openSqlite, type TestDatabase } from '../helpers/databases.js'
import { leaksIn, routerIntegration, schedulerIdle, type RouterIntegration } from '../helpers/http.js'
import { pick, seededRandom, type Rng } from '../helpers/mail-mutations.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

// Hostile input over a real HTTP server (node:http with the node adapter) in front of mail
// captured into SQLite: no answer is ever a 500, and every refusal says why. The routes come
// from the router's own table, so a route added later is fuzzed without touching this file.

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const FUZZ_SEED = 20261202
/** Requests per route of the table: each route is reached often enough whatever the table's size. */
const FUZZ_PER_ROUTE = 100
/** How long the seeded run may take: its requests are answered one after another over one socket, slow on a busy machine. */
const FUZZ_TIMEOUT_MS = 180_000
/** The longest query string sent: with the path, under the 16 KiB Node reads of a request's head. */
const MAX_QUERY_BYTES = 12_000

/** Attachment names a sender may choose, the ones that once broke downloads among them. */
const HOSTILE_NAMES = [
  `${'a'.repeat(199)}😀.pdf`,
  'invoice\u202Egnp.exe',
  '\u2066report\u2069\u200F.pdf',
  '../../etc/passwd',
  '..\\..\\boot.ini',
  'evil".pdf\r\nSet-Cookie: x=1',
  'bell\u0007\u001b[2J.txt',
  'résumé 👩🏽‍💻.pdf',
  `${'q\u0301'.repeat(150)}.doc`,
  '%E0%A4%A and %ZZ.txt',
  'a;b,c=d (1)*.csv',
  '..',
]

/** An answer as the client saw it. */
interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly text: string
}

/** What one request carries. */
interface Shot {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: Buffer
}

/** Percent-encodes the UTF-8 bytes of a text, leaving unreserved characters as they are. */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')
}

/**
 * URL fragments that are not valid percent-encoding, or not UTF-8 once decoded (a lone lead
 * byte, an overlong form, a surrogate, past U+10FFFF). Raw bytes above 0x7F are not among them:
 * Node's parser answers those 400 itself, before any handler, and a WHATWG `Request` never
 * carries them (its URL percent-encodes them).
 */
const BROKEN_URL_TEXT = ['%', '%%', '%Z', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF%FE', '%F4%90%80%80', '%C3', '%00', '%0D%0A', '%2e%2e', '%2F', '%5C']

/** Values of every kind a parameter or a field may be sent. */
function hostileText(rng: Rng, known: readonly string[]): string {
  const choices: (() => string)[] = [
    () => pick(rng, known),
    () => '',
    () => ' ',
    () => pick(rng, ['0', '-1', '1.5', '1e3', '1e309', 'NaN', 'Infinity', '-Infinity', '2147483648', '99999999999999999999', '0x10', '007', '+1', '1 ', '١']),
    () => pick(rng, ['2026-13-01', '2026-00-10', '2026-02-30', '2026-06-01T24:00Z', '2026-06-01T10:00', '9999-12-31', '0000-01-01', '+275760-09-13', '2026-06-01T10:00:00.0000000001Z', '1780272000000']),
    () => pick(rng, ['fund:7', 'org:o-1', 'contact:c-1', 'addr:dana@acme.vc', 'grid:1', 'addr:', ':', 'fund:', '7', '__proto__', 'constructor', 'prototype', 'toString']),
    () => pick(rng, ['true', 'false', 'null', 'undefined', '[]', '{}', '{"toString":1}', '[object Object]']),
    () => pick(rng, ['\u202Egnp.exe', '\u2066x\u2069', '\u200E\u200F\u061C', '\u0000', '\u0007', '\r\n', '\t', '\u2028', '\uFEFF', '😀', '🇩🇪', 'e\u0301', '\uD800', '\uDFFF', '\uFFFF']),
    () => pick(rng, ["'; drop table emails; --", '" OR 1=1 --', 'zebra*', 'NEAR(a b)', '"unclosed', 'a AND b', '*', '-x', 'col:x', '^x']),
    () => 'x'.repeat(pick(rng, [100, 501, 1000, 3000])),
    () => 'ab '.repeat(30),
    () => `${pick(rng, known)}${pick(rng, ['\u0000', '\u202E', '😀', '%', ' x', '.', '..'])}`,
  ]
  return pick(rng, choices)()
}

/** A query string fragment `name=value`, percent-encoded, sometimes with broken encoding spliced in. */
function pair(rng: Rng, name: string, value: string): string {
  const raw = rng() < 0.15 ? pick(rng, BROKEN_URL_TEXT) : ''
  return rng() < 0.5 ? `${encode(name)}=${encode(value)}${raw}` : `${encode(name)}${raw}=${raw}${encode(value)}`
}

/** A JSON value of an unexpected shape for a body field. */
function hostileJson(rng: Rng, known: readonly string[]): string {
  const choices: (() => string)[] = [
    () => JSON.stringify(hostileText(rng, known)),
    () => pick(rng, ['0', '-1', '1.5', '1e999', '-1e999', '2147483648', '9007199254740993', '24', '720', '721', 'true', 'false', 'null']),
    () => pick(rng, ['[]', '[1]', '["x"]', '[null]', '[[[]]]', `[${'"a@fund.example",'.repeat(1100)}"b@fund.example"]`]),
    () => pick(rng, ['{}', '{"toString":1}', '{"valueOf":1,"toString":null}', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"length":1e9}']),
    () => JSON.stringify(pick(rng, known)),
  ]
  return pick(rng, choices)()
}

/** Bodies that are not a JSON object, or not JSON at all. */
const BROKEN_BODIES: readonly (string | Buffer)[] = [
  '', ' ', '{', '{"a":', '}', '[]', '[{}]', 'null', '"x"', '1', 'NaN', 'Infinity', '{"a":NaN}', "{'a':1}", '{"a":1,}', '{"a":1}{"b":2}',
  '\u0000', 'x'.repeat(70_000), `{"since":"${'1'.repeat(70_000)}"}`, Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  Buffer.from('{"hours":24}', 'utf16le'), Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), 'a=1&b=2', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
]

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/xml', '', '*/*', 'application/json\u00ff',
]

/** Fills a route's pattern: `:name` segments get ids that exist, ids that do not, and junk. */
function fillPattern(rng: Rng, pattern: string, realIds: readonly string[]): string {
  return pattern
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment
      if (rng() < 0.3) return pick(rng, realIds)
      if (rng() < 0.2) return pick(rng, BROKEN_URL_TEXT)
      return encode(hostileText(rng, realIds).slice(0, 3000)) || '0'
    })
    .join('/')
}

/** Builds one hostile request for a route of the table (method, path, query, headers, body). */
function shotFor(rng: Rng, route: RouteInfo, realIds: readonly string[]): { shot: Shot; unknown: boolean; again: boolean; as: 'admin' | 'user' | 'anon'; crossSite: boolean } {
  const query: { text: string; kind: 'known' | 'again' | 'unknown'; name?: string }[] = []
  for (const name of route.query) {
    if (rng() < 0.5) query.push({ text: pair(rng, name, hostileText(rng, realIds).slice(0, 4000)), kind: 'known', name })
    if (rng() < 0.04) query.push({ text: pair(rng, name, pick(rng, realIds)), kind: 'again', name })
  }
  if (rng() < 0.15) {
    const name = pick(rng, ['zebra', 'q', 'id', 'limit', 'cursor', 'identity[]', '__proto__', 'constructor', 'x'.repeat(300), 'from ', 'FROM', 'mode', '\u202Eq', ''])
    query.push({ text: pair(rng, route.query.includes(name) ? `${name}_` : name, hostileText(rng, realIds).slice(0, 200)), kind: 'unknown' })
  }
  if (rng() < 0.05) query.push({ text: pick(rng, ['a=b=c', '%', '?', '=', '==']), kind: 'unknown' })
  if (rng() < 0.05) query.push({ text: pick(rng, ['&', '&&']), kind: 'known' })
  const roll = rng()
  const method = roll < 0.85 ? route.method : pick(rng, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])
  const as = rng() < 0.8 ? 'admin' : rng() < 0.5 ? 'user' : 'anon'
  const crossSite = rng() < 0.03
  const headers: Record<string, string> = {}
  if (as !== 'anon') headers['x-test-user'] = as === 'admin' ? ANN : BOB
  if (as === 'admin') headers['x-test-admin'] = '1'
  if (crossSite) headers['sec-fetch-site'] = 'cross-site'
  let body: Buffer | undefined
  if (method !== 'GET' && method !== 'HEAD' && rng() < 0.9) {
    if (route.fields.length > 0 && rng() < 0.7) {
      const entries = route.fields.filter(() => rng() < 0.8).map((field) => `${JSON.stringify(field)}:${hostileJson(rng, realIds)}`)
      if (rng() < 0.2) entries.push(`${JSON.stringify(pick(rng, ['__proto__', 'constructor', 'extra', route.fields[0] ?? 'x']))}:${hostileJson(rng, realIds)}`)
      body = Buffer.from(`{${entries.join(',')}}`)
    } else {
      const broken = pick(rng, BROKEN_BODIES)
      body = typeof broken === 'string' ? Buffer.from(broken) : broken
    }
    const type = pick(rng, CONTENT_TYPES)
    if (type !== '') headers['content-type'] = type
  }
  // Node's HTTP parser refuses a request line past 16 KiB before any route sees it: stay within.
  const fitting = query.filter((_, i) => query.slice(0, i + 1).reduce((sum, p) => sum + p.text.length + 1, 0) <= MAX_QUERY_BYTES)
  const search = fitting.length === 0 ? '' : `?${fitting.map((p) => p.text).join('&')}`
  const unknown = fitting.some((p) => p.kind === 'unknown')
  // A name sent twice is refused (when both copies fit).
  const again = fitting.some((p) => p.kind === 'again' && fitting.some((q) => q.kind === 'known' && q.name === p.name))
  const path = `${fillPattern(rng, route.pattern, realIds)}${rng() < 0.05 ? '/' : ''}${search}`
  return { shot: { method, path, headers, ...(body === undefined ? {} : { body }) }, unknown, again, as, crossSite }
}

describe('hostile HTTP input on a real server, over mail captured into SQLite', () => {
  let t: TestDatabase
  let w: SyncWorld
  let r: RouterIntegration
  let host: MountedHost
  let port = 0
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const attachments = new Map<string, string>()
  const realIds: string[] = []

  const db = () => t.db as unknown as Kysely<EmailDatabase>

  /** Sends one request over the keep-alive socket and reads the whole answer. */
  const send = (shot: Shot): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const headers = { ...shot.headers, ...(shot.body === undefined ? {} : { 'content-length': String(shot.body.length) }) }
      const req = httpRequest({ host: '127.0.0.1', port, method: shot.method, path: shot.path, headers, agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(shot.body)
    })
  const get = (path: string) => send({ method: 'GET', path, headers: { 'x-test-user': ANN, 'x-test-admin': '1' } })
  const post = (path: string, body: string) =>
    send({ method: 'POST', path, headers: { 'x-test-user': ANN, 'x-test-admin': '1', 'content-type': 'application/json' }, body: Buffer.from(body) })

  /** The error body of a refusal: exactly `{ error: { code, message } }`, with a message that says something. */
  const refusalOf = (reply: Reply, where: string): { code: string; message: string } => {
    expect(String(reply.headers['content-type']), `${where} answered ${reply.status} ${reply.text.slice(0, 200)}`).toMatch(/^application\/json/)
    const body = JSON.parse(reply.text) as { error?: { code?: unknown; message?: unknown } }
    expect(Object.keys(body), where).toEqual(['error'])
    const { code, message } = body.error ?? {}
    expect(typeof message === 'string' && message.trim().length >= 5, where).toBe(true)
    // The taxonomy's codes, with their statuses; the router's own 405 names the methods to use.
    if (reply.status === 405) expect(code, where).toBe('method_not_allowed')
    else expect(typeof code === 'string' && code in ErrorCodes && ErrorCodes[code as keyof typeof ErrorCodes] === reply.status, where).toBe(true)
    return { code: code as string, message: message as string }
  }

  beforeAll(async () => {
    t = await openSqlite()
    w = await syncWorld(t)
    const files = HOSTILE_NAMES.map((name, i) => ({ name, bytes: Buffer.from(`file ${i}: ${name}`) }))
    const date = new Date(Date.UTC(2026, 5, 3, 9))
    const raw = mailWithAttachments({ to: ANN, messageId: 'files-1@acme.vc', date, subject: 'Files with odd names', text: 'The files, as promised.', names: 'rfc2231', files })
    w.emu.addMessage(ANN, raw)
    w.emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Term sheet', date: new Date(Date.UTC(2026, 5, 1, 9)), body: 'The zebra clause.' }).raw)
    w.emu.addMessage(BOB, mail({ from: 'ceo@globex.example', to: [BOB], subject: 'Globex intro', date: new Date(Date.UTC(2026, 5, 2, 9)), body: 'Hello.' }).raw)
    w.emu.addMessage(BOB, mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Coffee', date: new Date(Date.UTC(2026, 5, 4, 9)) }).raw)
    await w.email.sync.runAll()
    r = routerIntegration(t, w)
    host = await nodeHost(r.email)
    port = Number(new URL(host.url).port)
    for (const row of await db().selectFrom('email_attachments').select(['id', 'filename']).execute()) attachments.set(row.filename, String(row.id))
    const emails = await db().selectFrom('emails').select(['id', 'thread_id']).execute()
    realIds.push(...attachments.values(), ...emails.map((e) => String(e.id)), ...emails.map((e) => String(e.thread_id)))
  })

  afterAll(async () => {
    await host.close()
    agent.destroy()
    await schedulerIdle(r.email)
    await r.email.close()
    await w.close()
    await t.close()
  })

  it('captured every hostile attachment name, the ones that broke downloads as sent', () => {
    expect(attachments.size).toBe(HOSTILE_NAMES.length)
    for (const name of HOSTILE_NAMES.slice(0, 3)) expect(attachments.has(name), JSON.stringify(name)).toBe(true)
  })

  it('downloads each of them under a name that is whole, safe, and shows what it is', async () => {
    for (const [name, id] of attachments) {
      const reply = await get(`/api/email/attachments/${id}`)
      expect(reply.status, JSON.stringify(name)).toBe(200)
      expect(reply.text).toContain('file ')
      const header = String(reply.headers['content-disposition'])
      const match = /^attachment; filename="([\x20\x21\x23-\x7e]+)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(header)
      expect(match, header).not.toBeNull()
      const utf8 = decodeURIComponent(match?.[2] ?? '')
      expect(utf8).not.toMatch(/[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C"/\\]/u)
      expect(Buffer.byteLength(utf8)).toBeLessThanOrEqual(200)
    }
    const emoji = await get(`/api/email/attachments/${attachments.get(HOSTILE_NAMES[0] ?? '') ?? ''}`)
    expect(emoji.headers['content-disposition']).toBe(`attachment; filename="${'a'.repeat(196)}.pdf"; filename*=UTF-8''${'a'.repeat(196)}.pdf`)
    const bidi = await get(`/api/email/attachments/${attachments.get('invoice\u202Egnp.exe') ?? ''}`)
    expect(bidi.headers['content-disposition']).toBe(`attachment; filename="invoicegnp.exe"; filename*=UTF-8''invoicegnp.exe`)
  })

  it('answers the measured failures with 400 and the reason', async () => {
    const cases: [Promise<Reply>, RegExp][] = [
      [post('/api/admin/digest/preview', '{"since":"2026-13-01"}'), /^since: expected a date/],
      [post('/api/admin/digest/preview', '{"since":"2026-00-10"}'), /^since: expected a date/],
      [post('/api/admin/digest/preview', '{"since":"2026-02-30"}'), /^since: expected a date/],
      [post('/api/admin/digest/preview', '{"hours":{"toString":1}}'), /^hours: expected an integer/],
      [post('/api/admin/digest/preview', '{"hours":1e999}'), /^hours: expected an integer/],
      [post('/api/admin/digest/preview', '{"hours":721}'), /^hours: expected an integer from 1 to 720/],
      [post('/api/admin/digest/send', '{"since":["2026-06-01"]}'), /^since: expected a date/],
      [get('/api/email/threads?from=2026-06-03&to=2026-06-02'), /^from: must be before to$/],
      [get('/api/email/threads?from=2026-06-03&to=2026-06-03T00:00Z'), /^from: must be before to$/],
      [get('/api/email/identities?from=2026-06-05&to=2026-06-01'), /^from: must be before to$/],
      [get('/api/email/threads?to=2026-02-30T10:00Z'), /^to: expected a date/],
      [get('/api/email/search?q=zebra&mode=vector'), /^mode: expected one of keyword, semantic, hybrid, got "vector"$/],
      [get('/api/email/search?q=zebra&mode=Hybrid'), /^mode: expected one of keyword, semantic, hybrid/],
      [get(`/api/email/search?q=zebra&mode=${encode('keyword\u0000')}`), /^mode: expected one of keyword, semantic, hybrid/],
    ]
    for (const [pending, message] of cases) {
      const reply = await pending
      expect(reply.status, reply.text).toBe(400)
      expect(refusalOf(reply, reply.text).message).toMatch(message)
    }
    // Semantic search on an integration without vectors is a service that is not there (503), never a 500.
    const logged = r.errors.length
    const semantic = await get('/api/email/search?q=zebra&mode=semantic')
    expect(semantic.status, semantic.text).toBe(503)
    expect(refusalOf(semantic, semantic.text)).toEqual({ code: 'backend_unavailable', message: 'semantic search is not configured (CRM_GMAIL_EMBEDDINGS_URL)' })
    // The router logs every 5xx; this one is expected, and the hostile run below must log none.
    expect(r.errors.splice(logged).map((e) => e.fields?.code)).toEqual(['backend_unavailable'])
    const hybrid = await get('/api/email/search?q=zebra&mode=hybrid')
    expect(hybrid.status, hybrid.text).toBe(200)
    expect(JSON.parse(hybrid.text)).toMatchObject({ mode: 'hybrid', degraded: true, reason: 'semantic search is not configured' })
    const zebra = await get('/api/email/threads?zebra=1')
    expect(zebra.status).toBe(400)
    expect(JSON.parse(zebra.text)).toEqual({ error: { code: 'validation_failed', message: 'unknown query parameter: zebra' } })
  })

  it('refuses on every route of the table a query parameter it does not read, naming it, and takes every one it does', async () => {
    expect(r.email.routes.length).toBeGreaterThanOrEqual(15)
    for (const route of r.email.routes) {
      const path = route.pattern.replace(/:\w+/g, attachments.get('../../etc/passwd') ?? '1')
      const call = (query: string) =>
        send({ method: route.method, path: `${path}?${query}`, headers: { 'x-test-user': ANN, 'x-test-admin': '1', ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(route.method === 'POST' ? { body: Buffer.from('{}') } : {}) })
      for (const name of ['zebra', 'Q', 'limit ', '__proto__']) {
        if (route.query.includes(name)) continue
        const reply = await call(`${encode(name)}=1`)
        expect(reply.status, `${route.method} ${route.pattern} ${name}`).toBe(400)
        expect(refusalOf(reply, route.pattern).message).toBe(`unknown query parameter: ${name === 'limit ' ? '"limit "' : name}`)
      }
      // A parameter the route reads is never refused as unknown (it may still be a bad value).
      for (const name of route.query) {
        const reply = await call(`${encode(name)}=1`)
        expect(reply.text, `${route.method} ${route.pattern} ${name}`).not.toMatch(/unknown query parameter/)
      }
    }
  })

  it(`never answers 500 to ${FUZZ_PER_ROUTE} seeded hostile requests per route, over every route, parameter and body field`, async () => {
    const rng = seededRandom(FUZZ_SEED)
    const routes = r.email.routes
    const reached = new Map<string, number>(routes.map((route) => [`${route.method} ${route.pattern}`, 0]))
    const fuzzedNames = new Map<string, number>()
    const statuses = new Map<number, number>()
    for (let i = 0; i < FUZZ_PER_ROUTE * routes.length; i++) {
      const route = routes[i % routes.length]!
      const { shot, unknown, again, as, crossSite } = shotFor(rng, route, realIds)
      for (const name of [...route.query, ...route.fields]) if (shot.path.includes(`${encode(name)}=`) || shot.body?.includes(JSON.stringify(name))) fuzzedNames.set(`${route.pattern} ${name}`, (fuzzedNames.get(`${route.pattern} ${name}`) ?? 0) + 1)
      const where = `#${i} ${shot.method} ${shot.path.slice(0, 300)} as ${as} body ${shot.body?.subarray(0, 200).toString('utf8') ?? '-'}`
      const reply = await send(shot)
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
      expect(reply.status, where).toBeLessThan(500)
      expect(leaksIn(reply.text), where).toEqual([])
      if (shot.method === 'HEAD') continue
      const own = !reply.text.includes('host: no such page')
      if (reply.status >= 400 && own) refusalOf(reply, where)
      if (!own) continue
      if (as === 'anon') expect(reply.status, where).toBe(401)
      const handled = reply.status !== 401 && reply.status !== 403 && reply.status !== 404 && reply.status !== 405
      if (handled && shot.method === route.method) {
        reached.set(`${route.method} ${route.pattern}`, (reached.get(`${route.method} ${route.pattern}`) ?? 0) + 1)
        // An unknown parameter is refused before anything else is read; a repeated known one is refused too.
        if (unknown) expect(JSON.parse(reply.text), where).toEqual({ error: { code: 'validation_failed', message: expect.stringMatching(/^unknown query parameter: /) as unknown } })
        else if (again) expect(reply.status, where).toBe(400)
      }
      if (crossSite && shot.method === 'POST' && as !== 'anon' && reply.status !== 404 && reply.status !== 405) expect(reply.status, where).toBe(403)
    }
    // Every route of the table was reached past routing and access, many times, with each of its parameters and fields.
    for (const [route, count] of reached) expect(count, route).toBeGreaterThanOrEqual(40)
    for (const route of routes) for (const name of [...route.query, ...route.fields]) expect(fuzzedNames.get(`${route.pattern} ${name}`) ?? 0, `${route.pattern} ${name}`).toBeGreaterThanOrEqual(10)
    expect(statuses.get(200) ?? 0).toBeGreaterThan(100)
    expect(statuses.get(400) ?? 0).toBeGreaterThan(500)
    await schedulerIdle(r.email)
    expect(r.errors.filter((e) => JSON.stringify(e).includes('email route failed'))).toEqual([])
  }, FUZZ_TIMEOUT_MS)
})
