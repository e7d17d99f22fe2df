/**
 * Dates as callers type them into filters and digest windows: a calendar date (`2026-06-01`)
 * or an ISO date-time with a zone (`2026-06-01T09:30Z`, `2026-06-01T09:30:00.5+02:00`).
 * Checked field by field, because `Date.parse` rolls nonsense over (`2026-02-30T10:00Z` reads
 * as March 2) or answers `NaN` that later throws from `toISOString()`.
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/

/** A date as read: a calendar date (midnight UTC of that day) or an instant, in ms since the epoch. */
export interface DateInput {
  readonly kind: 'date' | 'instant'
  /** For a date, midnight UTC of that day. */
  readonly ms: number
}

/** Whether year, month and day name a day of the (proleptic Gregorian) calendar. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
  return day <= days
}

/**
 * Reads a calendar date or an ISO date-time with a zone; `null` for anything else (month 13 or
 * 00, February 30, hour 24, minute 60, a zone beyond ±23:59, no zone at all).
 *
 * @example
 * ```ts
 * readDateInput('2026-06-01')        // { kind: 'date', ms: 1780272000000 }
 * readDateInput('2026-02-30T10:00Z') // null
 * ```
 */
export function readDateInput(text: string): DateInput | null {
  const date = DATE_ONLY.exec(text)
  if (date !== null) {
    const [y = 0, m = 0, d = 0] = date.slice(1).map(Number)
    if (!isCalendarDay(y, m, d)) return null
    // The ISO form, not `Date.UTC`, which reads years 0 to 99 as 1900 to 1999.
    return { kind: 'date', ms: Date.parse(`${text}T00:00:00Z`) }
  }
  const time = DATE_TIME.exec(text)
  if (time === null) return null
  // An absent part (no seconds, a `Z` zone) reads as NaN, which no bound below refuses.
  const [y = 0, m = 0, d = 0, hour = 0, minute = 0, second = 0, zoneHour = 0, zoneMinute = 0] = time.slice(1).map(Number)
  if (!isCalendarDay(y, m, d) || hour > 23 || minute > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59) return null
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : { kind: 'instant', ms }
}
