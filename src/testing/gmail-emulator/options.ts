import { randomBytes } from 'node:crypto'
import { QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY } from '../../config/index.js'
import type { QuotaCosts } from '../../config/index.js'
import { quotaRegimeOf } from '../../config/quota.js'

/** The scope the library asks for, and the only one delegation grants unless told otherwise. */
export const GMAIL_READONLY_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly'

/**
 * The per-second smoothing: the highest rate Gmail has stated per user, 250 quota units per
 * second, up to which short bursts are served; what a minute may spend is `quotaPerMinute`.
 */
export const DEFAULT_QUOTA_UNITS_PER_SECOND = 250
/** Gmail starts answering 429 "Too many concurrent requests for user" past about ten. */
export const DEFAULT_MAX_IN_FLIGHT = 10
/** How long an injected slow answer waits when `faults.slowMs` is not given. */
export const DEFAULT_SLOW_MS = 1000
/**
 * Bodies up to this size are inlined as `body.data` in `format=full`; larger ones get an
 * `attachmentId`, as Gmail does for big parts. Google does not document its threshold.
 */
export const DEFAULT_INLINE_BODY_LIMIT = 1024 * 1024

/**
 * The names under which the emulator counts requests (`emu.stats.requests`) and which
 * `faults.methods` can select. Gmail methods use the API's own names.
 */
export type GmailEmulatorMethod =
  | 'getProfile'
  | 'messages.list'
  | 'messages.get'
  | 'messages.attachments.get'
  | 'history.list'
  | 'batch'
  | 'token'
  | 'auth'

/** Every Gmail API method the emulator serves; faults hit these (and `batch`) by default. */
export const GMAIL_API_METHODS: readonly GmailEmulatorMethod[] = [
  'getProfile', 'messages.list', 'messages.get', 'messages.attachments.get', 'history.list', 'batch',
]

/**
 * Injected failures. Each probability is per request, between 0 and 1; `serverError`,
 * `rateLimit` and `reset` exclude one another (their sum must not exceed 1), `slow` is drawn
 * on its own and delays whatever the answer is.
 */
export interface GmailEmulatorFaults {
  /** Answer 500 or 503 with Google's `backendError` body. */
  readonly serverError?: number
  /** Answer 429 `rateLimitExceeded` (status `RESOURCE_EXHAUSTED`). */
  readonly rateLimit?: number
  /** Send the headers and part of the body, then destroy the socket. Not applied to batch parts. */
  readonly reset?: number
  /** Delay the answer by `slowMs`. */
  readonly slow?: number
  /** How long a slow answer waits, in milliseconds (default 1000). */
  readonly slowMs?: number
  /**
   * Which methods the faults apply to. Default: every Gmail method and the batch request
   * itself (each batch part draws its own fault, resets excepted). The token endpoint only
   * when `token` is listed; the consent page (`auth`) never.
   */
  readonly methods?: readonly GmailEmulatorMethod[]
}

/** A source of the current time in epoch milliseconds. */
export interface GmailEmulatorClock {
  /** The current time in milliseconds since the epoch. */
  now(): number
}

/** Options of {@link startGmailEmulator}; every one is optional. */
export interface GmailEmulatorOptions {
  /**
   * Quota units per user per second, a bucket of one second's worth (default 250, the most
   * Gmail serves in a burst); `Infinity` switches quota off, the per-minute budget too unless
   * `quotaPerMinute` is given.
   */
  readonly quota?: number
  /**
   * Quota units per user within any rolling minute, Gmail's per-user limit. Default: the cost
   * table's, 6,000 at `'2026'` and 15,000 at `'legacy'` or a custom table; `Infinity` switches
   * it off. Past it a user is refused until enough of the minute's charges leave the window.
   */
  readonly quotaPerMinute?: number
  /** The cost table: `'2026'` (default), `'legacy'`, or a partial table over the 2026 one. */
  readonly costs?: '2026' | 'legacy' | Partial<QuotaCosts>
  /** Concurrent requests allowed per user before 429 (default 10); `Infinity` switches the cap off. */
  readonly maxInFlight?: number
  /** Injected failures (none by default). */
  readonly faults?: GmailEmulatorFaults
  /** Makes message ids, history ids and faults deterministic. Default: random. */
  readonly seed?: number | string
  /** History records older than this many milliseconds expire (default: kept forever). */
  readonly historyTtl?: number
  /** The clock for token expiry, JWT times, quota refill, history expiry and default dates. */
  readonly clock?: GmailEmulatorClock
  /**
   * The scopes domain-wide delegation grants the service account (default: gmail.readonly
   * only). Give another list to simulate delegation that was not set up for the library's scope.
   */
  readonly authorizedScopes?: readonly string[]
  /** Bodies larger than this many bytes come as `attachmentId` in `format=full` (default 1 MiB). */
  readonly inlineBodyLimit?: number
}

/** The options with every default applied. */
export interface ResolvedEmulatorOptions {
  readonly quota: number
  readonly quotaPerMinute: number
  readonly costs: QuotaCosts
  readonly maxInFlight: number
  readonly faults: {
    readonly serverError: number
    readonly rateLimit: number
    readonly reset: number
    readonly slow: number
    readonly slowMs: number
    readonly methods: ReadonlySet<GmailEmulatorMethod>
  }
  readonly seed: string
  readonly historyTtl: number | null
  readonly clock: GmailEmulatorClock
  readonly authorizedScopes: ReadonlySet<string>
  readonly inlineBodyLimit: number
}

function positive(name: string, value: number | undefined, fallback: number, allowInfinity: boolean): number {
  if (value === undefined) return fallback
  const ok = typeof value === 'number' && value > 0 && (Number.isFinite(value) || (allowInfinity && value === Infinity))
  if (!ok) throw new TypeError(`Expected \`${name}\` to be a positive number, got ${String(value)}`)
  return value
}

function probability(name: string, value: number | undefined): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new TypeError(`Expected \`faults.${name}\` to be a probability between 0 and 1, got ${String(value)}`)
  }
  return value
}

function resolveCosts(costs: GmailEmulatorOptions['costs']): QuotaCosts {
  if (costs === undefined || costs === '2026') return QUOTA_COSTS_2026
  if (costs === 'legacy') return QUOTA_COSTS_LEGACY
  const merged: Record<keyof QuotaCosts, number> = { ...QUOTA_COSTS_2026 }
  for (const key of Object.keys(merged) as (keyof QuotaCosts)[]) {
    const value = costs[key]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(`Expected \`costs.${key}\` to be a non-negative integer, got ${String(value)}`)
    }
    merged[key] = value
  }
  return Object.freeze(merged)
}

/** Validates injected faults and applies their defaults; a bad value throws naming it. */
export function resolveFaults(faults: GmailEmulatorFaults = {}): ResolvedEmulatorOptions['faults'] {
  const resolved = {
    serverError: probability('serverError', faults.serverError),
    rateLimit: probability('rateLimit', faults.rateLimit),
    reset: probability('reset', faults.reset),
    slow: probability('slow', faults.slow),
    slowMs: positive('faults.slowMs', faults.slowMs, DEFAULT_SLOW_MS, false),
    methods: new Set(faults.methods ?? GMAIL_API_METHODS),
  }
  if (resolved.serverError + resolved.rateLimit + resolved.reset > 1) {
    throw new TypeError('Expected `faults.serverError + faults.rateLimit + faults.reset` to be at most 1')
  }
  return resolved
}

/** Validates the options once and applies the defaults; a bad value throws naming it. */
export function resolveEmulatorOptions(options: GmailEmulatorOptions = {}): ResolvedEmulatorOptions {
  const resolvedFaults = resolveFaults(options.faults)
  const scopes = options.authorizedScopes ?? [GMAIL_READONLY_SCOPE]
  const quota = positive('quota', options.quota, DEFAULT_QUOTA_UNITS_PER_SECOND, true)
  const costs = resolveCosts(options.costs)
  const minuteDefault = quota === Infinity ? Infinity : quotaRegimeOf(costs).limitUnitsMin
  return Object.freeze({
    quota,
    quotaPerMinute: positive('quotaPerMinute', options.quotaPerMinute, minuteDefault, true),
    costs,
    maxInFlight: positive('maxInFlight', options.maxInFlight, DEFAULT_MAX_IN_FLIGHT, true),
    faults: resolvedFaults,
    seed: options.seed === undefined ? randomBytes(8).toString('hex') : String(options.seed),
    historyTtl: options.historyTtl === undefined ? null : positive('historyTtl', options.historyTtl, 0, false),
    clock: options.clock ?? { now: () => Date.now() },
    authorizedScopes: new Set(scopes),
    inlineBodyLimit: positive('inlineBodyLimit', options.inlineBodyLimit, DEFAULT_INLINE_BODY_LIMIT, false),
  })
}
