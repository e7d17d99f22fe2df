import { describe, expect, it, vi } from 'vitest'
import { ValidationError } from '../../src/errors.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import type { QuotaLimiter, QuotaPermit } from '../../src/gmail/quota.js'
import { createFakeTime, createManualTime, type FakeTime } from '../helpers/fake-time.js'

/** Acquires in order and records the virtual time of each grant. */
async function grantTimes(charges: readonly number[], rateUnitsSec: number): Promise<{ label: number; at: number }[]> {
  const time = createFakeTime()
  const limiter = createQuotaLimiter({ rateUnitsSec, maxInFlight: 100, clock: time.clock, sleep: time.sleep })
  const grants: { label: number; at: number }[] = []
  await Promise.all(
    charges.map(async (units, label) => {
      const permit = await limiter.acquire(units)
      grants.push({ label, at: time.elapsed() })
      permit.release()
    }),
  )
  return grants
}

describe('QuotaLimiter token bucket', () => {
  it('lets one second of units through at once, then spaces a burst at the refill rate', async () => {
    const grants = await grantTimes(Array.from({ length: 10 }, () => 20), 100)
    expect(grants.map((g) => g.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(grants.map((g) => g.at)).toEqual([0, 0, 0, 0, 0, 200, 400, 600, 800, 1000])
  })

  it('serves first come first served, so a large batch charge is not starved by small calls', async () => {
    // 500 units on a 100-unit bucket: waits for a full bucket, then leaves it 400 in debt.
    const grants = await grantTimes([60, 500, 20, 20], 100)
    expect(grants).toEqual([
      { label: 0, at: 0 },
      { label: 1, at: 600 },
      { label: 2, at: 4800 },
      { label: 3, at: 5000 },
    ])
  })

  it('pauses every call until a Retry-After time, and empties the bucket on a quota error without one', async () => {
    const time = createFakeTime()
    const limiter = createQuotaLimiter({ rateUnitsSec: 100, clock: time.clock, sleep: time.sleep })
    limiter.backOff(new Date(time.clock.now().getTime() + 30_000))
    ;(await limiter.acquire(1)).release()
    expect(time.elapsed()).toBe(30_000)
    limiter.backOff()
    ;(await limiter.acquire(50)).release()
    expect(time.elapsed()).toBe(30_500)
  })

  it('refuses settings that would switch the limit off', () => {
    for (const rateUnitsSec of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '150']) {
      expect(() => createQuotaLimiter({ rateUnitsSec: rateUnitsSec as number })).toThrow(ValidationError)
    }
    expect(() => createQuotaLimiter({ rateUnitsSec: 1, maxInFlight: 0 })).toThrow(/maxInFlight/)
    expect(() => createQuotaLimiter({ rateUnitsSec: 1, maxInFlight: 2.5 })).toThrow(/maxInFlight/)
    const limiter = createQuotaLimiter({ rateUnitsSec: 1 })
    return expect(limiter.acquire(Number.NaN)).rejects.toThrow(/units/)
  })
})

/** Acquires `count` charges of `units` in order on virtual time; the time of each grant. */
async function burstGrants(limiter: QuotaLimiter, time: FakeTime, count: number, units: number): Promise<number[]> {
  const at: number[] = []
  await Promise.all(
    Array.from({ length: count }, async () => {
      const permit = await limiter.acquire(units)
      at.push(time.elapsed())
      permit.release()
    }),
  )
  return at
}

/** The most units granted within any rolling minute, given each grant's time and units. */
function busiestMinute(at: readonly number[], units: number): number {
  return Math.max(...at.map((end) => at.filter((t) => t > end - 60_000 && t <= end).length * units))
}

describe('QuotaLimiter per-minute budget', () => {
  it("lets a burst spend the minute's budget at the bucket's pace, then waits until the window frees", async () => {
    const time = createFakeTime()
    const limiter = createQuotaLimiter({ rateUnitsSec: 100, unitsPerMinute: 600, maxInFlight: 100, clock: time.clock, sleep: time.sleep })
    const at = await burstGrants(limiter, time, 40, 20)
    // 600 units: five gets from the full bucket, then one per 200 ms until 5 s.
    const firstMinute = [0, 0, 0, 0, 0, ...Array.from({ length: 25 }, (_, i) => 200 * (i + 1))]
    expect(at.slice(0, 30)).toEqual(firstMinute)
    // Then nothing until the first charges leave the window, a minute after they were made;
    // the second minute repeats the first.
    expect(at.slice(30)).toEqual(firstMinute.slice(0, 10).map((t) => t + 60_000))
    expect(busiestMinute(at, 20)).toBe(600)
  })

  it('keeps every rolling minute within 60 times the rate by default, the first full second included', async () => {
    const time = createFakeTime()
    const limiter = createQuotaLimiter({ rateUnitsSec: 100, maxInFlight: 100, clock: time.clock, sleep: time.sleep })
    expect(limiter.unitsPerMinute).toBe(6000)
    // 8,000 units of gets at 20: beyond a minute at 100 units/s.
    const at = await burstGrants(limiter, time, 400, 20)
    // A bucket alone would grant 100 units at once and 100 a second after: 6,080 by 59.8 s.
    expect(busiestMinute(at, 20)).toBeLessThanOrEqual(6000)
    // The window pauses the first minute's last second, then the bucket's refill catches up.
    expect(at.filter((t) => t > 59_000 && t < 60_000)).toEqual([])
    expect(Math.max(...at)).toBe(79_000)
  })

  it('makes a charge dearer than the minute wait for an empty window, and later calls wait it out', async () => {
    const time = createFakeTime()
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, unitsPerMinute: 100, clock: time.clock, sleep: time.sleep })
    expect(await burstGrants(limiter, time, 1, 50)).toEqual([0])
    expect(await burstGrants(limiter, time, 1, 300)).toEqual([60_000])
    expect(await burstGrants(limiter, time, 1, 10)).toEqual([120_000])
  })

  it("refuses a minute's budget that would switch the limit off", () => {
    for (const unitsPerMinute of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '6000']) {
      expect(() => createQuotaLimiter({ rateUnitsSec: 100, unitsPerMinute: unitsPerMinute as number })).toThrow(/unitsPerMinute/)
    }
  })
})

describe('QuotaLimiter in-flight cap', () => {
  it('holds calls past the cap until a slot is released, in order', async () => {
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000, maxInFlight: 2 })
    const a = await limiter.acquire(1)
    const b = await limiter.acquire(1)
    const order: string[] = []
    const c = limiter.acquire(1).then((p) => (order.push('c'), p))
    const d = limiter.acquire(1).then((p) => (order.push('d'), p))
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([])
    expect(limiter.inFlight).toBe(2)
    expect(limiter.waiting).toBe(2)
    a.release()
    a.release() // releasing twice frees one slot only
    const permitC: QuotaPermit = await c
    expect(order).toEqual(['c'])
    b.release()
    ;(await d).release()
    permitC.release()
    expect(limiter.inFlight).toBe(0)
  })

  it('rejects a waiting call when its signal aborts, and serves the next one', async () => {
    const time = createFakeTime()
    const limiter = createQuotaLimiter({ rateUnitsSec: 10, maxInFlight: 1 })
    const held = await limiter.acquire(10)
    const controller = new AbortController()
    const aborted = limiter.acquire(1, controller.signal)
    const next = limiter.acquire(0)
    controller.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    held.release()
    ;(await next).release()
    expect(limiter.waiting).toBe(0)
    expect(time.sleeps).toEqual([])
  })

  it('wakes the queue when the head of the token queue aborts', async () => {
    const time = createManualTime()
    const limiter = createQuotaLimiter({ rateUnitsSec: 10, clock: time.clock, sleep: time.sleep })
    ;(await limiter.acquire(10)).release()
    const controller = new AbortController()
    const big = limiter.acquire(10, controller.signal)
    const small = limiter.acquire(0)
    await vi.waitFor(() => {
      expect(time.pending()).toBe(1)
    })
    controller.abort()
    await expect(big).rejects.toMatchObject({ name: 'AbortError' })
    // Served without the one-second sleep for the aborted head ever ending.
    ;(await small).release()
    expect(time.elapsed()).toBe(0)
  })
})
