/**
 * The address index (SPEC §6): which CRM identities a participant address links to, whether a
 * message is internal-only, and whether it touches the blocklist. Built once per sync from
 * `directory()`; every lookup is a few map reads, independent of the directory's size.
 */
import { domainOf, normalizeAddress } from '../../address.js'
import type { DirectoryEntry } from '../../hooks.js'
import type { ParsedAddress, ParsedHeaders } from '../parse/parsed-email.js'
import { domainSuffixes, isFreeMailDomain, isWithinDomainSet, matchKeyOf, normalizeMatchDomain } from './address.js'
import { compileDirectory, type MatchTarget, type TargetTable } from './directory.js'
import type { MatchKind } from './precedence.js'

export type { MatchTarget } from './directory.js'

/** What the index needs of the configuration; a resolved `EmailConfig` fits as it is. */
export interface MatchIndexOptions {
  /** The team's own domains: their addresses are internal, never linked nor domain-matched. */
  readonly workspaceDomains: readonly string[]
  /** Addresses (matched by match key) and domains (with subdomains) whose mail is never captured. */
  readonly blocklist?: { readonly addresses: readonly string[]; readonly domains: readonly string[] } | undefined
  /**
   * The suppression list (addresses a purge erased, kept as hashes): treated like blocklisted
   * addresses, so their mail is never captured again.
   */
  readonly suppressed?: { has(address: string): boolean } | undefined
}

/** One participant address linked to one CRM identity. */
export interface AddressMatch extends MatchTarget {
  /** The participant address, lower-cased as it appeared (not the match key), for display and `addr:` fallback. */
  readonly address: string
  readonly matchKind: MatchKind
}

/** What the index says about a message's participants. */
export interface MessageMatch {
  /** Every link of every external participant, one per (identity, address). */
  readonly links: readonly AddressMatch[]
  /** Every participant is in a workspace domain, or the message has no valid participant address. */
  readonly internalOnly: boolean
  /** A participant is on the blocklist. */
  readonly blocked: boolean
  /**
   * Some link comes from a From, To, Cc or Bcc address: the headers Gmail's search reads. Only
   * such mail is CRM mail; Sender and Reply-To add links to captured mail but never make a
   * message CRM mail on their own, so the search and headers strategies agree.
   */
  readonly visibleToSearch: boolean
}

/** Sizes of the index, for a log line after a build. */
export interface MatchIndexStats {
  readonly identities: number
  readonly addresses: number
  readonly domains: number
}

/** The built index. */
export interface MatchIndex {
  /** Why directory or configuration values were ignored; empty when everything was usable. */
  readonly warnings: readonly string[]
  readonly stats: MatchIndexStats
  /**
   * The identities an address links to: exact matches by match key first, then domain
   * matches (its domain or a parent is an entity's domain), one per identity, exact winning.
   * Empty for an invalid or internal address.
   */
  matchAddress(address: string): AddressMatch[]
  /** Links and flags for a message, over from, sender, reply-to, to, cc and bcc. */
  matchHeaders(headers: ParsedHeaders): MessageMatch
  /** Whether an address is in a workspace domain (or a subdomain of one). */
  isInternal(address: string): boolean
  /** Whether an address is blocklisted, by match key or by domain (subdomains included), or suppressed. */
  isBlocked(address: string): boolean
}

function domainSet(values: readonly string[], what: string, warnings: string[]): Set<string> {
  const set = new Set<string>()
  for (const value of values) {
    const domain = normalizeMatchDomain(value)
    if (domain === null) warnings.push(`${what}: ignored "${value}": not a domain name`)
    else set.add(domain)
  }
  return set
}

/** The participants Gmail's search reads (`from:`, `to:`, `cc:`, `bcc:`). */
function* searchableParticipantsOf(headers: ParsedHeaders): Generator<ParsedAddress> {
  if (headers.from !== null) yield headers.from
  yield* headers.to
  yield* headers.cc
  yield* headers.bcc
}

function* participantsOf(headers: ParsedHeaders): Generator<ParsedAddress> {
  if (headers.from !== null) yield headers.from
  if (headers.sender !== null) yield headers.sender
  yield* headers.replyTo
  yield* headers.to
  yield* headers.cc
  yield* headers.bcc
}

function targetsOf(table: TargetTable, key: string): Iterable<MatchTarget> {
  return table.get(key)?.values() ?? []
}

/**
 * Builds the index from the directory. Nothing throws on bad data: unusable entries, emails and
 * domains are skipped and listed in `warnings` (capped at `MAX_MATCH_WARNINGS`). Free-mail
 * domains and workspace domains are never domain-matched, even when the directory lists them.
 *
 * @example
 * ```ts
 * const index = buildMatchIndex(await directory(), config)   // config: workspaceDomains, blocklist
 * for (const warning of index.warnings) logger.warn?.({ warning }, 'directory entry ignored')
 * index.matchAddress('dana@eu.acme.vc')
 * // [{ identityKey: 'fund:7', type: 'fund', id: '7', name: 'Acme Ventures',
 * //    address: 'dana@eu.acme.vc', matchKind: 'domain' }]
 * ```
 */
export function buildMatchIndex(entries: readonly DirectoryEntry[], options: MatchIndexOptions): MatchIndex {
  const warnings: string[] = []
  const workspace = domainSet(options.workspaceDomains, 'workspace domain', warnings)
  const blockedDomains = domainSet(options.blocklist?.domains ?? [], 'blocklist domain', warnings)
  const blockedKeys = new Set<string>()
  for (const address of options.blocklist?.addresses ?? []) {
    const key = matchKeyOf(address)
    if (key === null) warnings.push(`blocklist address: ignored "${address}": not an address`)
    else blockedKeys.add(key)
  }
  const directory = compileDirectory(entries, workspace)

  /** Links of an address already normalised and known to be external. */
  function linksOf(address: string): AddressMatch[] {
    const links = new Map<string, AddressMatch>()
    const key = matchKeyOf(address)
    if (key !== null) {
      for (const target of targetsOf(directory.exact, key)) {
        links.set(target.identityKey, { ...target, address, matchKind: 'exact' })
      }
    }
    const domain = domainOf(address)
    if (!isFreeMailDomain(domain)) {
      for (const suffix of domainSuffixes(domain)) {
        for (const target of targetsOf(directory.domains, suffix)) {
          if (!links.has(target.identityKey)) links.set(target.identityKey, { ...target, address, matchKind: 'domain' })
        }
      }
    }
    return [...links.values()]
  }

  const isInternalNormal = (address: string): boolean => isWithinDomainSet(domainOf(address), workspace)
  const isBlockedNormal = (address: string): boolean =>
    blockedKeys.has(matchKeyOf(address) ?? address) ||
    isWithinDomainSet(domainOf(address), blockedDomains) ||
    options.suppressed?.has(address) === true

  return Object.freeze({
    warnings: Object.freeze([...warnings, ...directory.warnings]),
    stats: Object.freeze({ identities: directory.identities, addresses: directory.exact.size, domains: directory.domains.size }),

    matchAddress(input: string): AddressMatch[] {
      const address = normalizeAddress(input)
      return address === null || isInternalNormal(address) ? [] : linksOf(address)
    },

    matchHeaders(headers: ParsedHeaders): MessageMatch {
      const links: AddressMatch[] = []
      const seen = new Set<string>()
      let internal = 0
      let blocked = false
      for (const participant of participantsOf(headers)) {
        const address = normalizeAddress(participant.address)
        // An address seen twice (from and cc) adds nothing; a non-address is no participant.
        if (address === null || seen.has(address)) continue
        seen.add(address)
        if (!blocked && isBlockedNormal(address)) blocked = true
        if (isInternalNormal(address)) internal += 1
        else links.push(...linksOf(address))
      }
      const searchable = new Set<string>()
      for (const participant of searchableParticipantsOf(headers)) {
        const address = normalizeAddress(participant.address)
        if (address !== null) searchable.add(address)
      }
      const visibleToSearch = links.some((link) => searchable.has(link.address))
      return { links, internalOnly: internal === seen.size, blocked, visibleToSearch }
    },

    isInternal(input: string): boolean {
      const address = normalizeAddress(input)
      return address !== null && isInternalNormal(address)
    },

    isBlocked(input: string): boolean {
      const address = normalizeAddress(input)
      return address !== null && isBlockedNormal(address)
    },
  })
}
