/**
 * The subset of Gmail's search syntax (`q`) the emulator understands. Gmail treats unknown
 * words as full-text search; the emulator refuses them (400) instead, so a test never passes
 * because a filter was silently ignored.
 */

/** What a search needs to know about a message. */
export interface SearchableMessage {
  readonly labelIds: readonly string[]
  readonly internalDate: number
}

/** A parsed `q`: a predicate, and whether it names SPAM or TRASH (which lifts their exclusion). */
export interface SearchQuery {
  readonly matches: (message: SearchableMessage) => boolean
  readonly namesSpamOrTrash: boolean
}

/** The `in:` words and the label each means; `anywhere` means every label, spam and trash included. */
const IN_LABELS: Readonly<Record<string, string>> = {
  inbox: 'INBOX', sent: 'SENT', spam: 'SPAM', trash: 'TRASH', drafts: 'DRAFT', draft: 'DRAFT',
  starred: 'STARRED', important: 'IMPORTANT', chats: 'CHAT',
}

const SUPPORTED = 'after:, before:, older:, newer: (YYYY/MM/DD or epoch seconds), in:, label:, each optionally negated with -'

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

/** Epoch ms of midnight on a calendar day in Los Angeles (DST-aware). */
export function midnightInLosAngeles(year: number, month: number, day: number): number {
  const utcMidnight = Date.UTC(year, month - 1, day)
  // Two passes: the first offset may belong to the other side of a DST switch.
  const guess = utcMidnight - offsetMinutes(utcMidnight) * 60_000
  return utcMidnight - offsetMinutes(guess) * 60_000
}

/** A `q` date (`YYYY/MM/DD`, `YYYY-MM-DD`, `MM/DD/YYYY`) or epoch seconds, as epoch ms. */
function parseSearchDate(text: string): number | null {
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

function labelKey(name: string): string {
  // Gmail writes label names in searches with dashes for spaces and slashes.
  return name.toLowerCase().replace(/[\s/_]+/g, '-')
}

type Predicate = (message: SearchableMessage) => boolean

function termPredicate(operator: string, value: string): Predicate | null {
  if (operator === 'after' || operator === 'newer' || operator === 'before' || operator === 'older') {
    const at = parseSearchDate(value)
    if (at === null) return null
    // `after:` includes its own day, `before:` excludes it, as in Gmail.
    return operator === 'after' || operator === 'newer' ? (m) => m.internalDate >= at : (m) => m.internalDate < at
  }
  if (operator === 'in') {
    if (value === 'anywhere') return () => true
    const label = IN_LABELS[value]
    return label === undefined ? null : (m) => m.labelIds.includes(label)
  }
  if (operator === 'label') {
    const key = labelKey(value)
    return key === '' ? null : (m) => m.labelIds.some((l) => labelKey(l) === key)
  }
  return null
}

/** Parses `q`; an unsupported or malformed term gives `{ error }` naming it. */
export function parseSearchQuery(q: string): SearchQuery | { readonly error: string } {
  const predicates: Predicate[] = []
  let namesSpamOrTrash = false
  for (const term of q.trim().split(/\s+/).filter((t) => t !== '')) {
    const negated = term.startsWith('-')
    const match = /^([a-z]+):(.+)$/i.exec(negated ? term.slice(1) : term)
    const operator = match?.[1]?.toLowerCase() ?? ''
    const value = match?.[2]?.toLowerCase() ?? ''
    const predicate = match === null || (negated && value === 'anywhere') ? null : termPredicate(operator, value)
    if (predicate === null) {
      return { error: `Unsupported search term in q: ${JSON.stringify(term)}; the emulator supports ${SUPPORTED}` }
    }
    if (!negated && (operator === 'in' || operator === 'label') && ['spam', 'trash', 'anywhere'].includes(value)) {
      namesSpamOrTrash = true
    }
    predicates.push(negated ? (m) => !predicate(m) : predicate)
  }
  return { matches: (m) => predicates.every((p) => p(m)), namesSpamOrTrash }
}
