/**
 * The directory as Gmail search terms (issue 13): one term per address the matcher links
 * exactly and one per domain it links by domain, compiled by the matcher's own
 * `compileDirectory`, so a term exists for exactly what the local matcher can link and nothing
 * it drops (free-mail and workspace domains, workspace addresses).
 */
import { fitsOneQuery } from '../../gmail/search-query.js'
import type { DirectoryEntry } from '../../hooks.js'
import { isWithinDomainSet, matchKeyOf, normalizeMatchDomain } from './address.js'
import { compileDirectory, WarningList, type TargetTable } from './directory.js'
import type { MatchIndexOptions } from './match-index.js'

/** One identity term: what Gmail's search looks for after `from:`, `to:`, `cc:` and `bcc:`. */
export interface SearchTerm {
  /** Bookkeeping key, stable across runs: `addr:<match key>` or `domain:<domain>`. */
  readonly key: string
  readonly kind: 'address' | 'domain'
  /**
   * The values written after from:/to:/cc:/bcc: (an address: its match key and each spelling
   * the directory used, lower-cased; a domain: the domain).
   */
  readonly values: readonly string[]
  /** Identity keys (`org:7`, ...) this term links to. */
  readonly identities: readonly string[]
}

/** The terms and why directory values were left out of them. */
export interface SearchTermSet {
  /** Sorted by key, unique. */
  readonly terms: readonly SearchTerm[]
  /**
   * Values left out of the search (capped like the matcher's warnings). The matcher's own
   * warnings about the directory are not repeated: `buildMatchIndex` reports those.
   */
  readonly warnings: readonly string[]
}

/**
 * What a local part may hold to be written plainly after an operator. Gmail's query syntax
 * gives other characters (quotes, parentheses, braces, `:`, `*`, ...) meanings of their own, and
 * quoting does not make an address operator exact, so such a value cannot be searched safely.
 */
const PLAIN_LOCAL_PART = /^[a-z0-9._%+'-]+$/

/** A domain name of two labels or more, of letters, digits and inner hyphens. */
const PLAIN_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

/** The key prefixes of the two kinds of term. */
const ADDRESS_KEY_PREFIX = 'addr:'
const DOMAIN_KEY_PREFIX = 'domain:'

function isPlainDomain(domain: string): boolean {
  return PLAIN_DOMAIN.test(domain)
}

function isPlainAddress(address: string): boolean {
  const at = address.lastIndexOf('@')
  return at > 0 && PLAIN_LOCAL_PART.test(address.slice(0, at)) && isPlainDomain(address.slice(at + 1))
}

function compareText(a: string, b: string): number {
  if (a === b) return 0
  return a < b ? -1 : 1
}

function identitiesOf(table: TargetTable, key: string): string[] {
  return [...(table.get(key)?.keys() ?? [])].sort(compareText)
}

function domainsOf(values: readonly string[]): Set<string> {
  const set = new Set<string>()
  for (const value of values) {
    const domain = normalizeMatchDomain(value)
    if (domain !== null) set.add(domain)
  }
  return set
}

/**
 * Compiles the directory into search terms and says which values were left out. Every address
 * term is kept even when a domain term covers its domain: the address's identity needs its own
 * term for targeted backfills and the audit. Left out, each with a warning: values Gmail's
 * syntax cannot carry plainly (a local part outside `[a-z0-9._%+'-]`, a malformed domain; a
 * term with no value left is dropped), spellings past what one query can carry (so
 * `candidateQueries` never refuses a compiled term), and terms whose every message is blocklisted (an
 * address on the blocklist or the suppression list, an address or domain within a blocked
 * domain; a suppressed address is left out without a warning, which would name it): such mail is never
 * captured, so searching for it would only download what is then discarded. Unblocked later,
 * the term appears as new and its mail is fetched then.
 *
 * @example
 * ```ts
 * const { terms, warnings } = compileSearchTerms(
 *   [{ type: 'contact', id: 3, name: 'Ann', emails: ['Ann.Lee+crm@gmail.com'] },
 *    { type: 'org', id: 7, name: 'Acme', domains: ['acme.vc', 'gmail.com'] }],
 *   { workspaceDomains: ['ourfund.example'] },
 * )
 * terms[0]  // { key: 'addr:annlee@gmail.com', kind: 'address',
 *           //   values: ['annlee@gmail.com', 'ann.lee+crm@gmail.com'], identities: ['contact:3'] }
 * terms[1]  // { key: 'domain:acme.vc', kind: 'domain', values: ['acme.vc'], identities: ['org:7'] }
 * warnings  // []
 * ```
 */
export function compileSearchTerms(entries: readonly DirectoryEntry[], options: MatchIndexOptions): SearchTermSet {
  const workspace = domainsOf(options.workspaceDomains)
  const blockedDomains = domainsOf(options.blocklist?.domains ?? [])
  const blockedKeys = new Set<string>()
  for (const address of options.blocklist?.addresses ?? []) {
    const key = matchKeyOf(address)
    if (key !== null) blockedKeys.add(key)
  }
  const directory = compileDirectory(entries, workspace)
  const warnings = new WarningList()
  const terms: SearchTerm[] = []

  for (const key of directory.exact.keys()) {
    const termKey = `${ADDRESS_KEY_PREFIX}${key}`
    const domain = key.slice(key.lastIndexOf('@') + 1)
    if (blockedKeys.has(key) || isWithinDomainSet(domain, blockedDomains)) {
      warnings.add(`${termKey}: not searched: blocklisted, its mail is never captured`)
      continue
    }
    const spellings = [key, ...[...(directory.spellings.get(key) ?? [])].sort(compareText)]
    // A suppressed address is never searched, and never named in a warning either.
    if (spellings.some((value) => options.suppressed?.has(value) === true)) continue
    const candidates = [...new Set(spellings)]
    const values: string[] = []
    for (const value of candidates.filter(isPlainAddress)) {
      // The match key comes first and always fits; a spelling past the query limit is dropped.
      if (fitsOneQuery({ key: termKey, values: [...values, value] })) values.push(value)
      else warnings.add(`${termKey}: spelling "${value}" not searched: the term's query would pass the query length limit`)
    }
    if (values.length === 0) {
      warnings.add(`${termKey}: not searched: Gmail's search cannot carry the address plainly; only the headers strategy finds its mail`)
      continue
    }
    for (const value of candidates) {
      if (!isPlainAddress(value)) warnings.add(`${termKey}: spelling "${value}" not searched: Gmail's search cannot carry it plainly`)
    }
    terms.push({ key: termKey, kind: 'address', values, identities: identitiesOf(directory.exact, key) })
  }

  for (const domain of directory.domains.keys()) {
    const termKey = `${DOMAIN_KEY_PREFIX}${domain}`
    if (isWithinDomainSet(domain, blockedDomains)) {
      warnings.add(`${termKey}: not searched: blocklisted, its mail is never captured`)
    } else if (!isPlainDomain(domain)) {
      warnings.add(`${termKey}: not searched: Gmail's search cannot carry the domain plainly`)
    } else {
      terms.push({ key: termKey, kind: 'domain', values: [domain], identities: identitiesOf(directory.domains, domain) })
    }
  }

  terms.sort((a, b) => compareText(a.key, b.key))
  return { terms, warnings: warnings.list() }
}

/**
 * The directory's search terms, sorted by key and unique ({@link compileSearchTerms} without
 * the warnings).
 *
 * @example
 * ```ts
 * const terms = searchTermsOf(await directory(), config)
 * terms.map((t) => t.key)  // ['addr:dana@acme.vc', 'domain:acme.vc', ...]
 * ```
 */
export function searchTermsOf(entries: readonly DirectoryEntry[], options: MatchIndexOptions): SearchTerm[] {
  return [...compileSearchTerms(entries, options).terms]
}
