/**
 * User input -> query words, and database highlights -> the plain-text highlight of the API.
 * User input is never query syntax: it is split into words (Unicode letters, marks and digits),
 * everything else is dropped, and each backend quotes every word. `"`, `OR`, `*`, `NEAR(a b)`,
 * `-`, `:` and `^` are plain words or nothing.
 */
import { FIELD_WEIGHT_LABELS, SEARCH_FIELDS, searchWords, type SearchField } from '../db/search-index.js'
import { ValidationError } from '../errors.js'
import { MARK_CLOSE, MARK_OPEN } from './backend.js'

/** The longest query accepted: a search box, not a document; bounds the work of one request. */
export const MAX_QUERY_CHARS = 500
/** The most words in a query: each is a term the index intersects. */
export const MAX_QUERY_WORDS = 20

/** Marks the database puts around matches: private-use characters that mail text does not use. */
export const DB_MARK_OPEN = '\uE000'
/** See {@link DB_MARK_OPEN}. */
export const DB_MARK_CLOSE = '\uE001'

/**
 * Checks the query text: empty or whitespace-only, too long, or too many words is a
 * `ValidationError` (400). A query of punctuation only is valid and finds nothing.
 *
 * @example
 * ```ts
 * checkQuery('  ') // throws ValidationError
 * ```
 */
export function checkQuery(text: string): void {
  if (text.trim() === '') throw new ValidationError('q: required (a word to search for)')
  if (text.length > MAX_QUERY_CHARS) throw new ValidationError(`q: at most ${MAX_QUERY_CHARS} characters`)
  if (queryWords(text).length > MAX_QUERY_WORDS) throw new ValidationError(`q: at most ${MAX_QUERY_WORDS} words`)
}

/**
 * The distinct words of a query, lowercased, in order.
 *
 * @example
 * ```ts
 * queryWords('NEAR(a b) OR "x"') // ['near', 'a', 'b', 'or', 'x']
 * ```
 */
export function queryWords(text: string): string[] {
  return [...new Set(searchWords(text).map((w) => w.toLowerCase()))]
}

/** Whether a list of fields is every indexed field (no restriction to write). */
function isEveryField(fields: readonly SearchField[]): boolean {
  return SEARCH_FIELDS.every((f) => fields.includes(f))
}

/**
 * An FTS5 MATCH expression: every word a quoted string (so never an operator), all required,
 * the last one also as a prefix so results come while the user is still typing (unless
 * `lastIsPrefix` is false). Given fields, every word must occur in one of them (an FTS5 column
 * filter).
 *
 * @example
 * ```ts
 * fts5Match(['term', 'she']) // '"term" "she"*'
 * fts5Match(['term', 'she'], ['participants']) // '{participants} : ("term" "she"*)'
 * ```
 */
export function fts5Match(words: readonly string[], fields: readonly SearchField[] = SEARCH_FIELDS, lastIsPrefix = true): string {
  // Words hold only letters, marks and digits: no `"` to escape.
  const all = words.map((w, i) => `"${w}"${lastIsPrefix && i === words.length - 1 ? '*' : ''}`).join(' ')
  return isEveryField(fields) ? all : `{${fields.join(' ')}} : (${all})`
}

/**
 * A PostgreSQL tsquery text for `to_tsquery('simple', ...)`: every word quoted, ANDed, the last
 * one as a prefix. Built here rather than with `websearch_to_tsquery`, which gives `or` and
 * `-` meaning. Given fields, every word carries their weight labels, so it matches only there.
 *
 * @example
 * ```ts
 * pgTsQuery(['term', 'she']) // "'term' & 'she':*"
 * pgTsQuery(['term', 'she'], ['subject', 'participants']) // "'term':AB & 'she':*AB"
 * ```
 */
export function pgTsQuery(words: readonly string[], fields: readonly SearchField[] = SEARCH_FIELDS): string {
  const labels = isEveryField(fields) ? '' : fields.map((f) => FIELD_WEIGHT_LABELS[f]).join('')
  return words.map((w, i) => `'${w}'${i === words.length - 1 ? ':*' : labels === '' ? '' : ':'}${labels}`).join(' & ')
}

/**
 * The API's highlight from a database one: the database's marks become `«` `»`; a `«` or `»`
 * of the mail itself becomes `‹` `›`, so every pair of guillemets is a match; whitespace and
 * control characters collapse to single spaces.
 *
 * @example
 * ```ts
 * highlightText('the \uE000deck\uE001 is «attached»') // 'the «deck» is ‹attached›'
 * ```
 */
export function highlightText(raw: string): string {
  return raw
    .replace(/[«»]/g, (c) => (c === '«' ? '‹' : '›'))
    .replaceAll(DB_MARK_OPEN, MARK_OPEN)
    .replaceAll(DB_MARK_CLOSE, MARK_CLOSE)
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim()
}
