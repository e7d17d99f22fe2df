import { describeValue } from '../config/resolve.js'
import { ValidationError } from '../errors.js'
import { readDateInput } from '../mail/date-input.js'
import { startOfZonedDay } from './zone.js'

/**
 * The longest `hours` window: a month. A digest is a reading of recent activity; longer spans
 * belong to the thread list and search, and a huge window would be a huge (and slow) build.
 */
export const MAX_DIGEST_HOURS = 720

const HOUR_MS = 3_600_000
const INTEGER_TEXT = /^\d{1,6}$/

/** What a caller asks a digest over: the last `hours`, or everything `since` a date. */
export type DigestWindowInput = { readonly hours: number | string } | { readonly since: string }

/** A digest window: ISO instants, `from` inclusive, `to` exclusive. */
export interface DigestWindow {
  readonly from: string
  readonly to: string
}

// Values are shown with `describeValue`, never `String(value)`: a body's `{"toString": 1}`
// would make that throw, and a thrown TypeError is a 500, not a 400.

function hoursOf(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < 1 || n > MAX_DIGEST_HOURS) {
    throw new ValidationError(`hours: expected an integer from 1 to ${MAX_DIGEST_HOURS}, got ${describeValue(value)}`)
  }
  return n
}

function sinceOf(value: unknown, now: Date, timeZone: string): Date {
  const input = typeof value === 'string' ? readDateInput(value) : null
  if (typeof value !== 'string' || input === null) {
    throw new ValidationError(`since: expected a date (YYYY-MM-DD) or an ISO date-time, got ${describeValue(value)}`)
  }
  // A bare date means the start of that day where the team lives, the digest's time zone.
  const instant = input.kind === 'date' ? startOfZonedDay(value, timeZone) : new Date(input.ms)
  if (Number.isNaN(instant.getTime())) throw new ValidationError(`since: ${describeValue(value)} is outside the dates this digest can read`)
  if (instant.getTime() > now.getTime()) throw new ValidationError('since: must not be in the future')
  return instant
}

/**
 * Reads a digest window: `{ hours }` (an integer from 1 to {@link MAX_DIGEST_HOURS}) or
 * `{ since }` (a date, read in `timeZone`, or an ISO date-time; not in the future), ending at
 * `now`. Anything else is a `ValidationError` (400) naming the field.
 *
 * @example
 * ```ts
 * parseDigestWindow({ hours: 24 }, new Date('2026-06-02T07:00:00Z'), 'UTC')
 * // { from: '2026-06-01T07:00:00.000Z', to: '2026-06-02T07:00:00.000Z' }
 * ```
 */
export function parseDigestWindow(input: unknown, now: Date, timeZone: string): DigestWindow {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('window: expected { hours } or { since }')
  }
  const { hours, since } = input as { hours?: unknown; since?: unknown }
  const hasHours = hours !== undefined && hours !== null && hours !== ''
  const hasSince = since !== undefined && since !== null && since !== ''
  if (hasHours && hasSince) throw new ValidationError('hours, since: give one of them, not both')
  if (!hasHours && !hasSince) throw new ValidationError('hours or since: required')
  const from = hasHours ? new Date(now.getTime() - hoursOf(hours) * HOUR_MS) : sinceOf(since, now, timeZone)
  return { from: from.toISOString(), to: now.toISOString() }
}
