import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DisabledError } from '../../src/errors.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/index.js'
import { createEmbeddingsClient, MAX_EMBEDDING_INPUT_CHARS } from '../../src/vectors/embeddings.js'

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0)

/** Everything an error says, its causes included. */
function allMessages(error: unknown): string {
  const parts: string[] = []
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, String(e.stack))
  return parts.join('\n')
}

async function failure(promise: Promise<unknown>): Promise<DisabledError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DisabledError)
  expect(error).toMatchObject({ code: 'backend_unavailable', status: 503 })
  return error as DisabledError
}

/** A server answering every request with `body` (status 200), counting requests. */
async function answering(body: unknown): Promise<{ url: string; requests: () => number; lastBody: () => string; server: Server }> {
  let requests = 0
  let lastBody = ''
  const server = createServer((req, res) => {
    requests++
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      lastBody = Buffer.concat(parts).toString('utf8')
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => requests, lastBody: () => lastBody, server }
}

describe('embeddings client', () => {
  let standin: EmbeddingsStandin
  beforeEach(async () => {
    standin = await startEmbeddingsStandin({ dimension: 32 })
  })
  afterEach(async () => {
    await standin.close()
  })

  it('embeds in batches, in input order, normalized, with shared words near', async () => {
    const client = createEmbeddingsClient({ url: standin.url, model: 'm' }, { batchSize: 2 })
    const texts = ['capital call notice', 'term sheet for Acme', 'quarterly report', 'Capital call, second notice', 'lunch']
    const vectors = await client.embed(texts)
    expect(standin.calls).toBe(3)
    expect(standin.inputs).toBe(5)
    expect(vectors).toHaveLength(5)
    // The stand-in answers each batch reversed: the client must order by index.
    for (const [i, text] of texts.entries()) {
      const [alone] = await client.embed([text])
      expect(Array.from(vectors[i]!)).toEqual(Array.from(alone!))
    }
    for (const v of vectors) expect(dot(v, v)).toBeCloseTo(1, 5)
    expect(dot(vectors[0]!, vectors[3]!)).toBeGreaterThan(dot(vectors[0]!, vectors[4]!))
    expect(await client.embed([])).toEqual([])
  })

  it('retries a 429 after its Retry-After, and 5xx with backoff', async () => {
    const client = createEmbeddingsClient({ url: standin.url, model: 'm' }, { backoffMs: 1 })
    standin.setDown(429, 1)
    const started = Date.now()
    expect(await client.embed(['hello'])).toHaveLength(1)
    expect(standin.calls).toBe(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    standin.setDown(true, 2)
    expect(await client.embed(['hello'])).toHaveLength(1)
    expect(standin.calls).toBe(5)
  })

  it('gives up after its retries with backend_unavailable', async () => {
    const client = createEmbeddingsClient({ url: standin.url, model: 'm' }, { backoffMs: 1, retries: 2 })
    standin.setDown(true)
    const error = await failure(client.embed(['hello']))
    expect(error.message).toMatch(/answered 503/)
    expect(standin.calls).toBe(3)
    await failure(client.embed(['hello'], { retries: 0 }))
    expect(standin.calls).toBe(4)
  })

  it('does not retry a 400 or a malformed answer', async () => {
    const client = createEmbeddingsClient({ url: standin.url, model: 'm' }, { backoffMs: 1 })
    expect((await failure(client.embed(['ok', '']))).message).toMatch(/answered 400/)
    expect(standin.calls).toBe(1)
    standin.setDown('malformed')
    await failure(client.embed(['hello']))
    expect(standin.calls).toBe(2)
  })

  it('times out a slow endpoint and retries it', async () => {
    const client = createEmbeddingsClient({ url: standin.url, model: 'm' }, { backoffMs: 1, timeoutMs: 200, retries: 1 })
    standin.setDown('slow')
    expect((await failure(client.embed(['hello']))).message).toMatch(/did not answer within 200 ms/)
    expect(standin.calls).toBe(2)
  })

  it('stops when the caller aborts, without waiting for the timeout', async () => {
    const client = createEmbeddingsClient({ url: standin.url, model: 'm' })
    standin.setDown('slow')
    const controller = new AbortController()
    const pending = client.embed(['hello'], { signal: controller.signal })
    // Aborted once the request is in the server's hands, however slow the machine is.
    while (standin.calls < 1) await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort()
    expect((await failure(pending)).message).toMatch(/cancelled/)
    expect(standin.calls).toBe(1)
  })

  it('an unreachable endpoint is backend_unavailable', async () => {
    const url = standin.url
    const closed = standin
    // The replacement is started first, so it cannot be given the closed one's port.
    standin = await startEmbeddingsStandin()
    await closed.close()
    const client = createEmbeddingsClient({ url, model: 'm' }, { backoffMs: 1, retries: 1 })
    expect((await failure(client.embed(['hello']))).message).toMatch(/not reachable/)
  })

  it('sends credentials in the URL as a header and never shows them in an error', async () => {
    const base = standin.url.replace('http://', 'http://ann:hunter2-secret@')
    const client = createEmbeddingsClient({ url: `${base}?api_key=sk-abcdef123456`, model: 'm' }, { backoffMs: 1, retries: 0 })
    expect(await client.embed(['hello'])).toHaveLength(1)
    expect(standin.lastAuthorization).toBe(`Basic ${Buffer.from('ann:hunter2-secret').toString('base64')}`)
    for (const down of [true, 'malformed', 'slow'] as const) {
      standin.setDown(down)
      const slow = createEmbeddingsClient({ url: `${base}?api_key=sk-abcdef123456`, model: 'm' }, { retries: 0, timeoutMs: 100 })
      const text = allMessages(await failure(slow.embed(['hello'])))
      expect(text).not.toMatch(/hunter2|sk-abcdef/)
    }
    await standin.close()
    const gone = createEmbeddingsClient({ url: `${base}?api_key=sk-abcdef123456`, model: 'm' }, { retries: 0 })
    expect(allMessages(await failure(gone.embed(['hello'])))).not.toMatch(/hunter2|sk-abcdef/)
    standin = await startEmbeddingsStandin()
  })

  it('refuses answers with the wrong count, bad numbers, repeated indexes or mixed dimensions', async () => {
    const bad = [
      { data: [{ index: 0, embedding: [1, 0] }] },
      { data: [{ index: 0, embedding: [1, 0] }, { index: 1, embedding: [1, 'x'] }] },
      { data: [{ index: 0, embedding: [1, 0] }, { index: 1, embedding: [0, 0] }] },
      { data: [{ index: 0, embedding: [1, 0] }, { index: 0, embedding: [0, 1] }] },
      { data: [{ index: 0, embedding: [1, 0] }, { index: 1, embedding: [0, 1, 0] }] },
      { data: [{ index: 0, embedding: [1, 0] }, { index: 2, embedding: [0, 1] }] },
    ]
    for (const body of bad) {
      const server = await answering(body)
      try {
        await failure(createEmbeddingsClient({ url: server.url, model: 'm' }, { backoffMs: 1 }).embed(['a', 'b']))
        expect(server.requests()).toBe(1)
      } finally {
        server.server.closeAllConnections()
        server.server.close()
      }
    }
  })

  it('caps each text it sends, and sends the model', async () => {
    const server = await answering({ data: [{ index: 0, embedding: [3, 4] }] })
    try {
      const [vector] = await createEmbeddingsClient({ url: server.url, model: 'bge' }).embed(['word '.repeat(10_000)])
      expect(Array.from(vector!)).toEqual([Math.fround(0.6), Math.fround(0.8)])
      const sent = JSON.parse(server.lastBody()) as { model: string; input: string[] }
      expect(sent.model).toBe('bge')
      expect(sent.input[0]).toHaveLength(MAX_EMBEDDING_INPUT_CHARS)
    } finally {
      server.server.closeAllConnections()
      server.server.close()
    }
  })

  it('rejects options that would switch a limit off', () => {
    expect(() => createEmbeddingsClient({ url: standin.url, model: 'm' }, { batchSize: 0 })).toThrow(/batchSize/)
    expect(() => createEmbeddingsClient({ url: standin.url, model: 'm' }, { timeoutMs: Number.NaN })).toThrow(/timeoutMs/)
  })
})
