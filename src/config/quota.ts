/**
 * Quota regimes: each Gmail cost table with the per-user limit that comes with it, and the
 * default rate the library spends under that limit.
 */
import { QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY } from './lists.js'
import type { QuotaCosts } from './types.js'

/**
 * Gmail's per-user limit, in quota units per minute, of Cloud projects created from May 2026
 * (the `2026` cost table, `messages.get` at 20 units): 6,000, that is 100 units per second.
 */
export const USER_UNITS_PER_MINUTE_2026 = 6_000
/** Gmail's per-user limit of projects created before May 2026 (the `legacy` table): 15,000 per minute. */
export const USER_UNITS_PER_MINUTE_LEGACY = 15_000

/**
 * The share of the per-user limit the default rate spends. Gmail counts units when calls
 * arrive, the limiter when it sends them, so calls bunched by the network land in a window the
 * limiter thought less full; and calls the account's limiter never sees (the consent flow's
 * profile read, another job of the same Cloud project reading the same mailbox) spend the same
 * per-user quota. A tenth of the limit is 600 units a minute at the 2026 table, thirty
 * `messages.get`, enough for a few batches in flight; the rest is left to throughput.
 */
export const DEFAULT_RATE_SHARE = 0.9

/** Which cost table a configuration uses; `custom` is a table given as JSON or an object. */
export type QuotaRegimeName = '2026' | 'legacy' | 'custom'

/** A cost table with the limit Gmail enforces under it and the library's default rate. */
export interface QuotaRegime {
  readonly name: QuotaRegimeName
  /** The most a rate setting may ask for, in units per minute per user. */
  readonly limitUnitsMin: number
  /** The same limit per second (Gmail's per-minute limit over 60). */
  readonly limitUnitsSec: number
  /** `CRM_GMAIL_RATE_UNITS_SEC` when it is not set. */
  readonly defaultRateUnitsSec: number
}

function regime(name: QuotaRegimeName, limitUnitsMin: number, defaultRateUnitsSec: number): QuotaRegime {
  return Object.freeze({ name, limitUnitsMin, limitUnitsSec: limitUnitsMin / 60, defaultRateUnitsSec })
}

const REGIME_2026 = regime('2026', USER_UNITS_PER_MINUTE_2026, Math.floor((USER_UNITS_PER_MINUTE_2026 / 60) * DEFAULT_RATE_SHARE))
const REGIME_LEGACY = regime('legacy', USER_UNITS_PER_MINUTE_LEGACY, Math.floor((USER_UNITS_PER_MINUTE_LEGACY / 60) * DEFAULT_RATE_SHARE))
/**
 * A custom table names no project: it may be given a rate up to the highest limit any project
 * has (the legacy one), and defaults to the 2026 default, which fits under either limit.
 */
const REGIME_CUSTOM = regime('custom', USER_UNITS_PER_MINUTE_LEGACY, REGIME_2026.defaultRateUnitsSec)

function sameCosts(a: QuotaCosts, b: QuotaCosts): boolean {
  return a.get === b.get && a.list === b.list && a.history === b.history && a.profile === b.profile && a.attachment === b.attachment
}

/**
 * The regime of a cost table: `2026` or `legacy` when the table has exactly those costs,
 * otherwise `custom`.
 *
 * @example
 * ```ts
 * quotaRegimeOf(QUOTA_COSTS_2026)   // { name: '2026', limitUnitsMin: 6000, limitUnitsSec: 100, defaultRateUnitsSec: 90 }
 * quotaRegimeOf(QUOTA_COSTS_LEGACY) // { name: 'legacy', limitUnitsMin: 15000, limitUnitsSec: 250, defaultRateUnitsSec: 225 }
 * ```
 */
export function quotaRegimeOf(costs: QuotaCosts): QuotaRegime {
  if (sameCosts(costs, QUOTA_COSTS_2026)) return REGIME_2026
  if (sameCosts(costs, QUOTA_COSTS_LEGACY)) return REGIME_LEGACY
  return REGIME_CUSTOM
}

const grouped = new Intl.NumberFormat('en-US')

/**
 * Why `rateUnitsSec` is refused under `regime`, or `null` when it fits under the regime's
 * per-user limit. The message names both numbers and how to tell which table a project has.
 *
 * @example
 * ```ts
 * rateOverLimit(150, quotaRegimeOf(QUOTA_COSTS_2026))
 * // "150 units/s exceeds the 2026 cost table's per-user limit of 100 units/s (6,000 per minute); ..."
 * rateOverLimit(90, quotaRegimeOf(QUOTA_COSTS_2026)) // null
 * ```
 */
export function rateOverLimit(rateUnitsSec: number, regime: QuotaRegime): string | null {
  if (rateUnitsSec <= regime.limitUnitsSec) return null
  const limit = `${grouped.format(regime.limitUnitsSec)} units/s (${grouped.format(regime.limitUnitsMin)} per minute)`
  const table = regime.name === 'custom' ? 'a custom cost table' : `the ${regime.name} cost table`
  const hint = regime.name === '2026'
    ? `; set at most ${grouped.format(regime.limitUnitsSec)}, or CRM_GMAIL_QUOTA_COSTS=legacy if the Cloud project's Gmail API quota page shows ${grouped.format(USER_UNITS_PER_MINUTE_LEGACY)} per minute per user`
    : `; set at most ${grouped.format(regime.limitUnitsSec)}`
  return `${grouped.format(rateUnitsSec)} units/s exceeds ${table}'s per-user limit of ${limit}${hint}`
}
