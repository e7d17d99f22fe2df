import { describe, expect, it, vi } from 'vitest'
import { QUOTA_COSTS_LEGACY } from '../../src/config/index.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { createFakeTime, createManualTime } from '../helpers/fake-time.js'
import { clientFor, scriptedServer } from '../helpers/gmail-client-setup.js'
import { batchReply, errorReply, googleError, readBatchRequest } from '../helpers/scripted-server.js'

const message = (id: string): { status: number; body: unknown } => ({ status: 200, body: { id, threadId: 't' } })
const iso = (time: { clock: { now(): Date } }, plusMs: number): string => new Date(time.clock.now().getTime() + plusMs).toISOString()

describe('Gmail client: quota', () => {
  it('never has more requests in flight than the cap, across clients sharing the limiter', async () => {
    const server = await scriptedServer((req) => ({ ...message(req.path.split('/').pop()!), delayMs: 10 }))
    const limiter = createQuotaLimiter({ rateUnitsSec: 1_000_000, maxInFlight: 4 })
    const a = clientFor(server, { limiter })
    const b = clientFor(server, { limiter })
    const calls = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).getMessage(`m${i}`, { format: 'minimal' }))
    const results = await Promise.all(calls)
    expect(results).toHaveLength(24)
    expect(server.maxConcurrent).toBeLessThanOrEqual(4)
    expect(server.maxConcurrent).toBeGreaterThan(1)
    expect(limiter.inFlight).toBe(0)
  })

  it('makes a burst wait for the bucket to refill (on an injected clock)', async () => {
    const time = createFakeTime()
    const arrivals: number[] = []
    const server = await scriptedServer((req) => {
      arrivals.push(time.elapsed())
      return message(req.path.split('/').pop()!)
    })
    // 100 units per second, messages.get costs 20: five at once, then one every 200 ms.
    const limiter = createQuotaLimiter({ rateUnitsSec: 100, clock: time.clock, sleep: time.sleep })
    const gmail = clientFor(server, { limiter, clock: time.clock })
    await Promise.all(Array.from({ length: 10 }, (_, i) => gmail.getMessage(`m${i}`, { format: 'minimal' })))
    const sorted = [...arrivals].sort((x, y) => x - y)
    const floors = [0, 0, 0, 0, 0, 200, 400, 600, 800, 1000]
    for (const [i, at] of sorted.entries()) expect(at).toBeGreaterThanOrEqual(floors[i]!)
    // Five calls fit the full bucket; each of the other five waited 200 ms for its 20 units.
    expect(time.sleeps).toEqual([200, 200, 200, 200, 200])
    expect(time.elapsed()).toBe(1000)
    expect(gmail.unitsSpent).toBe(200)
  })

  it('waits until the "Retry after" time of a 403 rateLimitExceeded, slowing the whole account, then succeeds', async () => {
    const time = createManualTime()
    const retryAt = iso(time, 30_000)
    const arrivals: { path: string; at: number }[] = []
    const server = await scriptedServer((req) => {
      arrivals.push({ path: req.path, at: time.elapsed() })
      if (arrivals.length === 1) return errorReply(403, 'rateLimitExceeded', `User-rate limit exceeded.  Retry after ${retryAt}`)
      return req.path.endsWith('/profile') ? { status: 200, body: { emailAddress: 'ann@fund.example', historyId: '7' } } : message('m1')
    })
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, clock: time.clock, sleep: time.sleep })
    const a = clientFor(server, { limiter, clock: time.clock })
    const b = clientFor(server, { limiter, clock: time.clock })
    const first = a.getProfile()
    // The limiter now sleeps until the Retry-After time; a call of the same account made
    // meanwhile must wait behind it rather than be sent (and fail) at once.
    await vi.waitFor(() => {
      expect(time.pending()).toBe(1)
    })
    expect(time.sleeps).toEqual([30_000])
    const second = b.getMessage('m1', { format: 'minimal' })
    await vi.waitFor(() => {
      expect(limiter.waiting).toBe(2)
    })
    expect(arrivals).toHaveLength(1)
    time.release()
    await expect(first).resolves.toMatchObject({ historyId: '7' })
    await expect(second).resolves.toMatchObject({ id: 'm1' })
    expect(arrivals.slice(1).every((a) => a.at >= 30_000)).toBe(true)
    expect(time.clock.now().toISOString() >= retryAt).toBe(true)
  })

  it('honours a Retry-After header in seconds on a 429', async () => {
    const time = createFakeTime()
    const arrivals: number[] = []
    const server = await scriptedServer(() => {
      arrivals.push(time.elapsed())
      return arrivals.length === 1 ? errorReply(429, 'rateLimitExceeded', 'Too many requests', { 'Retry-After': '7' }) : message('m1')
    })
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, clock: time.clock, sleep: time.sleep })
    await clientFor(server, { limiter, clock: time.clock }).getMessage('m1', { format: 'raw' })
    expect(arrivals).toEqual([0, 7000])
  })

  it('fails at once when Gmail asks to wait longer than maxRetryWaitMs, without stalling the account', async () => {
    const time = createFakeTime()
    const server = await scriptedServer((_req, index) =>
      index === 0 ? errorReply(403, 'userRateLimitExceeded', `Quota exceeded. Retry after ${iso(time, 3_600_000)}`) : message('m2'),
    )
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, clock: time.clock, sleep: time.sleep })
    const gmail = clientFor(server, { limiter, clock: time.clock })
    await expect(gmail.getMessage('m1', { format: 'raw' })).rejects.toMatchObject({ upstreamStatus: 403, reason: 'userRateLimitExceeded', retryable: true })
    await expect(gmail.getMessage('m2', { format: 'raw' })).resolves.toMatchObject({ id: 'm2' })
    expect(server.requests).toHaveLength(2)
    expect(time.elapsed()).toBe(0)
  })

  it('re-sends a batch part throttled with "Retry after" only once that time has come', async () => {
    const time = createFakeTime()
    const retryAt = iso(time, 12_000)
    const arrivals: number[] = []
    const server = await scriptedServer((req) => {
      arrivals.push(time.elapsed())
      const calls = readBatchRequest(req)
      return batchReply(
        calls.map((c, i) =>
          arrivals.length === 1 && i === 0
            ? { contentId: c.contentId, status: 403, body: googleError(403, 'rateLimitExceeded', `Rate limit exceeded. Retry after ${retryAt}`) }
            : { contentId: c.contentId, status: 200, body: { id: c.path.split('/').pop(), threadId: 't' } },
        ),
      )
    })
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, clock: time.clock, sleep: time.sleep })
    const results = await clientFor(server, { limiter, clock: time.clock }).batchGetMessages(['a', 'b'], { format: 'metadata' })
    expect(results.every((r) => r.ok)).toBe(true)
    expect(arrivals).toHaveLength(2)
    expect(arrivals[1]).toBeGreaterThanOrEqual(12_000)
  })

  it('counts quota units per method from the cost table, each batch part at the get cost', async () => {
    const server = await scriptedServer((req) => {
      if (req.path.endsWith('/profile')) return { status: 200, body: { emailAddress: 'ann@fund.example', historyId: '1' } }
      if (req.path.endsWith('/messages')) return { status: 200, body: { messages: [] } }
      if (req.path.endsWith('/history')) return { status: 200, body: { historyId: '1' } }
      if (req.path.includes('/attachments/')) return { status: 200, body: { size: 1, data: 'AA' } }
      if (req.path === '/batch/gmail/v1') {
        return batchReply(readBatchRequest(req).map((c) => ({ contentId: c.contentId, status: 200, body: { id: 'x', threadId: 't' } })))
      }
      return message('m1')
    })
    const gmail = clientFor(server, { costs: QUOTA_COSTS_LEGACY })
    await gmail.getProfile()
    await gmail.listMessages()
    await gmail.listHistory({ startHistoryId: '1' })
    await gmail.getMessage('m1', { format: 'full' })
    await gmail.getAttachment('m1', 'a1')
    await gmail.batchGetMessages(['x1', 'x2', 'x3'], { format: 'raw' })
    // profile 1 + list 5 + history 2 + get 5 + attachment 5 + 3 batch parts x 5
    expect(gmail.unitsSpent).toBe(33)
    expect(gmail.requests).toBe(6)
  })
})
