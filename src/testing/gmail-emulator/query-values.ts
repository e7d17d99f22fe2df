/**
 * The values of the emulator's search operators: dates (`after:`), sizes (`larger:`),
 * addresses and domains (`from:`), and full-text phrases.
 */

/** Google documents that dates in `q` are midnight in America/Los_Angeles. */
const SEARCH_TIME_ZONE = 'America/Los_Angeles'
const zoneFormat = new Intl.DateTimeFormat('en-US', { timeZone: SEARCH_TIME_ZONE, timeZoneName: 'longOffset' })

function offsetMinutes(at: number): number {
  const name = zoneFormat.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
  if (match === null) return 0
  const minutes = Number(match[2]) * 60 + Number(match[3])
  return match[1] === '-' ? -minutes : minutes
}

/**
 * Epoch ms of midnight on a calendar day in Los Angeles (DST-aware).
 *
 * @example
 * ```ts
 * midnightInLosAngeles(2026, 7, 10) === Date.UTC(2026, 6, 10, 7) // PDT is UTC-7
 * ```
 */
export function midnightInLosAngeles(year: number, month: number, day: number): number {
  const utcMidnight = Date.UTC(year, month - 1, day)
  // Two passes: the first offset may belong to the other side of a DST switch.
  const guess = utcMidnight - offsetMinutes(utcMidnight) * 60_000
  return utcMidnight - offsetMinutes(guess) * 60_000
}

/**
 * A `q` date (`YYYY/MM/DD`, `YYYY-MM-DD`, `MM/DD/YYYY`) or epoch seconds, as epoch ms; `null`
 * when it is neither or names no real day.
 *
 * @example
 * ```ts
 * parseSearchDate('1700000000') // 1700000000000
 * parseSearchDate('2026/13/45') // null
 * ```
 */
export function parseSearchDate(text: string): number | null {
  if (/^\d{1,12}$/.test(text)) return Number(text) * 1000
  const ymd = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(text)
  const mdy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text)
  const [y, m, d] = ymd !== null ? [ymd[1], ymd[2], ymd[3]] : mdy !== null ? [mdy[3], mdy[1], mdy[2]] : []
  if (y === undefined || m === undefined || d === undefined) return null
  const year = Number(y)
  const month = Number(m)
  const day = Number(d)
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null
  return midnightInLosAngeles(year, month, day)
}

/** `K` and `M` after a size are binary units, as Gmail reads them. */
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 * 1024 }

/**
 * A `larger:`/`smaller:`/`size:` value in bytes: digits, optionally followed by `K` or `M`.
 *
 * @example
 * ```ts
 * parseSearchSize('1M') // 1048576
 * parseSearchSize('big') // null
 * ```
 */
export function parseSearchSize(text: string): number | null {
  const match = /^(\d{1,15})([km]?)$/i.exec(text)
  if (match === null) return null
  return Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1)
}

/** A domain name: dot-separated LDH labels, at least two of them. */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/
/** An address: one `@`, no blanks, a domain after it. */
const ADDRESS = /^[^\s@]+@([^\s@]+)$/

/**
 * The normal form of a `from:`-style value: a value with `@` (an address, matched exactly and
 * case-insensitively) or a domain name (matching addresses in that domain or any subdomain of
 * it), lower-cased, angle brackets dropped; anything else (a name, a local part, `me`, a
 * one-label domain) is not modelled: `null`.
 *
 * @example
 * ```ts
 * addressValue('<Jo@Acme.com>') // 'jo@acme.com'
 * addressValue('acme.com')      // 'acme.com'
 * addressValue('amy')           // null
 * ```
 */
export function addressValue(value: string): string | null {
  const v = value.toLowerCase().replace(/^<(.*)>$/, '$1')
  const address = ADDRESS.exec(v)
  if (address !== null) return DOMAIN.test(address[1] ?? '') ? v : null
  return DOMAIN.test(v) ? v : null
}

const WORD_CHAR = /[\p{L}\p{N}_]/u

function boundaryAt(text: string, index: number): boolean {
  return index < 0 || index >= text.length || !WORD_CHAR.test(text.charAt(index))
}

/**
 * A test of the full-text field for a word or quoted phrase: case-insensitive, blanks
 * collapsed, and matching whole words only (`meet` does not find `meeting`), as Gmail does.
 *
 * @example
 * ```ts
 * phraseMatcher('Q3 report')('the q3 report is late') // true
 * phraseMatcher('port')('the q3 report is late') // false
 * ```
 */
export function phraseMatcher(value: string): (text: string) => boolean {
  const phrase = value.replace(/\s+/g, ' ').trim().toLowerCase()
  const checkStart = WORD_CHAR.test(phrase.charAt(0))
  const checkEnd = WORD_CHAR.test(phrase.charAt(phrase.length - 1))
  return (text) => {
    for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + 1)) {
      if ((!checkStart || boundaryAt(text, at - 1)) && (!checkEnd || boundaryAt(text, at + phrase.length))) return true
    }
    return false
  }
}
