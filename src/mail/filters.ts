import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ValidationError } from '../errors.js'
import type { Secret } from '../secrets/secret.js'
import { readDateInput } from './date-input.js'

/** Threads per page when the caller does not say. */
export const DEFAULT_PAGE_LIMIT = 25
/** The most threads one page may ask for: bounds the work and the answer of one request. */
export const MAX_PAGE_LIMIT = 100

/**
 * The instants whose ISO text has a four-digit year. Bounds are compared with `sent_at` as
 * text, and outside these years `toISOString()` writes `+010000-...` or `-000001-...`, which
 * sort before every four-digit year: `to=9999-12-31` would match nothing. Clamped, a far
 * bound stays a bound that every stored date lies within.
 */
const MIN_INSTANT_MS = Date.parse('0000-01-01T00:00:00.000Z')
const MAX_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z')

/** The sent-at bounds of a filter, as ISO instants: `from` inclusive, `to` exclusive. */
export interface DateRange {
  readonly from: string | null
  readonly to: string | null
}

function instant(name: string, value: unknown, endOfDay: boolean): string {
  const input = typeof value === 'string' ? readDateInput(value) : null
  if (input === null) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `a value of type ${typeof value}`
    throw new ValidationError(`${name}: expected a date (YYYY-MM-DD) or an ISO date-time, got ${shown}`)
  }
  const end = input.kind === 'date' && endOfDay ? input.ms + 86_400_000 : input.ms
  return new Date(Math.min(Math.max(end, MIN_INSTANT_MS), MAX_INSTANT_MS)).toISOString()
}

/**
 * Reads `from` / `to`: a date (`to` then includes that whole day, UTC) or an ISO date-time.
 * Anything else is a `ValidationError` naming the parameter, and so is a range that holds no
 * instant (`from` after `to`, or `from` at the instant `to` ends): an empty answer there would
 * read as "no mail" when the question was wrong.
 *
 * @example
 * ```ts
 * dateRange('2026-06-01', '2026-06-01') // { from: '2026-06-01T00:00:00.000Z', to: '2026-06-02T00:00:00.000Z' }
 * dateRange('2026-06-02', '2026-06-01') // throws ValidationError('from: must be before to')
 * ```
 */
export function dateRange(from: string | undefined, to: string | undefined): DateRange {
  const range = {
    from: from === undefined || from === '' ? null : instant('from', from, false),
    to: to === undefined || to === '' ? null : instant('to', to, true),
  }
  if (range.from !== null && range.to !== null && range.from >= range.to) throw new ValidationError('from: must be before to')
  return range
}

/**
 * Reads a page size: an integer from 1 to {@link MAX_PAGE_LIMIT}.
 *
 * @example
 * ```ts
 * pageLimit('20') // 20
 * ```
 */
export function pageLimit(value: number | string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_LIMIT
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) {
    const shown = typeof value === 'string' || typeof value === 'number' ? JSON.stringify(String(value).slice(0, 20)) : `a value of type ${typeof value}`
    throw new ValidationError(`limit: expected an integer from 1 to ${MAX_PAGE_LIMIT}, got ${shown}`)
  }
  return n
}

/** Where a page of the thread list ends: the last thread's `last_at` and id. */
export interface ThreadCursor {
  readonly lastAt: string
  readonly id: number
}

/**
 * Signs and reads opaque list cursors. A cursor is the position as JSON, base64url, with an
 * HMAC, so a client can neither read meaning into it nor forge one: a changed cursor is a 400.
 * Signed with a key derived from CRM_GMAIL_SECRET_KEY when set (cursors survive restarts),
 * otherwise with a random key of this process.
 */
export interface CursorCodec {
  encode(cursor: ThreadCursor): string
  decode(text: string): ThreadCursor
}

/** Builds the cursor codec. */
export function createCursorCodec(secretKey: Secret<Buffer> | null): CursorCodec {
  const key = secretKey === null ? randomBytes(32) : createHmac('sha256', secretKey.reveal()).update('thread-cursor').digest()
  const mac = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16)
  return {
    encode(cursor) {
      const body = Buffer.from(JSON.stringify([cursor.lastAt, cursor.id])).toString('base64url')
      return `${body}.${mac(body).toString('base64url')}`
    },
    decode(text) {
      const [body, tag, extra] = text.split('.')
      const invalid = new ValidationError('cursor: not a cursor this list gave out')
      if (body === undefined || tag === undefined || extra !== undefined || text.length > 200) throw invalid
      // The tag's text, not its decoded bytes: base64url decoding ignores the unused low bits
      // of the last character, so a changed tag could still decode to the right MAC.
      const given = Buffer.from(tag)
      const expected = Buffer.from(mac(body).toString('base64url'))
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid
      const value: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
      if (!Array.isArray(value) || typeof value[0] !== 'string' || !Number.isInteger(value[1])) throw invalid
      return { lastAt: value[0], id: value[1] as number }
    },
  }
}
