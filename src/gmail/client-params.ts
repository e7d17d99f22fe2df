/**
 * Checks the Gmail client's options and method parameters, and turns parameters into the query
 * strings Gmail expects (repeated keys for lists: `labelIds=A&labelIds=B`).
 */
import type { QuotaCosts } from '../config/index.js'
import { ValidationError } from '../errors.js'
import { MAX_BATCH_PARTS } from './batch.js'
import type { GetMessageOptions, GmailClientOptions } from './client-types.js'
import type { GmailMessageFormat } from './types.js'

/** Gmail's largest page for `messages.list` and `history.list`. */
export const MAX_PAGE_SIZE = 500

/**
 * Default per-request timeout: long enough for a 50-part batch of raw messages on a slow link,
 * short enough that a stalled connection is retried within the minute.
 */
export const DEFAULT_TIMEOUT_MS = 60_000

const FORMATS: ReadonlySet<string> = new Set<GmailMessageFormat>(['minimal', 'full', 'raw', 'metadata'])

/** A query value: lists become repeated keys; `undefined` is left out. */
export type QueryValue = string | number | boolean | readonly string[] | undefined

/**
 * `base + path` with `params` as its query, each list item as its own `key=value`.
 *
 * @example
 * ```ts
 * buildUrl('https://gmail.googleapis.com/gmail/v1/users/me/messages', { labelIds: ['INBOX', 'SENT'] })
 * // https://gmail.googleapis.com/gmail/v1/users/me/messages?labelIds=INBOX&labelIds=SENT
 * ```
 */
export function buildUrl(url: string, params: Readonly<Record<string, QueryValue>> = {}): string {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (typeof value === 'object') for (const item of value) query.append(key, item)
    else query.append(key, String(value))
  }
  const text = query.toString()
  return text === '' ? url : `${url}?${text}`
}

/**
 * The base URL without trailing slashes, after checking it is an http(s) URL.
 *
 * @throws {@link ValidationError} for anything else.
 *
 * @example
 * ```ts
 * checkBaseUrl('https://gmail.googleapis.com/') // 'https://gmail.googleapis.com'
 * ```
 */
export function checkBaseUrl(value: unknown): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value)
      if (url.protocol === 'https:' || url.protocol === 'http:') return value.replace(/\/+$/, '')
    } catch {
      // reported below
    }
  }
  throw new ValidationError(`baseUrl: expected an http(s) URL, got ${JSON.stringify(value)}`)
}

/**
 * A non-empty string, or a {@link ValidationError} naming `name`.
 *
 * @example
 * ```ts
 * checkId('id', '18c1f0a2b3') // '18c1f0a2b3'
 * ```
 */
export function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${name}: expected a non-empty string, got ${JSON.stringify(value)}`)
  }
  return value
}

/**
 * `undefined`, or an integer from 1 to `max`; anything else is a {@link ValidationError}.
 *
 * @example
 * ```ts
 * checkPageSize('maxResults', 500) // 500
 * ```
 */
export function checkPageSize(name: string, value: unknown, max = MAX_PAGE_SIZE): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(`${name}: expected an integer from 1 to ${max}, got ${JSON.stringify(value)}`)
  }
  return value
}

/**
 * `undefined`, or a non-empty string; anything else is a {@link ValidationError}.
 *
 * @example
 * ```ts
 * checkOptionalToken('pageToken', undefined) // undefined
 * ```
 */
export function checkOptionalToken(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : checkId(name, value)
}

/**
 * The query of a `messages.get` (also used for each part of a batch).
 *
 * @throws {@link ValidationError} for an unknown format or empty header names.
 *
 * @example
 * ```ts
 * messageQuery({ format: 'metadata', metadataHeaders: ['From'] }) // { format: 'metadata', metadataHeaders: ['From'] }
 * ```
 */
export function messageQuery(options: GetMessageOptions): Record<string, QueryValue> {
  // Checked as unknown: plain-JavaScript callers may pass anything.
  const given: unknown = options
  const { format, metadataHeaders } = (typeof given === 'object' && given !== null ? given : {}) as Record<string, unknown>
  if (typeof format !== 'string' || !FORMATS.has(format)) {
    throw new ValidationError(`format: expected minimal, full, raw or metadata, got ${JSON.stringify(format)}`)
  }
  if (metadataHeaders === undefined) return { format }
  if (!Array.isArray(metadataHeaders) || metadataHeaders.some((h) => typeof h !== 'string' || h.trim() === '')) {
    throw new ValidationError('metadataHeaders: expected an array of header names (non-empty strings)')
  }
  return { format, metadataHeaders: metadataHeaders as string[] }
}

/** The checked, fully-resolved numbers of {@link GmailClientOptions}. */
export interface ResolvedClientLimits {
  readonly timeoutMs: number
  readonly batchSize: number
  readonly costs: QuotaCosts
}

/**
 * Checks the numeric options of the client; 0, NaN and strings would switch a limit off or
 * spend no quota, so they are refused.
 *
 * @throws {@link ValidationError} naming the first bad option.
 *
 * @example
 * ```ts
 * const { timeoutMs, batchSize, costs } = resolveClientLimits(options)
 * ```
 */
export function resolveClientLimits(options: GmailClientOptions): ResolvedClientLimits {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ValidationError(`timeoutMs: expected a positive number of milliseconds, got ${JSON.stringify(timeoutMs)}`)
  }
  const batchSize = checkPageSize('batchSize', options.batchSize ?? MAX_BATCH_PARTS, MAX_BATCH_PARTS) ?? MAX_BATCH_PARTS
  const costs = options.costs as Partial<Record<keyof QuotaCosts, unknown>> | undefined
  if (typeof costs !== 'object') throw new ValidationError('costs: expected a quota cost table')
  for (const method of ['get', 'list', 'history', 'profile', 'attachment'] as const) {
    const cost = costs[method]
    if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
      throw new ValidationError(`costs.${method}: expected a non-negative number of quota units, got ${JSON.stringify(cost)}`)
    }
  }
  return { timeoutMs, batchSize, costs: options.costs }
}
