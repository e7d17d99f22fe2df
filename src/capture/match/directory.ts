/**
 * Turns the host's directory into the two lookup tables of the match index (address key ->
 * identities, domain -> identities), dropping what must never match and saying why.
 */
import type { DirectoryEntry, DirectoryEntryType } from '../../hooks.js'
import { normalizeAddress } from '../../address.js'
import { isFreeMailDomain, isWithinDomainSet, matchKeyOf, normalizeMatchDomain } from './address.js'
import { identityKeyOf } from '../../db/identity-keys.js'

/** One CRM identity as the index returns it. */
export interface MatchTarget {
  /** `fund:<id>`, `org:<id>` or `contact:<id>`. */
  readonly identityKey: `${DirectoryEntryType}:${string}`
  readonly type: DirectoryEntryType
  /** The host's id as text. */
  readonly id: string
  readonly name: string
}

/** Identities by lookup key; the inner map keeps one target per identity, in directory order. */
export type TargetTable = Map<string, Map<string, MatchTarget>>

/** The compiled directory. */
export interface CompiledDirectory {
  /** By address match key (`matchKeyOf`). */
  readonly exact: TargetTable
  /** By lower-case domain. */
  readonly domains: TargetTable
  /**
   * Each kept address's spellings as the directory wrote them (trimmed, lower-cased), by match
   * key: Gmail's search matches the address as written, so search terms carry these too.
   */
  readonly spellings: ReadonlyMap<string, ReadonlySet<string>>
  /** How many distinct identities were kept. */
  readonly identities: number
  readonly warnings: readonly string[]
}

/**
 * Warnings kept in full. A directory synced from a messy CRM can yield thousands; past this
 * many only a count is added, so the list stays readable in a log line.
 */
export const MAX_MATCH_WARNINGS = 100

const ENTRY_TYPES: ReadonlySet<string> = new Set<DirectoryEntryType>(['fund', 'org', 'contact'])

/**
 * Collects warnings up to {@link MAX_MATCH_WARNINGS} and counts the rest.
 *
 * @example
 * ```ts
 * const warnings = new WarningList()
 * warnings.add('org:1: ignored domain "gmail.com": free-mail domain')
 * warnings.list()  // ['org:1: ignored domain "gmail.com": free-mail domain']
 * ```
 */
export class WarningList {
  readonly #kept: string[] = []
  #dropped = 0

  add(message: string): void {
    if (this.#kept.length < MAX_MATCH_WARNINGS) this.#kept.push(message)
    else this.#dropped += 1
  }

  list(): readonly string[] {
    return this.#dropped === 0 ? this.#kept : [...this.#kept, `... and ${this.#dropped} more warnings`]
  }
}

function put(table: TargetTable, key: string, target: MatchTarget): void {
  let targets = table.get(key)
  if (targets === undefined) {
    targets = new Map()
    table.set(key, targets)
  }
  if (!targets.has(target.identityKey)) targets.set(target.identityKey, target)
}

function addSpelling(spellings: Map<string, Set<string>>, key: string, text: string | null): void {
  const spelling = text === null ? null : normalizeAddress(text)
  if (spelling === null) return
  let set = spellings.get(key)
  if (set === undefined) {
    set = new Set()
    spellings.set(key, set)
  }
  set.add(spelling)
}

/** Hosts feed the directory from their own database at runtime; values may be null or numbers. */
function textOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** The entry's id as text, or `null` when it cannot make a key. */
function idOf(id: unknown): string | null {
  if (typeof id === 'number') return Number.isFinite(id) ? String(id) : null
  return typeof id === 'string' && id.trim().length > 0 ? id : null
}

/** How much of a rejected value a warning quotes: enough to find it, never a whole blob. */
const MAX_QUOTED_LENGTH = 80

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}...` : text
}

/**
 * Compiles directory entries. Ignored, each with a warning: entries of an unknown type or
 * without an id; emails that are not addresses or are in a workspace domain (teammates are
 * never linked); domains that are not domain names, are free-mail, or are (under) a workspace
 * domain. An identity listed twice is merged (first name wins).
 *
 * @param workspaceDomains - normalised workspace domains.
 *
 * @example
 * ```ts
 * const { domains, warnings } = compileDirectory(
 *   [{ type: 'org', id: 1, name: 'Globex', domains: ['globex.example', 'gmail.com'] }],
 *   new Set(['ourfund.example']),
 * )
 * domains.has('globex.example')  // true
 * warnings                        // ['org:1: ignored domain "gmail.com": free-mail domain']
 * ```
 */
export function compileDirectory(entries: readonly DirectoryEntry[], workspaceDomains: ReadonlySet<string>): CompiledDirectory {
  const exact: TargetTable = new Map()
  const domains: TargetTable = new Map()
  const spellings = new Map<string, Set<string>>()
  const seen = new Map<string, MatchTarget>()
  const warnings = new WarningList()

  entries.forEach((entry, index) => {
    const id = idOf(entry.id)
    if (!ENTRY_TYPES.has(entry.type) || id === null) {
      warnings.add(`directory entry #${index}: ignored: needs a type of fund, org or contact and an id (got type ${describe(entry.type)}, id ${describe(entry.id)})`)
      return
    }
    const identityKey = identityKeyOf(entry.type, id)
    let target = seen.get(identityKey)
    if (target === undefined) {
      target = { identityKey, type: entry.type, id, name: textOf(entry.name) ?? identityKey }
      seen.set(identityKey, target)
    } else {
      warnings.add(`${identityKey}: listed more than once; merged`)
    }

    for (const email of entry.emails ?? []) {
      const text = textOf(email)
      const key = text === null ? null : matchKeyOf(text)
      if (key === null) warnings.add(`${identityKey}: ignored email ${describe(email)}: not an address`)
      else if (isWithinDomainSet(key.slice(key.lastIndexOf('@') + 1), workspaceDomains)) {
        warnings.add(`${identityKey}: ignored email "${key}": in a workspace domain (teammates are never linked)`)
      } else {
        put(exact, key, target)
        addSpelling(spellings, key, text)
      }
    }

    for (const raw of entry.domains ?? []) {
      const text = textOf(raw)
      const domain = text === null ? null : normalizeMatchDomain(text)
      if (domain === null) warnings.add(`${identityKey}: ignored domain ${describe(raw)}: not a domain name`)
      else if (isFreeMailDomain(domain)) warnings.add(`${identityKey}: ignored domain "${domain}": free-mail domain`)
      else if (isWithinDomainSet(domain, workspaceDomains)) {
        warnings.add(`${identityKey}: ignored domain "${domain}": a workspace domain`)
      } else put(domains, domain, target)
    }
  })

  return { exact, domains, spellings, identities: seen.size, warnings: warnings.list() }
}
