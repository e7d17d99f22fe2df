import { afterEach, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { quotaRegimeOf } from '../../src/config/quota.js'
import { createGmailClient } from '../../src/gmail/client.js'
import { createDwdCredentials } from '../../src/gmail/credentials/dwd.js'
import { createQuotaLimiter, type QuotaLimiter } from '../../src/gmail/quota.js'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { createFakeTime, type FakeTime } from '../helpers/fake-time.js'

// The library's client and limiter against the emulator over HTTP, on virtual time shared by
// both, for several minutes of quota: the per-minute window is crossed without waiting for it.

const ANN = 'ann@fund.example'
/** Messages in the mailbox; a batch call reads each id once, so the run reads them round after round. */
const MESSAGES = 100
/** Minutes of the table's whole per-user budget the run asks for. */
const MINUTES_OF_BUDGET = 2.5

const emulators: GmailEmulator[] = []
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})

/**
 * Virtual time whose sleeps first let every granted request reach Gmail and end: the emulator
 * then charges each call at the time the limiter granted it, as it would with no latency,
 * instead of after a sleep the clock jumped over meanwhile.
 */
function settledTime(): { time: FakeTime; track: (limiter: QuotaLimiter) => QuotaLimiter } {
  const time = createFakeTime()
  let open = 0
  const settled = async (): Promise<void> => {
    while (open > 0) await new Promise((resolve) => setTimeout(resolve, 1))
  }
  return {
    time: { ...time, sleep: async (ms, signal) => (await settled(), time.sleep(ms, signal)) },
    track: (limiter) => ({
      get rateUnitsSec() { return limiter.rateUnitsSec },
      get unitsPerMinute() { return limiter.unitsPerMinute },
      get maxInFlight() { return limiter.maxInFlight },
      get inFlight() { return limiter.inFlight },
      get waiting() { return limiter.waiting },
      backOff: (until) => {
        limiter.backOff(until)
      },
      acquire: async (units, signal) => {
        const permit = await limiter.acquire(units, signal)
        open++
        let released = false
        return {
          release: () => {
            if (released) return
            released = true
            open--
            permit.release()
          },
        }
      },
    }),
  }
}

/** Lists and reads `count` messages in batches at `rateUnitsSec` against an emulator at the table's limits. */
async function run(table: '2026' | 'legacy', rateUnitsSec: number, count: number) {
  const { quotaCosts: costs, retryMax } = resolveConfig({ quotaCosts: table })
  const regime = quotaRegimeOf(costs)
  const { time, track } = settledTime()
  const emu = await startGmailEmulator({
    seed: `regime-${table}`,
    costs: table,
    // Gmail's limits under the table: the minute's budget, and no burst above its average.
    quota: regime.limitUnitsSec,
    clock: { now: () => time.clock.now().getTime() },
  })
  emulators.push(emu)
  const ids = Array.from({ length: MESSAGES }, (_, i) => emu.addMessage(ANN, `From: dana@acme.vc\r\nSubject: m${i}\r\n\r\nbody ${i}`).id)
  const { serviceAccount } = resolveConfig({ serviceAccountKey: emu.serviceAccountKey, enabled: true, workspaceDomains: ['fund.example'] })
  if (serviceAccount === null) throw new Error('no service account')
  const limiter = createQuotaLimiter({ rateUnitsSec, clock: time.clock, sleep: time.sleep })
  const gmail = createGmailClient({
    baseUrl: emu.url,
    mailbox: ANN,
    credentials: createDwdCredentials({ serviceAccount, tokenUrl: emu.tokenUrl, clock: time.clock }),
    limiter: track(limiter),
    costs,
    retryMax,
    clock: time.clock,
  })
  // As a sync reads: a list page, then its messages in batches; round after round.
  const results = []
  for (let read = 0; read < count; read += MESSAGES) {
    await gmail.listMessages({ maxResults: MESSAGES })
    results.push(...(await gmail.batchGetMessages(ids.slice(0, Math.min(MESSAGES, count - read)), { format: 'minimal' })))
  }
  const rounds = Math.ceil(count / MESSAGES)
  const refused = Object.entries(emu.stats.responses).filter(([key]) => / (403|429)$/.test(key))
  return { results, refused, emu, gmail, time, units: rounds * costs.list + count * costs.get }
}

describe.each(['2026', 'legacy'] as const)('the %s cost table', (table) => {
  it("at the library's default rate, minutes of gets never exceed Gmail's per-user limits", async () => {
    const { rateUnitsSec, quotaCosts } = resolveConfig({ quotaCosts: table })
    const regime = quotaRegimeOf(quotaCosts)
    const count = Math.round((MINUTES_OF_BUDGET * regime.limitUnitsMin) / quotaCosts.get)
    const { results, refused, emu, gmail, time, units } = await run(table, rateUnitsSec, count)

    expect(results.filter((r) => !r.ok)).toEqual([])
    expect(refused).toEqual([])
    expect(gmail.unitsSpent).toBe(units)
    expect(emu.stats.unitsSpent[ANN]).toBe(units)
    // Paced at the default rate: the first second's worth at once, then the rest at the rate.
    expect(time.elapsed()).toBeGreaterThanOrEqual(((units - rateUnitsSec) * 1000) / rateUnitsSec)
  })

  it("at a rate of the table's whole limit, the limiter's minute keeps Gmail's minute from refusing", async () => {
    const { quotaCosts } = resolveConfig({ quotaCosts: table })
    const regime = quotaRegimeOf(quotaCosts)
    // The highest rate the configuration accepts under the table.
    const { rateUnitsSec } = resolveConfig({ quotaCosts: table, rateUnitsSec: regime.limitUnitsSec })
    const count = Math.round((MINUTES_OF_BUDGET * regime.limitUnitsMin) / quotaCosts.get)
    const { results, refused, emu, units } = await run(table, rateUnitsSec, count)

    expect(results.filter((r) => !r.ok)).toEqual([])
    expect(refused).toEqual([])
    expect(emu.stats.unitsSpent[ANN]).toBe(units)
  })
})
