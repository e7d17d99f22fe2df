import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import { emailIntegrationMiddleware } from '../../adapters/express.js'
import { emailIntegrationPlugin } from '../../adapters/fastify.js'
import { createNodeHandler } from '../../adapters/node.js'
import { createEmailIntegration, type EmailIntegration, type Principal } from '../../src/index.js'
import { expressHost, fastifyHost, nodeHost, type Mount, type MountedHost } from '../helpers/adapter-hosts.js'
import { openSqlite, type TestDatabase } from '../helpers/databases.js'
import { buildMessage } from '../helpers/message.js'
import { DIRECTORY, mail, syncWorld, type SyncWorld } from '../helpers/sync/setup.js'
import { ANN, BOB } from '../helpers/team.js'

const ADMIN = { 'x-test-user': 'admin' }
const USER = { 'x-test-user': 'user' }
const JSON_TYPE = { 'content-type': 'application/json' }

/** Large enough to take many chunks and fill the socket's buffers: streaming, not buffering. */
const ATTACHMENT_BYTES = 3 * 1024 * 1024
const attachment = randomBytes(ATTACHMENT_BYTES)
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A message from a fund with one attachment, as a sender's client writes it. */
function withAttachment(filename: string, bytes: Buffer): string {
  return buildMessage({
    from: 'Dana <dana@acme.vc>',
    to: ANN,
    subject: 'The deck',
    date: new Date(Date.UTC(2026, 5, 1, 10)),
    messageId: 'deck-1@acme.vc',
    text: 'Here is the deck.',
    attachments: [{ filename, contentType: 'application/pdf', content: bytes }],
  })
}

/** Who the test's headers say is calling; every URL the core saw, for the origin checks. */
const seen: URL[] = []
function authenticate(request: Request): Promise<Principal | null> {
  seen.push(new URL(request.url))
  const who = request.headers.get('x-test-user')
  if (who === 'admin') return Promise.resolve({ userId: '1', email: ANN, isAdmin: true })
  if (who === 'user') return Promise.resolve({ userId: '2', email: BOB, isAdmin: false })
  return Promise.resolve(null)
}

let t: TestDatabase
let world: SyncWorld
let email: EmailIntegration
let attachmentId: string

beforeAll(async () => {
  t = await openSqlite()
  world = await syncWorld(t)
  world.emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN, BOB], subject: 'Fund update' }).raw)
  world.emu.addMessage(ANN, mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro' }).raw)
  world.emu.addMessage(ANN, withAttachment('deck final.pdf', attachment))
  await world.email.sync.runAll()
  email = createEmailIntegration({ db: t.db, config: world.email.config, directory: () => Promise.resolve(DIRECTORY), authenticate })
  const deck = (await email.threads.list()).items.find((th) => th.subject === 'The deck')!
  const stored = (await email.threads.get(deck.id)).emails[0]!.attachments[0]!
  expect(stored).toMatchObject({ status: 'stored', size: ATTACHMENT_BYTES, sha256: sha256(attachment) })
  attachmentId = stored.id
})

afterAll(async () => {
  await email.close()
  await world.close()
  await t.close()
})

/** A raw request (any method, any header), for what `fetch` refuses to send. */
function raw(url: string, options: { method: string; path: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${options.path}`, { method: options.method, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** The conformance suite: what every adapter must do on a real server. */
function conformance(name: string, mount: Mount): void {
  describe(name, () => {
    let host: MountedHost
    const call = (path: string, init: RequestInit = {}) => fetch(`${host.url}${path}`, init)
    const errorCode = async (res: Response) => ((await res.json()) as { error?: { code?: string } }).error?.code

    beforeAll(async () => {
      host = await mount(email)
    })
    afterAll(async () => {
      await host.close()
    })

    it("leaves the host's routes, bodies and 404s to the host", async () => {
      const ping = await call('/host/ping')
      expect(ping.status).toBe(200)
      expect(await ping.json()).toEqual({ pong: true })
      const echo = await call('/host/echo', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ hello: 'host' }) })
      expect(echo.status).toBe(200)
      expect(await echo.json()).toMatchObject({ received: { hello: 'host' } })
      const missing = await call('/api/emails/threads', { headers: USER })
      expect(missing.status).toBe(404)
      expect(await missing.text()).not.toContain('not_found')
    })

    it('answers its own routes with JSON', async () => {
      const res = await call('/api/email/threads', { headers: USER })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      const page = (await res.json()) as { items: { subject: string }[]; nextCursor: string | null }
      expect(page.items.map((th) => th.subject).sort()).toEqual(['Fund update', 'Globex intro', 'The deck'])
      expect(page.nextCursor).toBeNull()
      const filtered = await call('/api/email/threads/?identity=org%3Ao-1', { headers: USER })
      expect(((await filtered.json()) as { items: { subject: string }[] }).items.map((th) => th.subject)).toEqual(['Globex intro'])
    })

    it('reads JSON bodies, whatever the content type says and however they are sent', async () => {
      const enroll = (init: RequestInit) => call('/api/email/accounts/enroll', { method: 'POST', ...init, headers: { ...ADMIN, ...(init.headers as Record<string, string>) } })
      const body = JSON.stringify({ address: 'ann@fund.example' })
      for (const headers of [JSON_TYPE, { 'content-type': 'text/plain' }, {}]) {
        const res = await enroll({ headers, body })
        expect(res.status).toBe(200)
        expect(await res.json()).toMatchObject({ account: { address: 'ann@fund.example', status: 'active' } })
      }
      // Chunked, with no content-length: the stream is read as it arrives.
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of ['{"address":', '"bob@fund.example"}']) controller.enqueue(new TextEncoder().encode(part))
          controller.close()
        },
      })
      const res = await enroll({ headers: JSON_TYPE, body: chunked, duplex: 'half' } as RequestInit)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ account: { address: 'bob@fund.example' } })
      const missing = await enroll({ headers: JSON_TYPE, body: '{}' })
      expect(missing.status).toBe(400)
      expect(await errorCode(missing)).toBe('validation_failed')
    })

    it('answers 400 in its own shape to malformed JSON, and 401 first without credentials', async () => {
      for (const headers of [JSON_TYPE, { 'content-type': 'text/plain' }]) {
        for (const body of ['{"address":', '[1, 2]', '"ann@fund.example"']) {
          const res = await call('/api/email/accounts/enroll', { method: 'POST', headers: { ...ADMIN, ...headers }, body })
          expect(res.status, `${body} as ${headers['content-type']}`).toBe(400)
          expect(await errorCode(res)).toBe('validation_failed')
        }
      }
      const anonymous = await call('/api/email/accounts/enroll', { method: 'POST', headers: JSON_TYPE, body: '{"address":' })
      expect(anonymous.status).toBe(401)
      expect(await errorCode(anonymous)).toBe('unauthenticated')
    })

    it('answers 401 without credentials, 403 to a user on an admin route, 404 to an unknown route', async () => {
      const anonymous = await call('/api/email/threads')
      expect(anonymous.status).toBe(401)
      expect(await errorCode(anonymous)).toBe('unauthenticated')
      const user = await call('/api/email/accounts/enroll', { method: 'POST', headers: { ...USER, ...JSON_TYPE }, body: '{}' })
      expect(user.status).toBe(403)
      for (const path of ['/api/email/no/such/route', '/api/email', '/api/admin/digest/nothing']) {
        const res = await call(path, { headers: USER })
        expect(res.status, path).toBe(404)
        expect(await errorCode(res)).toBe('not_found')
      }
    })

    it('streams an attachment as a download, intact', async () => {
      const res = await call(`/api/email/attachments/${attachmentId}`, { headers: ADMIN })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="deck final\.pdf"/)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('content-type')).toBe('application/octet-stream')
      expect(res.headers.get('content-length')).toBe(String(ATTACHMENT_BYTES))
      const bytes = new Uint8Array(await res.arrayBuffer())
      expect(bytes.byteLength).toBe(ATTACHMENT_BYTES)
      expect(sha256(bytes)).toBe(sha256(attachment))
      const user = await call(`/api/email/attachments/${attachmentId}`, { headers: USER })
      expect(user.status).toBe(403)
    })

    it('survives a client that goes away in the middle of a download', async () => {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${host.url}/api/email/attachments/${attachmentId}`, { headers: ADMIN }, (res) => {
          res.once('data', () => {
            req.destroy()
            resolve()
          })
        })
        req.on('error', (error) => {
          if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error)
        })
        req.end()
      })
      const after = await call('/api/email/threads', { headers: USER })
      expect(after.status).toBe(200)
    })

    it('answers methods a WHATWG Request cannot carry, and other methods, without a 500', async () => {
      const trace = await raw(host.url, { method: 'TRACE', path: '/api/email/threads', headers: USER })
      expect(trace.status).toBe(405)
      expect(JSON.parse(trace.body)).toMatchObject({ error: { code: 'method_not_allowed' } })
      for (const method of ['OPTIONS', 'DELETE', 'PUT']) {
        const res = await raw(host.url, { method, path: '/api/email/threads', headers: USER })
        expect(res.status, method).toBe(405)
      }
      const head = await raw(host.url, { method: 'HEAD', path: '/api/email/threads', headers: USER })
      expect(head.status).toBeLessThan(500)
      expect(head.body).toBe('')
    })

    it('builds the URL from the Host it was reached on, not from X-Forwarded-Host', async () => {
      seen.length = 0
      const res = await call('/api/email/threads?limit=1', { headers: { ...USER, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } })
      expect(res.status).toBe(200)
      expect(seen.map((u) => `${u.origin}${u.pathname}${u.search}`)).toEqual([`${host.url}/api/email/threads?limit=1`])
    })
  })
}

conformance('Express 5 with express.json() before the middleware', expressHost({ jsonFirst: true }))
conformance('Express 5 without a body parser before the middleware', expressHost({ jsonFirst: false }))
conformance('Express 4 with express.json() before the middleware', expressHost({ jsonFirst: true, version: 4 }))
conformance('Express 4 without a body parser before the middleware', expressHost({ jsonFirst: false, version: 4 }))
conformance('Fastify 5 with its own JSON parser', fastifyHost)
conformance('plain node:http', nodeHost)

describe.each([4, 5] as const)("Express %i behind a proxy its 'trust proxy' setting trusts", (version) => {
  let host: MountedHost
  beforeAll(async () => {
    host = await expressHost({ jsonFirst: true, version, trustProxy: 'loopback' })(email)
  })
  afterAll(async () => {
    await host.close()
  })

  it('builds the URL from X-Forwarded-Proto and X-Forwarded-Host, port included', async () => {
    seen.length = 0
    const forwarded = { 'x-forwarded-host': 'crm.example:8443, inner.example', 'x-forwarded-proto': 'https' }
    const res = await fetch(`${host.url}/api/email/threads?limit=1`, { headers: { ...USER, ...forwarded } })
    expect(res.status).toBe(200)
    const direct = await fetch(`${host.url}/api/email/threads?limit=1`, { headers: USER })
    expect(direct.status).toBe(200)
    expect(seen.map((u) => u.href)).toEqual(['https://crm.example:8443/api/email/threads?limit=1', `${host.url}/api/email/threads?limit=1`])
  })
})

describe('mounting without an integration', () => {
  it('fails at once, naming the option, in every adapter', async () => {
    const nothing = {} as EmailIntegration
    expect(() => emailIntegrationMiddleware(nothing)).toThrow(/emailIntegrationMiddleware: email: expected the object createEmailIntegration\(\) returned/)
    expect(() => createNodeHandler(nothing)).toThrow(/createNodeHandler: email/)
    const app = Fastify()
    await expect(app.register(emailIntegrationPlugin, { integration: nothing })).rejects.toThrow(/emailIntegrationPlugin: options.integration/)
    await app.close()
  })
})
