import { MAX_DATE_LENGTH } from './limits.js'

/*
 * Date headers are read by hand rather than with `Date.parse`, whose handling of non-ISO text is
 * implementation-defined and, for a date without a zone, depends on the host's time zone: the
 * same message must get the same date on every server, since the date feeds the fingerprint.
 */

const MONTHS = new Map<string, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i]),
)

/**
 * Zone names seen in real Date headers, in minutes east of UTC. RFC 5322 knows only the
 * US ones; the rest come from mailers that write local abbreviations. An unknown name is read
 * as UTC, as RFC 5322 §4.3 says of other obsolete zones.
 */
const ZONES = new Map<string, number>([
  ['ut', 0], ['utc', 0], ['gmt', 0], ['z', 0], ['wet', 0],
  ['edt', -240], ['est', -300], ['cdt', -300], ['cst', -360], ['mdt', -360], ['mst', -420],
  ['pdt', -420], ['pst', -480], ['akdt', -480], ['akst', -540], ['hst', -600],
  ['bst', 60], ['cet', 60], ['met', 60], ['west', 60], ['cest', 120], ['mest', 120], ['eet', 120],
  ['eest', 180], ['msk', 180], ['ist', 330], ['hkt', 480], ['sgt', 480], ['awst', 480],
  ['jst', 540], ['kst', 540], ['acst', 570], ['aest', 600], ['aedt', 660], ['nzst', 720], ['nzdt', 780],
])

const TIME = String.raw`(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,]\d{1,9})?)?`
// A numeric offset, a name, a name with an offset (GMT+0200), optionally followed by a name.
const ZONE = String.raw`(?:\s*([+-]\d{1,2}(?::?\d{2})?|[a-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)(?:\s+[a-z]{1,5})?)?`

/** RFC 5322 (`1 Jul 2003 10:52:37 +0200`), also with dashes (`1-Jul-2003`). */
const DAY_FIRST = new RegExp(String.raw`^(\d{1,2})[\s-]+([a-z]{3,9})\.?[\s-]+(\d{2,4})\s+${TIME}${ZONE}$`)
/** `Jul 1 2003 10:52:37 +0200`, as some scripts write it. */
const MONTH_FIRST = new RegExp(String.raw`^([a-z]{3,9})\.?\s+(\d{1,2})\s+(\d{2,4})\s+${TIME}${ZONE}$`)
/** asctime: `Jul  1 10:52:37 2003`, zone optionally before the year. */
const ASCTIME = new RegExp(String.raw`^([a-z]{3,9})\s+(\d{1,2})\s+${TIME}${ZONE}\s+(\d{4})$`)
/** ISO 8601 and the SQL-ish form: `2003-07-01T10:52:37Z`, `2003-07-01 10:52:37 +02:00`. */
const ISO = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t\s]+${TIME}${ZONE})?$`)

const DAY_NAME = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*/

interface DateFields {
  year: string
  month: number
  day: string
  hour: string | undefined
  minute: string | undefined
  second: string | undefined
  zone: string | undefined
}

/**
 * A Date header as ISO-8601 UTC, or `null` when it cannot be read as a date. Accepts RFC 5322
 * and the broken forms mailers produce: comments, missing day name or seconds, two-digit
 * years, zone names, `GMT+0200`, dashes or dots as separators, asctime and ISO 8601. A date
 * without a zone is taken as UTC.
 *
 * @example
 * ```ts
 * parseDateHeader('Tue, 1 Jul 2003 10:52:37 +0200 (CEST)') // '2003-07-01T08:52:37.000Z'
 * parseDateHeader('yesterday')                              // null
 * ```
 */
export function parseDateHeader(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.length > MAX_DATE_LENGTH) return null
  const text = value
    .toLowerCase()
    .replace(/\([^()]*\)/g, ' ')
    .replace(/,/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(DAY_NAME, '')
  const fields = matchFields(text)
  return fields === null ? null : toIso(fields)
}

function matchFields(text: string): DateFields | null {
  let m = DAY_FIRST.exec(text)
  if (m) return withMonth(m[3], m[2], m[1], m[4], m[5], m[6], m[7])
  m = MONTH_FIRST.exec(text)
  if (m) return withMonth(m[3], m[1], m[2], m[4], m[5], m[6], m[7])
  m = ASCTIME.exec(text)
  if (m) return withMonth(m[7], m[1], m[2], m[3], m[4], m[5], m[6])
  m = ISO.exec(text)
  if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined) {
    return { year: m[1], month: Number(m[2]) - 1, day: m[3], hour: m[4], minute: m[5], second: m[6], zone: m[7] }
  }
  return null
}

function withMonth(
  year: string | undefined,
  monthName: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
  zone: string | undefined,
): DateFields | null {
  const month = MONTHS.get((monthName ?? '').slice(0, 3))
  if (year === undefined || day === undefined || month === undefined) return null
  return { year, month, day, hour, minute, second, zone }
}

function toIso(f: DateFields): string | null {
  let year = Number(f.year)
  // RFC 5322 §4.3: two-digit years below 50 are 20xx, the rest (and three digits) 19xx.
  if (f.year.length === 2) year += year < 50 ? 2000 : 1900
  else if (f.year.length === 3) year += 1900
  const day = Number(f.day)
  const hour = Number(f.hour ?? 0)
  const minute = Number(f.minute ?? 0)
  // A leap second is real but Date cannot hold it; the second before is close enough.
  const second = Math.min(Number(f.second ?? 0), 59)
  const offset = zoneOffset(f.zone)
  if (offset === null || year < 1900 || year > 9999 || f.month < 0 || f.month > 11) return null
  const daysInMonth = new Date(Date.UTC(year, f.month + 1, 0)).getUTCDate()
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return null
  const ms = Date.UTC(year, f.month, day, hour, minute, second) - offset * 60_000
  const date = new Date(ms)
  const utcYear = date.getUTCFullYear()
  return utcYear < 1 || utcYear > 9999 ? null : date.toISOString()
}

/** Minutes east of UTC, or `null` when the zone is numeric but out of range. */
function zoneOffset(zone: string | undefined): number | null {
  if (zone === undefined || zone === '') return 0
  const named = /^([a-z]+)(.*)$/.exec(zone)
  if (named) {
    const base = ZONES.get(named[1] ?? '') ?? 0
    const rest = named[2] ?? ''
    if (rest === '') return base
    const extra = numericOffset(rest)
    return extra === null ? null : base + extra
  }
  return numericOffset(zone)
}

function numericOffset(zone: string): number | null {
  const m = /^([+-])(\d{1,2}?)(?::?(\d{2}))?$/.exec(zone)
  if (!m) return null
  const hours = Number(m[2] ?? 0)
  const minutes = Number(m[3] ?? 0)
  if (hours > 23 || minutes > 59) return null
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes)
}

/**
 * Gmail's `internalDate` (milliseconds since the epoch, a decimal string) as ISO-8601 UTC, or
 * `null` when it is missing or not a usable time.
 *
 * @example
 * ```ts
 * internalDateToIso('1057049557000') // '2003-07-01T08:52:37.000Z'
 * ```
 */
export function internalDateToIso(value: string | null | undefined): string | null {
  if (value === null || value === undefined || !/^\d{1,15}$/.test(value.trim())) return null
  const date = new Date(Number(value.trim()))
  const year = date.getUTCFullYear()
  return Number.isNaN(date.getTime()) || year > 9999 ? null : date.toISOString()
}
