import { once } from 'node:events'
import { createServer, get, IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ownsRequest, refusedMethod, sendWebResponse, toWebRequest } from '../../adapters/node.js'

/** A Node request as the http server would hand it over; `body` undefined leaves it open. */
function incoming(options: { method?: string; url?: string; headers?: Record<string, string>; body?: string; encrypted?: boolean } = {}): IncomingMessage {
  const socket = new Socket()
  if (options.encrypted === true) Object.assign(socket, { encrypted: true })
  const req = new IncomingMessage(socket)
  req.method = options.method ?? 'GET'
  req.url = options.url ?? '/api/email/threads'
  const headers = { host: 'crm.example:8080', ...options.headers }
  req.rawHeaders = Object.entries(headers).flat()
  req.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  if (options.body !== undefined) {
    req.push(options.body)
    req.push(null)
  }
  return req
}

describe('toWebRequest: the URL', () => {
  it('takes the origin from the socket and a validated Host, never from X-Forwarded-* unless told to', () => {
    const forwarded = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }
    expect(toWebRequest(incoming({ url: '/api/email/threads?limit=2', headers: forwarded })).url).toBe('http://crm.example:8080/api/email/threads?limit=2')
    expect(toWebRequest(incoming({ encrypted: true })).url).toBe('https://crm.example:8080/api/email/threads')
    expect(toWebRequest(incoming({ headers: forwarded }), { trustProxy: true }).url).toBe('https://evil.example/api/email/threads')
    const bogus = { 'x-forwarded-host': 'a/b', 'x-forwarded-proto': 'javascript' }
    expect(toWebRequest(incoming({ headers: bogus }), { trustProxy: true }).url).toBe('http://crm.example:8080/api/email/threads')
    expect(toWebRequest(incoming({ headers: forwarded }), { baseUrl: 'https://crm.example.com/app/', trustProxy: true }).url).toBe(
      'https://crm.example.com/api/email/threads',
    )
  })

  it('refuses a Host that would change more than the host, and keeps a target a path', () => {
    for (const host of ['evil.example/api/x?', 'user@evil.example', 'a b', 'crm.example:99999', '']) {
      expect(new URL(toWebRequest(incoming({ headers: { host } })).url).host, host).toBe('localhost')
    }
    const url = new URL(toWebRequest(incoming({ url: '//evil.example/api/email/threads' })).url)
    expect([url.host, url.pathname]).toEqual(['crm.example:8080', '//evil.example/api/email/threads'])
    expect(toWebRequest(incoming({ url: 'http://proxy.example/api/email/threads?x=1' })).url).toBe('http://crm.example:8080/api/email/threads?x=1')
  })

  it('owns exactly the paths the core owns', () => {
    const owns = (url: string) => ownsRequest(incoming({ url }))
    for (const url of ['/api/email/threads', '/api/email', '/api/email/', '/api/admin/digest/preview', 'http://x.example/api/email/status']) {
      expect(owns(url), url).toBe(true)
    }
    for (const url of ['/api/emails', '/api/emailx/threads', '/api/admin', '/', '//evil.example/api/email/threads', '*']) {
      expect(owns(url), url).toBe(false)
    }
  })
})

describe('toWebRequest: the body', () => {
  it('re-serialises a body the host parsed as JSON, dropping stale length and encoding', async () => {
    const req = incoming({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '999', 'content-encoding': 'gzip' } })
    const request = toWebRequest(req, { body: { address: 'ann@fund.example', n: 'é' } })
    expect(request.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(request.headers.get('content-encoding')).toBeNull()
    const text = await request.text()
    expect(JSON.parse(text)).toEqual({ address: 'ann@fund.example', n: 'é' })
    expect(request.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))
  })

  it('passes text and bytes the host read through as they are, and an undefined body as none', async () => {
    const text = toWebRequest(incoming({ method: 'POST', headers: { 'content-type': 'text/plain' } }), { body: '{"address":' })
    expect([text.headers.get('content-type'), await text.text()]).toEqual(['text/plain', '{"address":'])
    const bytes = toWebRequest(incoming({ method: 'POST', headers: { 'content-type': 'application/json' } }), { body: Buffer.from('{"a":1}') })
    expect([bytes.headers.get('content-type'), await bytes.text()]).toEqual(['application/json', '{"a":1}'])
    expect(await toWebRequest(incoming({ method: 'POST' }), { body: undefined }).text()).toBe('')
  })

  it('reads the stream only when the core reads the body', async () => {
    const req = incoming({ method: 'POST', body: '{"address":"ann@fund.example"}' })
    const request = toWebRequest(req)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(req.readableFlowing).toBeNull()
    expect(req.readableLength).toBeGreaterThan(0)
    expect(await request.json()).toEqual({ address: 'ann@fund.example' })
    expect(req.readableEnded).toBe(true)
  })

  it('refuses the methods a WHATWG Request cannot carry, with an answer for the adapters', async () => {
    expect(() => toWebRequest(incoming({ method: 'TRACE' }))).toThrow(TypeError)
    const refused = refusedMethod('trace')
    expect(refused?.status).toBe(405)
    expect(await refused?.json()).toMatchObject({ error: { code: 'method_not_allowed' } })
    expect(refusedMethod('GET')).toBeNull()
  })
})

describe('sendWebResponse', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    server?.close()
    if (server !== undefined) await once(server, 'close')
    server = undefined
  })

  async function serve(respond: () => Response): Promise<string> {
    server = createServer((_req, res) => {
      void sendWebResponse(res, respond())
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  }

  it('writes the status, each Set-Cookie apart, and the body', async () => {
    const url = await serve(() => {
      const headers = new Headers({ 'content-type': 'text/plain', 'x-one': '1' })
      headers.append('set-cookie', 'a=1; HttpOnly')
      headers.append('set-cookie', 'b=2, c; Path=/')
      return new Response('hello', { status: 201, headers })
    })
    const res = await fetch(url)
    expect(res.status).toBe(201)
    expect(res.headers.getSetCookie()).toEqual(['a=1; HttpOnly', 'b=2, c; Path=/'])
    expect(res.headers.get('x-one')).toBe('1')
    expect(await res.text()).toBe('hello')
  })

  it('pulls the body only as fast as the client reads, and cancels it when the client goes away', async () => {
    const CHUNK = 64 * 1024
    let pulled = 0
    let cancelled = false
    const url = await serve(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulled += 1
              controller.enqueue(new Uint8Array(CHUNK))
            },
            cancel() {
              cancelled = true
            },
          }),
        ),
    )
    const req = get(url)
    const [res] = (await once(req, 'response')) as [IncomingMessage]
    res.pause()
    await new Promise((resolve) => setTimeout(resolve, 200))
    // An endless body: only what the socket buffers was pulled, not megabytes more.
    expect(pulled * CHUNK).toBeLessThan(16 * 1024 * 1024)
    const before = pulled
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(pulled).toBe(before)
    req.destroy()
    await expect.poll(() => cancelled, { timeout: 2000 }).toBe(true)
  })
})
