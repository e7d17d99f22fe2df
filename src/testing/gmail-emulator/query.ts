/**
 * The part of Gmail's search syntax (`q`) the emulator models, evaluated over the fields each
 * message precomputed when it was added. Gmail reads unknown operators as full text; the
 * emulator refuses them (400) instead, so a test never passes because a filter was ignored.
 */
import type { StoredMessage } from './mailbox.js'
import { QuerySyntaxError, parseQueryTree } from './query-parse.js'
import type { QueryNode } from './query-parse.js'
import { addressValue, parseSearchDate, parseSearchSize, phraseMatcher } from './query-values.js'
import type { SearchAddresses } from './search-fields.js'

export { midnightInLosAngeles } from './query-values.js'

/** What a search needs to know about a message. */
export type SearchableMessage = Pick<StoredMessage, 'labelIds' | 'internalDate' | 'rfcMessageId' | 'search' | 'hiddenFromSearch'>

/** A parsed `q`: a predicate, and whether it names SPAM or TRASH (which lifts their exclusion). */
export interface SearchQuery {
  readonly matches: (message: SearchableMessage) => boolean
  readonly namesSpamOrTrash: boolean
  /**
   * Whether the query reads the search index (an address operator, `rfc822msgid:` or a
   * full-text word): a message hidden from search never matches such a query.
   */
  readonly readsIndex: boolean
}

type Predicate = (message: SearchableMessage) => boolean

/** The `in:` words and the label each means; `anywhere` means every label, spam and trash included. */
const IN_LABELS: Readonly<Record<string, string>> = {
  inbox: 'INBOX', sent: 'SENT', spam: 'SPAM', trash: 'TRASH', drafts: 'DRAFT', draft: 'DRAFT',
  starred: 'STARRED', important: 'IMPORTANT', chats: 'CHAT',
}

/** The `is:` words and the label each means (`is:read` is the absence of UNREAD). */
const IS_LABELS: Readonly<Record<string, string>> = { unread: 'UNREAD', starred: 'STARRED', important: 'IMPORTANT' }

/** Address operators and the header each reads; `to:` is the To header only, as in Gmail. */
const ADDRESS_FIELDS: Readonly<Record<string, keyof SearchAddresses>> = {
  from: 'from', to: 'to', cc: 'cc', bcc: 'bcc', deliveredto: 'deliveredTo',
}

const SUPPORTED = 'from:, to:, cc:, bcc:, deliveredto: (an address or a domain), rfc822msgid:, ' +
  'after:, before:, older:, newer: (YYYY/MM/DD or epoch seconds), in:, label:, is:unread/read/starred/important, ' +
  'has:attachment, larger:, smaller:, size: (bytes, K or M), words and "phrases", with OR, { }, ( ) and -'

function labelKey(name: string): string {
  // Gmail writes label names in searches with dashes for spaces and slashes.
  return name.toLowerCase().replace(/[\s/_]+/g, '-')
}

function unsupported(term: string, why = ''): QuerySyntaxError {
  return new QuerySyntaxError(`Unsupported search term in q: ${JSON.stringify(term)}${why}; the emulator supports ${SUPPORTED}`)
}

interface CompileState {
  namesSpamOrTrash: boolean
  readsIndex: boolean
}

function datePredicate(operator: string, value: string): Predicate | null {
  const at = parseSearchDate(value)
  if (at === null) return null
  // `after:` includes its own day, `before:` excludes it, as in Gmail.
  return operator === 'after' || operator === 'newer' ? (m) => m.internalDate >= at : (m) => m.internalDate < at
}

function sizePredicate(operator: string, value: string): Predicate | null {
  const bytes = parseSearchSize(value)
  if (bytes === null) return null
  // Gmail's help reads `size:` as "larger than"; both compare strictly, on the raw size.
  return operator === 'smaller' ? (m) => m.search.size < bytes : (m) => m.search.size > bytes
}

function labelPredicate(operator: string, value: string, positive: boolean, state: CompileState): Predicate | null {
  const v = value.toLowerCase()
  if (operator === 'is') {
    if (v === 'read') return (m) => !m.labelIds.includes('UNREAD')
    const label = IS_LABELS[v]
    return label === undefined ? null : (m) => m.labelIds.includes(label)
  }
  if (positive && ['spam', 'trash', 'anywhere'].includes(v)) state.namesSpamOrTrash = true
  if (operator === 'in') {
    if (v === 'anywhere') return positive ? () => true : null
    const label = IN_LABELS[v]
    return label === undefined ? null : (m) => m.labelIds.includes(label)
  }
  const key = labelKey(v)
  return key === '' ? null : (m) => m.labelIds.some((l) => labelKey(l) === key)
}

/**
 * A compiled node: its test, and for an address term or an OR of them the address keys
 * (`from:acme.com`) any one of which makes it match, so that a long `{ }` of terms is a few set
 * lookups per message instead of one test per term.
 */
interface Compiled {
  readonly test: Predicate
  readonly keys: readonly string[] | null
}

/** Up to this many keys are looked up one by one; above, the message's own keys are scanned. */
const DIRECT_LOOKUP_KEYS = 4

function anyKey(keys: readonly string[]): Compiled {
  const wanted = new Set(keys)
  const test: Predicate = wanted.size <= DIRECT_LOOKUP_KEYS
    ? (m) => keys.some((k) => m.search.addressKeys.has(k))
    : (m) => {
      for (const k of m.search.addressKeys) if (wanted.has(k)) return true
      return false
    }
  return { test, keys }
}

function indexTerm(operator: string | null, value: string, state: CompileState): Compiled | null {
  if (operator === null) {
    if (value.trim() === '') return null
    state.readsIndex = true
    const matches = phraseMatcher(value)
    return { test: (m) => matches(m.search.text), keys: null }
  }
  if (operator === 'rfc822msgid') {
    const id = value.replace(/^<(.*)>$/, '$1')
    if (id === '') return null
    state.readsIndex = true
    return { test: (m) => m.rfcMessageId === id, keys: null }
  }
  const field = ADDRESS_FIELDS[operator]
  const normal = field === undefined ? null : addressValue(value)
  if (field === undefined || normal === null) return null
  state.readsIndex = true
  return anyKey([`${field}:${normal}`])
}

function termNode(node: Extract<QueryNode, { kind: 'term' }>, positive: boolean, state: CompileState): Compiled {
  const { operator, value } = node
  let predicate: Predicate | null = null
  if (operator === 'after' || operator === 'newer' || operator === 'before' || operator === 'older') predicate = datePredicate(operator, value)
  else if (operator === 'larger' || operator === 'smaller' || operator === 'size') predicate = sizePredicate(operator, value)
  else if (operator === 'in' || operator === 'label' || operator === 'is') predicate = labelPredicate(operator, value, positive, state)
  else if (operator === 'has') predicate = value.toLowerCase() === 'attachment' ? (m) => m.search.hasAttachment : null
  else {
    const compiled = indexTerm(operator, value, state)
    if (compiled !== null) return compiled
  }
  if (predicate !== null) return { test: predicate, keys: null }
  const why = operator !== null && operator in ADDRESS_FIELDS ? ' (only an address or a domain name is modelled)' : ''
  throw unsupported(operator === null ? node.source : `${operator}:${value}`, why)
}

function compile(node: QueryNode, positive: boolean, state: CompileState): Compiled {
  switch (node.kind) {
    case 'term':
      return termNode(node, positive, state)
    case 'not': {
      const inner = compile(node.child, !positive, state).test
      return { test: (m) => !inner(m), keys: null }
    }
    case 'and': {
      const parts = node.children.map((child) => compile(child, positive, state).test)
      return { test: (m) => parts.every((p) => p(m)), keys: null }
    }
    case 'or': {
      const parts = node.children.map((child) => compile(child, positive, state))
      const keys = parts.every((p) => p.keys !== null) ? parts.flatMap((p) => p.keys ?? []) : null
      if (keys !== null) return anyKey(keys)
      const tests = parts.map((p) => p.test)
      return { test: (m) => tests.some((p) => p(m)), keys: null }
    }
  }
}

/**
 * Parses `q` into a predicate over stored messages; an unsupported term or malformed syntax
 * gives `{ error }` naming it (the handler answers 400). A message hidden from search
 * (`hideFromSearch`) never matches a query that {@link SearchQuery.readsIndex}.
 *
 * @example
 * ```ts
 * const query = parseSearchQuery('{from:acme.com to:acme.com} after:1700000000 -in:drafts')
 * if ('error' in query) throw new Error(query.error)
 * const hits = [...mailbox.messages.values()].filter(query.matches)
 * ```
 */
export function parseSearchQuery(q: string): SearchQuery | { readonly error: string } {
  const state: CompileState = { namesSpamOrTrash: false, readsIndex: false }
  let predicate: Predicate
  try {
    predicate = compile(parseQueryTree(q), true, state).test
  } catch (error) {
    if (error instanceof QuerySyntaxError) return { error: error.message }
    throw error
  }
  const { namesSpamOrTrash, readsIndex } = state
  const matches: Predicate = readsIndex ? (m) => !m.hiddenFromSearch && predicate(m) : predicate
  return { matches, namesSpamOrTrash, readsIndex }
}
