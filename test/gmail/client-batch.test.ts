import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import type { GmailClient } from '../../src/gmail/client-types.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { createFakeTime } from '../helpers/fake-time.js'
import { CACHED_TOKEN, USER_PATH, clientFor, scriptedServer } from '../helpers/gmail-client-setup.js'
import { batchReply, googleError, readBatchRequest } from '../helpers/scripted-server.js'
import type { BatchAnswerPart, BatchCall, Reply, ScriptedServer } from '../helpers/scripted-server.js'

type PartScript = (id: string, attempt: number) => Omit<BatchAnswerPart, 'contentId'>

const ok = (id: string): Omit<BatchAnswerPart, 'contentId'> => ({ status: 200, body: { id, threadId: `t-${id}`, labelIds: ['INBOX'] } })
const fail = (status: number, reason: string, message: string): Omit<BatchAnswerPart, 'contentId'> => ({
  status,
  body: googleError(status, reason, message),
})

/** A server answering batch requests part by part (in reverse order, to test Content-ID matching). */
async function batchServer(script: PartScript): Promise<{ server: ScriptedServer; batches: BatchCall[][] }> {
  const attempts = new Map<string, number>()
  const batches: BatchCall[][] = []
  const server = await scriptedServer((req): Reply => {
    if (req.method !== 'POST' || req.path !== '/batch/gmail/v1') return { status: 404, body: googleError(404, 'notFound', 'Not Found') }
    const calls = readBatchRequest(req)
    batches.push(calls)
    const parts = calls.map((call) => {
      const id = decodeURIComponent(call.path.split('/').pop() ?? '')
      const attempt = attempts.get(id) ?? 0
      attempts.set(id, attempt + 1)
      return { contentId: call.contentId, ...script(id, attempt) }
    })
    return batchReply(parts.reverse())
  })
  return { server, batches }
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`)

describe('Gmail client: batchGetMessages', () => {
  it('sends the documented multipart/mixed request and pairs answers by Content-ID', async () => {
    const { server, batches } = await batchServer((id) => ok(id))
    const gmail = clientFor(server)
    const results = await gmail.batchGetMessages(['m1', 'm/2', 'm3'], { format: 'metadata', metadataHeaders: ['From', 'To'] })
    expect(results.map((r) => (r.ok ? r.message.id : r.error.message))).toEqual(['m1', 'm/2', 'm3'])
    expect(results.map((r) => r.id)).toEqual(['m1', 'm/2', 'm3'])

    const request = server.requests[0]!
    expect(request.headers['content-type']).toMatch(/^multipart\/mixed; boundary=batch_\w+$/)
    expect(request.headers.authorization).toBe(`Bearer ${CACHED_TOKEN}`)
    const calls = batches[0]!
    expect(calls).toHaveLength(3)
    expect(new Set(calls.map((c) => c.contentId)).size).toBe(3)
    for (const call of calls) {
      expect(call.partContentType).toBe('application/http')
      expect(call.method).toBe('GET')
      expect(call.query.get('format')).toBe('metadata')
      expect(call.query.getAll('metadataHeaders')).toEqual(['From', 'To'])
    }
    expect(calls.map((c) => c.path)).toEqual([`${USER_PATH}/messages/m1`, `${USER_PATH}/messages/m%2F2`, `${USER_PATH}/messages/m3`])
    expect(gmail.unitsSpent).toBe(60)
    expect(gmail.requests).toBe(1)
  })

  it('re-sends throttled parts in a later batch and reports a 404 part without retrying it', async () => {
    const { server, batches } = await batchServer((id, attempt) => {
      if (id === 'gone') return fail(404, 'notFound', 'Requested entity was not found.')
      if (id === 'busy' && attempt === 0) return fail(429, 'rateLimitExceeded', 'Too many concurrent requests for user')
      if (id === 'slow' && attempt === 0) return fail(403, 'userRateLimitExceeded', 'User-rate limit exceeded')
      if (id === 'flaky' && attempt === 0) return fail(503, 'backendError', 'Backend Error')
      return ok(id)
    })
    const gmail = clientFor(server)
    const results = await gmail.batchGetMessages(['a', 'busy', 'gone', 'slow', 'flaky'], { format: 'minimal' })
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ['a', true],
      ['busy', true],
      ['gone', false],
      ['slow', true],
      ['flaky', true],
    ])
    const gone = results[2]!
    expect(gone.ok ? null : gone.error).toMatchObject({ upstreamStatus: 404, reason: 'notFound', retryable: false })
    expect(batches.map((b) => b.length)).toEqual([5, 3])
    expect(batches[1]!.map((c) => c.path.split('/').pop())).toEqual(['busy', 'slow', 'flaky'])
    expect(gmail.unitsSpent).toBe(8 * 20)
    expect(gmail.retries).toBe(1)
    expect(server.requests).toHaveLength(2)
  })

  it('does not retry a part answered 403 forbidden', async () => {
    const { batches, server } = await batchServer((id) => (id === 'x' ? fail(403, 'forbidden', 'Forbidden') : ok(id)))
    const results = await clientFor(server).batchGetMessages(['x', 'y'], { format: 'raw' })
    expect(results[0]).toMatchObject({ id: 'x', ok: false, error: { upstreamStatus: 403, reason: 'forbidden' } })
    expect(results[1]).toMatchObject({ id: 'y', ok: true })
    expect(batches).toHaveLength(1)
  })

  it('splits more than 50 ids into batches of at most 50, in order', async () => {
    const { server, batches } = await batchServer((id) => ok(id))
    const gmail = clientFor(server)
    const wanted = ids(120)
    const results = await gmail.batchGetMessages(wanted, { format: 'metadata' })
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20])
    expect(results.map((r) => (r.ok ? r.message.id : null))).toEqual(wanted)
    expect(gmail.unitsSpent).toBe(120 * 20)
    expect(gmail.requests).toBe(3)
  })

  it('honours a smaller batchSize, fetches a repeated id once, and returns [] for no ids', async () => {
    const { server, batches } = await batchServer((id) => ok(id))
    const gmail: GmailClient = clientFor(server, { batchSize: 2 })
    const results = await gmail.batchGetMessages(['a', 'b', 'a', 'c'], { format: 'minimal' })
    expect(results.map((r) => r.id)).toEqual(['a', 'b', 'a', 'c'])
    expect(results.every((r) => r.ok)).toBe(true)
    expect(batches.map((b) => b.length)).toEqual([2, 1])
    await expect(gmail.batchGetMessages([], { format: 'minimal' })).resolves.toEqual([])
    await expect(gmail.batchGetMessages(['a', ''], { format: 'minimal' })).rejects.toThrow(/ids\[1\]/)
    expect(server.requests).toHaveLength(2)
  })

  it('keeps a batch within what the limiter can grant at once, so Gmail has no part to refuse', async () => {
    const time = createFakeTime()
    const { server, batches } = await batchServer((id) => ok(id))
    // The default rate at the 2026 costs (90 units/s): a bucket of 90 units pays for 4 gets of 20 at once.
    const { rateUnitsSec } = resolveConfig({})
    expect(rateUnitsSec).toBe(90)
    const limiter = createQuotaLimiter({ rateUnitsSec, clock: time.clock, sleep: time.sleep })
    const gmail = clientFor(server, { limiter, clock: time.clock })
    const results = await gmail.batchGetMessages(ids(20), { format: 'metadata' })
    expect(results.every((r) => r.ok)).toBe(true)
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4, 4, 4])
    expect(gmail.unitsSpent).toBe(20 * 20)
    // No credit was taken: each later batch waited for the units it costs.
    expect(time.sleeps.every((ms) => ms <= Math.ceil((80 * 1000) / 90))).toBe(true)
    expect(time.elapsed()).toBeGreaterThanOrEqual(Math.floor(((400 - 90) * 1000) / 90))
  })

  it("keeps a batch within a minute's budget smaller than the bucket", async () => {
    const time = createFakeTime()
    const { server, batches } = await batchServer((id) => ok(id))
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, unitsPerMinute: 60, clock: time.clock, sleep: time.sleep })
    const gmail = clientFor(server, { limiter, clock: time.clock })
    const results = await gmail.batchGetMessages(ids(6), { format: 'metadata' })
    expect(results.every((r) => r.ok)).toBe(true)
    // 60 units a minute at 20 a get: three gets a batch however large the bucket, the second a minute later.
    expect(batches.map((b) => b.length)).toEqual([3, 3])
    expect(time.elapsed()).toBe(60_000)
  })

  it('sends a part Gmail deferred for the rate limit again without spending a retry on it', async () => {
    // Gmail defers `late1` once and `late2` twice, serving the rest: every pass settles a part.
    const deferrals: Record<string, number> = { late1: 1, late2: 2 }
    const { server, batches } = await batchServer((id, attempt) =>
      attempt < (deferrals[id] ?? 0) ? fail(403, 'rateLimitExceeded', 'User-rate limit exceeded.') : ok(id),
    )
    // No retries at all: before, the first deferral failed both parts for good.
    const gmail = clientFor(server, { retryMax: 0 })
    const results = await gmail.batchGetMessages(['a', 'late1', 'b', 'late2'], { format: 'metadata' })
    expect(results.map((r) => [r.id, r.ok])).toEqual([['a', true], ['late1', true], ['b', true], ['late2', true]])
    expect(batches.map((b) => b.map((c) => c.path.split('/').pop()))).toEqual([['a', 'late1', 'b', 'late2'], ['late1', 'late2'], ['late2']])
    expect(gmail.retries).toBe(0)
  })

  it('still spends retries on rounds in which Gmail served no part at all', async () => {
    const { server, batches } = await batchServer((id, attempt) =>
      id === 'late' && attempt < 2 ? fail(403, 'rateLimitExceeded', 'User-rate limit exceeded.') : ok(id),
    )
    const results = await clientFor(server, { retryMax: 0 }).batchGetMessages(['a', 'late'], { format: 'metadata' })
    expect(results[0]).toMatchObject({ ok: true })
    expect(results[1]).toMatchObject({ ok: false, error: { upstreamStatus: 403, reason: 'rateLimitExceeded', retryable: true } })
    expect(batches.map((b) => b.length)).toEqual([2, 1])
  })

  it('reports parts still throttled after retryMax rounds with their last error', async () => {
    const { server, batches } = await batchServer((id) => (id === 'stuck' ? fail(500, 'backendError', 'Backend Error') : ok(id)))
    const results = await clientFor(server, { retryMax: 2 }).batchGetMessages(['ok', 'stuck'], { format: 'minimal' })
    expect(results[0]).toMatchObject({ ok: true })
    expect(results[1]).toMatchObject({ ok: false, error: { upstreamStatus: 500, retryable: true } })
    expect(batches.map((b) => b.length)).toEqual([2, 1, 1])
  })

  it('retries a batch request that fails as a whole, and rejects when it fails for good', async () => {
    let calls = 0
    const server = await scriptedServer((req) => {
      calls++
      if (calls === 1) return { status: 503, body: googleError(503, 'backendError', 'Backend Error') }
      if (calls === 2) return { reset: true }
      const batch = readBatchRequest(req)
      return batchReply(batch.map((c) => ({ contentId: c.contentId, ...ok(c.path.split('/').pop()!) })))
    })
    const gmail = clientFor(server)
    const results = await gmail.batchGetMessages(['a'], { format: 'raw' })
    expect(results).toMatchObject([{ id: 'a', ok: true }])
    expect(server.requests).toHaveLength(3)

    const bad = await scriptedServer(() => ({ status: 400, body: googleError(400, 'badRequest', 'Invalid batch request') }))
    await expect(clientFor(bad).batchGetMessages(['a'], { format: 'raw' })).rejects.toMatchObject({ upstreamStatus: 400, reason: 'badRequest' })
    expect(bad.requests).toHaveLength(1)
  })

  it('fails when the answer is not multipart, and pairs parts by position when no Content-ID came back', async () => {
    const notMultipart = await scriptedServer(() => ({ status: 200, body: { id: 'a' } }))
    await expect(clientFor(notMultipart).batchGetMessages(['a'], { format: 'raw' })).rejects.toMatchObject({
      reason: 'malformedResponse',
      retryable: false,
    })

    const noIds = await scriptedServer((req) => {
      const parts = readBatchRequest(req).map((c) => `--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n${JSON.stringify({ id: c.path.split('/').pop(), threadId: 't' })}\r\n`)
      return { status: 200, headers: { 'Content-Type': 'multipart/mixed; boundary=b' }, body: `${parts.join('')}--b--\r\n` }
    })
    const results = await clientFor(noIds).batchGetMessages(['a', 'b'], { format: 'minimal' })
    expect(results.map((r) => (r.ok ? r.message.id : null))).toEqual(['a', 'b'])
  })
})
