import { describe, expect, it } from 'vitest'
import { loadConfig, QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY, resolveConfig } from '../../src/config/index.js'
import { quotaRegimeOf } from '../../src/config/quota.js'
import { ConfigurationError } from '../../src/errors.js'

const RATE = 'CRM_GMAIL_RATE_UNITS_SEC'
const COSTS = 'CRM_GMAIL_QUOTA_COSTS'

function issuesOf(fn: () => unknown): { variable: string; message: string }[] {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigurationError) return error.issues.map(({ variable, message }) => ({ variable, message }))
    throw error
  }
  throw new Error('expected a ConfigurationError')
}

describe('quota regimes', () => {
  it('gives each cost table its per-user limit and a default rate at 90% of it', () => {
    expect(quotaRegimeOf(QUOTA_COSTS_2026)).toEqual({ name: '2026', limitUnitsMin: 6000, limitUnitsSec: 100, defaultRateUnitsSec: 90 })
    expect(quotaRegimeOf(QUOTA_COSTS_LEGACY)).toEqual({ name: 'legacy', limitUnitsMin: 15_000, limitUnitsSec: 250, defaultRateUnitsSec: 225 })
    // A custom table may go up to the highest limit, and defaults to the rate that fits either.
    expect(quotaRegimeOf({ ...QUOTA_COSTS_2026, get: 7 })).toEqual({ name: 'custom', limitUnitsMin: 15_000, limitUnitsSec: 250, defaultRateUnitsSec: 90 })
    // The table is recognised by its costs, however it was given.
    expect(quotaRegimeOf({ ...QUOTA_COSTS_LEGACY }).name).toBe('legacy')
  })

  it("defaults the rate to the table's default", () => {
    expect(loadConfig({}).rateUnitsSec).toBe(90)
    expect(loadConfig({ [COSTS]: '2026' }).rateUnitsSec).toBe(90)
    expect(loadConfig({ [COSTS]: 'legacy' }).rateUnitsSec).toBe(225)
    expect(loadConfig({ [COSTS]: 'Legacy', [RATE]: ' ' }).rateUnitsSec).toBe(225)
    expect(loadConfig({ [COSTS]: '{"get":5,"attachment":5}' }).rateUnitsSec).toBe(225)
    expect(loadConfig({ [COSTS]: '{"get":7}' }).rateUnitsSec).toBe(90)
    expect(resolveConfig({ quotaCosts: 'legacy' }).rateUnitsSec).toBe(225)
    expect(resolveConfig({ quotaCosts: { get: 1, list: 1, history: 1, profile: 1, attachment: 1 } }).rateUnitsSec).toBe(90)
  })

  it("accepts a rate up to the table's limit", () => {
    expect(loadConfig({ [RATE]: '100' }).rateUnitsSec).toBe(100)
    expect(loadConfig({ [RATE]: '1' }).rateUnitsSec).toBe(1)
    expect(loadConfig({ [COSTS]: 'legacy', [RATE]: '250' }).rateUnitsSec).toBe(250)
    expect(loadConfig({ [COSTS]: '{"get":1}', [RATE]: '250' }).rateUnitsSec).toBe(250)
    // A resolved configuration spreads into valid input, its rate included.
    const legacy = resolveConfig({ quotaCosts: 'legacy' })
    expect(resolveConfig({ ...legacy, capture: 'all' }).rateUnitsSec).toBe(225)
  })

  it("refuses a rate above the table's limit, naming both numbers and where to look", () => {
    const issues = issuesOf(() => loadConfig({ [RATE]: '150' }))
    expect(issues).toHaveLength(1)
    expect(issues[0]?.variable).toBe(RATE)
    expect(issues[0]?.message).toMatch(/^150 units\/s exceeds the 2026 cost table's per-user limit of 100 units\/s \(6,000 per minute\)/)
    expect(issues[0]?.message).toMatch(/CRM_GMAIL_QUOTA_COSTS=legacy .*15,000 per minute/)
    expect(() => loadConfig({ [RATE]: '150' })).toThrow(/CRM_GMAIL_RATE_UNITS_SEC: 150 units\/s exceeds the 2026 cost table's per-user limit of 100 units\/s \(6,000 per minute\)/)
    expect(issuesOf(() => loadConfig({ [RATE]: '101', [COSTS]: '2026' }))).toHaveLength(1)
    expect(issuesOf(() => resolveConfig({ rateUnitsSec: 101 }))).toEqual([
      { variable: `rateUnitsSec (${RATE})`, message: expect.stringMatching(/^101 units\/s exceeds the 2026 cost table's per-user limit of 100 units\/s/) as unknown as string },
    ])
    // Above every table's limit, the range says so.
    expect(issuesOf(() => loadConfig({ [COSTS]: 'legacy', [RATE]: '251' }))).toEqual([
      { variable: RATE, message: expect.stringMatching(/^expected a whole number from 1 to 250/) as unknown as string },
    ])
  })

  it('says nothing of the rate when the cost table itself is refused', () => {
    expect(issuesOf(() => loadConfig({ [COSTS]: 'legacyy', [RATE]: '200' })).map((i) => i.variable)).toEqual([COSTS])
  })
})
