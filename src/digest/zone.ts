/**
 * Calendar arithmetic in the digest's IANA time zone, with `Intl` only: the daily digest is
 * due by the team's wall clock, not by UTC, and no time-zone library is worth a dependency here.
 */

/** A wall-clock reading in one time zone. */
export interface ZonedTime {
  /** The local calendar date, `YYYY-MM-DD`. */
  readonly date: string
  /** The local hour, 0 to 23. */
  readonly hour: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

function fields(ms: number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 }
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value)
  }
  return out
}

/**
 * The local date and hour of an instant in `timeZone`.
 *
 * @example
 * ```ts
 * zonedTime(new Date('2026-06-01T22:30:00Z'), 'Europe/Berlin') // { date: '2026-06-02', hour: 0 }
 * ```
 */
export function zonedTime(instant: Date, timeZone: string): ZonedTime {
  const f = fields(instant.getTime(), timeZone)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  return { date: `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`, hour: f.hour }
}

/** How far `timeZone` is ahead of UTC at an instant, in milliseconds. */
function offsetMs(ms: number, timeZone: string): number {
  const f = fields(ms, timeZone)
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second)
  return wall - (ms - (((ms % 1000) + 1000) % 1000))
}

/**
 * The instant a local calendar date starts in `timeZone`. Two passes settle the offset when
 * midnight is near a daylight-saving change.
 *
 * @example
 * ```ts
 * startOfZonedDay('2026-06-02', 'Europe/Berlin') // 2026-06-01T22:00:00.000Z
 * ```
 */
export function startOfZonedDay(date: string, timeZone: string): Date {
  const [year = 0, month = 1, day = 1] = date.split('-').map(Number)
  const guess = Date.UTC(year, month - 1, day)
  const first = guess - offsetMs(guess, timeZone)
  return new Date(guess - offsetMs(first, timeZone))
}
