/**
 * When the team's mail is sent: thread starts spread over the window and denser in recent
 * months (the fund is busier than a year ago, and the page opens on recent mail), in working
 * hours on weekdays, and replies after their parents. Times are UTC; the Date headers say +0000.
 */
import type { Random } from './team-mailbox-random.js'

/** Milliseconds in a minute, an hour and a day (UTC days have no DST). */
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** The working day, in UTC hours: business mail is sent between these. */
const WORK_START_HOUR = 8
const WORK_END_HOUR = 18.5
/** Personal mail is written early, late and at weekends too. */
const PERSONAL_START_HOUR = 7
const PERSONAL_END_HOUR = 22.5
/** Share of thread starts drawn uniformly over the window; the rest lean towards `now`. */
const UNIFORM_SHARE = 0.35

/** Business hours on weekdays, or any day from morning to late evening. */
export type Rhythm = 'work' | 'personal'

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY
}

function hours(rhythm: Rhythm): readonly [number, number] {
  return rhythm === 'work' ? [WORK_START_HOUR, WORK_END_HOUR] : [PERSONAL_START_HOUR, PERSONAL_END_HOUR]
}

function isWeekend(ms: number): boolean {
  const day = new Date(ms).getUTCDay()
  return day === 0 || day === 6
}

/**
 * The first moment at or after `ms` when mail of this rhythm is written: outside the hours it
 * moves to the next morning (plus a short random lag, so mornings are not one timestamp).
 */
export function nextWritingTime(random: Random, ms: number, rhythm: Rhythm): number {
  const [start, end] = hours(rhythm)
  let t = ms
  for (let guard = 0; guard < 8; guard++) {
    const day = startOfDay(t)
    const hour = (t - day) / HOUR
    if (rhythm === 'work' && isWeekend(t)) {
      t = day + DAY + start * HOUR + random.int(0, 90) * MINUTE
      continue
    }
    if (hour < start) return day + start * HOUR + random.int(0, 90) * MINUTE
    if (hour >= end) {
      t = day + DAY + start * HOUR + random.int(0, 90) * MINUTE
      continue
    }
    return t
  }
  return t
}

/**
 * When a thread starts: a day in `[now - days, now)`, more often recent ones, at a random time
 * of its working hours. Never after `now - minAgeMs`.
 */
export function threadStart(random: Random, now: number, days: number, rhythm: Rhythm, minAgeMs = 0): number {
  const recency = random.chance(UNIFORM_SHARE) ? random.next() : Math.sqrt(random.next())
  const windowStart = now - days * DAY
  const day = startOfDay(windowStart + recency * (now - windowStart))
  const [start, end] = hours(rhythm)
  let t = nextWritingTime(random, day + (start + random.next() * (end - start)) * HOUR + random.int(0, 59) * 1000, rhythm)
  const latest = now - minAgeMs
  while (t > latest) {
    t -= DAY
    while (rhythm === 'work' && isWeekend(t)) t -= DAY
  }
  return wholeSecond(Math.max(t, windowStart + HOUR))
}

/**
 * When the answer to a message sent at `after` goes out: minutes to days later (most answers
 * come within hours), moved into working hours. Always at least a minute after `after`.
 */
export function replyTime(random: Random, after: number, rhythm: Rhythm, maxDelayMs = 3 * DAY): number {
  const delay = random.logUniform(6 * MINUTE, maxDelayMs) + random.int(0, 59) * 1000
  return wholeSecond(nextWritingTime(random, after + Math.max(MINUTE, Math.round(delay)), rhythm))
}

/** Date headers carry whole seconds; so do the dates, so that header and `internalDate` agree. */
function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000
}

/** The RFC 5322 form of a date, in UTC (`Tue, 02 Jun 2026 09:14:07 +0000`). */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${WEEKDAYS[d.getUTCDay()] ?? ''}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

/** How a mail client introduces a quote: `Tue, 2 Jun 2026 at 09:14`. */
export function quoteDate(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${WEEKDAYS[d.getUTCDay()] ?? ''}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} at ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
}

/** The calendar quarter of a date (`Q2 2026`). */
export function quarterOf(ms: number): string {
  const d = new Date(ms)
  return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${d.getUTCFullYear()}`
}

/** The quarter before the one `ms` falls in: the one a quarterly report covers. */
export function previousQuarter(ms: number): string {
  const d = new Date(ms)
  const q = Math.floor(d.getUTCMonth() / 3)
  return q === 0 ? `Q4 ${d.getUTCFullYear() - 1}` : `Q${q} ${d.getUTCFullYear()}`
}

/** A month name and day (`June 9`), for meeting dates in subjects. */
export function monthDay(ms: number): string {
  const names = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
  const d = new Date(ms)
  return `${names[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}`
}

/** The weekday name of a date (`Thursday`). */
export function weekdayName(ms: number): string {
  return ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][new Date(ms).getUTCDay()] ?? ''
}
