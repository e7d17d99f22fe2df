/**
 * Gmail search queries (`messages.list?q=`) for capture on Gmail's own search (issue 13): the
 * candidate queries that list the mail of the directory's terms, and the window, day and size
 * queries around them. Pure text building: the values were validated when the terms were
 * compiled (`capture/match/search-terms.ts`) and are written plain.
 */
import { ValidationError } from '../errors.js'

/**
 * Longest `q` a candidate query is given. Gmail documents no limit for `q`, but long queries
 * are refused or cut by front ends at around 2 KB of URL (the query is percent-encoded into
 * the URL of a GET); 1,500 characters leaves room for the encoding of `{`, `}`, `:` and spaces
 * and the other parameters. Chunks also keep each query's result set, and so each page's, small.
 */
export const MAX_QUERY_CHARS = 1500

/**
 * Messages larger than this (`larger:1M`) are fetched two at a time: the content pipeline asks
 * for up to 25 MiB of content in one batch of at most 25 messages, so only messages of 1 MiB or
 * less can safely fill a batch of 25 whose sizes are unknown before the get.
 */
export const MEDIUM_MESSAGE_QUERY_SIZE = '1M'

/**
 * Messages larger than this (`larger:10M`) are fetched as a part tree (`format=full`), their
 * attachments downloaded one by one later: the pipeline's `RAW_FETCH_MAX_BYTES` (10 MiB), above
 * which a whole `raw` message is too much to hold at once.
 */
export const LARGE_MESSAGE_QUERY_SIZE = '10M'

/** One day, in seconds: the span of a recall-guard sample. */
const DAY_SECONDS = 86_400

/** The operators a term's values are searched under: the headers Gmail's search reads. */
const ADDRESS_OPERATORS = ['from', 'to', 'cc', 'bcc'] as const

/** Drafts are unsent and never captured; spam and trash are left out by `messages.list` itself. */
const NOT_DRAFTS = '-in:drafts'

/** The time window a query covers, in epoch seconds; `null` means unbounded. */
export interface SearchWindow {
  /** Epoch seconds; `null` means all mail. */
  readonly after: number | null
  /** Epoch seconds; `null` or missing means up to now. */
  readonly before?: number | null
}

/** One chunk of candidate search. */
export interface CandidateQuery {
  /** The `q` parameter. */
  readonly q: string
  /** The keys of the terms this query covers. */
  readonly terms: readonly string[]
}

/** What the queries need of a term; a `SearchTerm` fits as it is. */
export interface SearchQueryTerm {
  readonly key: string
  readonly values: readonly string[]
}

function epochSeconds(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${name}: expected whole epoch seconds of 0 or more, got ${String(value)}`)
  }
  return value
}

/**
 * The window alone, drafts excluded: what lists every message of the window.
 *
 * @example
 * ```ts
 * windowQuery({ after: 1700000000 })                     // 'after:1700000000 -in:drafts'
 * windowQuery({ after: null })                           // '-in:drafts'
 * windowQuery({ after: 1700000000, before: 1700086400 }) // 'after:1700000000 before:1700086400 -in:drafts'
 * ```
 */
export function windowQuery(window: SearchWindow): string {
  const parts: string[] = []
  if (window.after !== null) parts.push(`after:${epochSeconds(window.after, 'window.after')}`)
  if (window.before !== undefined && window.before !== null) parts.push(`before:${epochSeconds(window.before, 'window.before')}`)
  parts.push(NOT_DRAFTS)
  return parts.join(' ')
}

/**
 * One day of the window, drafts excluded: what the recall guard samples.
 *
 * @example
 * ```ts
 * dayQuery(1700006400)  // 'after:1700006400 before:1700092800 -in:drafts'
 * ```
 */
export function dayQuery(dayStartEpochS: number): string {
  const after = epochSeconds(dayStartEpochS, 'dayStartEpochS')
  return windowQuery({ after, before: after + DAY_SECONDS })
}

/**
 * The window's messages over 1 MiB (`medium`) and over 10 MiB (`large`), listed once per scan
 * (ids only) so the content pipeline knows which candidates to fetch two at a time or as a
 * part tree. `largeMib` lowers the second threshold: a host whose attachment limit is under
 * 10 MiB has a message over that limit fetched as a part tree, so the oversized attachment is
 * never downloaded.
 *
 * @example
 * ```ts
 * sizeQueries({ after: 1700000000 })
 * // { medium: 'after:1700000000 -in:drafts larger:1M', large: 'after:1700000000 -in:drafts larger:10M' }
 * sizeQueries({ after: null }, 2).large // '-in:drafts larger:2M'
 * ```
 */
export function sizeQueries(window: SearchWindow, largeMib?: number): { medium: string; large: string } {
  const base = windowQuery(window)
  const large = largeMib === undefined || !Number.isSafeInteger(largeMib) || largeMib < 1 || largeMib >= 10 ? LARGE_MESSAGE_QUERY_SIZE : `${largeMib}M`
  return { medium: `${base} larger:${MEDIUM_MESSAGE_QUERY_SIZE}`, large: `${base} larger:${large}` }
}

/** A term's operators, every value under from:, to:, cc: and bcc:, space-separated. */
function termText(term: SearchQueryTerm): string {
  return term.values.flatMap((value) => ADDRESS_OPERATORS.map((operator) => `${operator}:${value}`)).join(' ')
}

/** The longest window a query carries: both bounds, each of ten digits (epoch seconds until 2286). */
const LONGEST_WINDOW: SearchWindow = { after: 9_999_999_999, before: 9_999_999_999 }

/**
 * Whether a term's query alone fits within `maxChars` whatever the window, so that
 * {@link candidateQueries} never refuses it. Term compilation keeps each term within this.
 *
 * @example
 * ```ts
 * fitsOneQuery({ key: 'domain:acme.vc', values: ['acme.vc'] })  // true
 * ```
 */
export function fitsOneQuery(term: SearchQueryTerm, maxChars: number = MAX_QUERY_CHARS): boolean {
  return 1 + termText(term).length + 2 + windowQuery(LONGEST_WINDOW).length <= maxChars
}

function maxCharsOf(options: { maxChars?: number } | undefined): number {
  const maxChars = options?.maxChars ?? MAX_QUERY_CHARS
  if (!Number.isSafeInteger(maxChars) || maxChars < 1) {
    throw new ValidationError(`maxChars: expected a whole number of characters of 1 or more, got ${String(maxChars)}`)
  }
  return maxChars
}

/**
 * The candidate queries of a set of terms over a window: each `{from:v to:v cc:v bcc:v ...}`
 * (a `{ }` group is Gmail's OR) followed by the window and `-in:drafts`, filled with whole
 * terms in the order given until the next would pass `maxChars`. Every term is in exactly one
 * query; no terms, no queries. Throws a `ValidationError` naming the term when one term alone
 * does not fit.
 *
 * @example
 * ```ts
 * candidateQueries(
 *   [{ key: 'addr:dana@acme.vc', kind: 'address', values: ['dana@acme.vc'], identities: ['contact:3'] },
 *    { key: 'domain:globex.example', kind: 'domain', values: ['globex.example'], identities: ['org:7'] }],
 *   { after: 1700000000 },
 * )
 * // [{ q: '{from:dana@acme.vc to:dana@acme.vc cc:dana@acme.vc bcc:dana@acme.vc from:globex.example '
 * //      + 'to:globex.example cc:globex.example bcc:globex.example} after:1700000000 -in:drafts',
 * //    terms: ['addr:dana@acme.vc', 'domain:globex.example'] }]
 * ```
 */
export function candidateQueries(
  terms: readonly SearchQueryTerm[],
  window: SearchWindow,
  options?: { maxChars?: number },
): CandidateQuery[] {
  const maxChars = maxCharsOf(options)
  const suffix = `} ${windowQuery(window)}`
  const queries: CandidateQuery[] = []
  let texts: string[] = []
  let keys: string[] = []
  // Characters of `{` + the texts joined by spaces + the suffix.
  let length = 0

  const flush = (): void => {
    if (texts.length === 0) return
    queries.push({ q: `{${texts.join(' ')}${suffix}`, terms: keys })
    texts = []
    keys = []
  }

  for (const term of terms) {
    const text = termText(term)
    const alone = 1 + text.length + suffix.length
    if (term.values.length === 0 || alone > maxChars) {
      throw new ValidationError(
        term.values.length === 0
          ? `search term ${term.key}: has no value to search`
          : `search term ${term.key}: its query takes ${alone} characters, more than the limit of ${maxChars}; shorten or split the directory entry's addresses`,
      )
    }
    if (texts.length > 0 && length + 1 + text.length > maxChars) flush()
    length = texts.length === 0 ? alone : length + 1 + text.length
    texts.push(text)
    keys.push(term.key)
  }
  flush()
  return queries
}
