/**
 * Which identity an address or an email is shown under when it links to several (SPEC §6):
 * fund -> org -> contact -> addr. Facets and filters use this to give every email one identity.
 */
import type { IdentityType } from '../../db/database.js'

/** How a link was made: the address itself, or its domain. */
export type MatchKind = 'exact' | 'domain'

/**
 * Identity types from most to least preferred. An investor fund is what the CRM is about, so it
 * wins over the organisation and person behind it; `addr` is the fallback for an address whose
 * entity is unknown or no longer exists.
 *
 * @example
 * ```ts
 * IDENTITY_PRECEDENCE.indexOf('org')  // 1
 * ```
 */
export const IDENTITY_PRECEDENCE: readonly IdentityType[] = Object.freeze(['fund', 'org', 'contact', 'addr'] as const)

/** Within one type, an exact address match says more than sharing a domain. */
const MATCH_KIND_PRECEDENCE: readonly MatchKind[] = Object.freeze(['exact', 'domain'] as const)

/** What ranking needs of a link; `AddressMatch` and stored link rows both fit. */
export interface RankedLink {
  readonly identityKey: string
  readonly type: IdentityType
  /** Missing counts as `domain` (the weaker kind), e.g. for `addr:` fallbacks. */
  readonly matchKind?: MatchKind | undefined
  /** The participant address; last tie-breaker, so the choice does not depend on input order. */
  readonly address?: string | undefined
}

function rank<T>(order: readonly T[], value: T): number {
  const index = order.indexOf(value)
  // Unknown values (a stored row from a newer version) sort after every known one.
  return index < 0 ? order.length : index
}

function compareText(a: string, b: string): number {
  if (a === b) return 0
  return a < b ? -1 : 1
}

/**
 * Orders links by precedence, preferred first: by type ({@link IDENTITY_PRECEDENCE}), then
 * exact before domain, then by identity key and address so the order is total and stable
 * whatever order the links came in.
 *
 * Type comes first, so a contact matched exactly still yields to a fund matched by domain: the
 * fund is the relationship the team tracks, and the contact is usually one of its people.
 *
 * @example
 * ```ts
 * links.toSorted(compareIdentityPrecedence)[0]  // the identity to show
 * ```
 */
export function compareIdentityPrecedence(a: RankedLink, b: RankedLink): number {
  return (
    rank(IDENTITY_PRECEDENCE, a.type) - rank(IDENTITY_PRECEDENCE, b.type) ||
    rank(MATCH_KIND_PRECEDENCE, a.matchKind ?? 'domain') - rank(MATCH_KIND_PRECEDENCE, b.matchKind ?? 'domain') ||
    compareText(a.identityKey, b.identityKey) ||
    compareText(a.address ?? '', b.address ?? '')
  )
}

/**
 * The link an address or an email is shown under: the first by {@link compareIdentityPrecedence},
 * or `null` when there are none (the caller then shows the `addr:` identity of the address).
 *
 * @example
 * ```ts
 * resolveIdentity([
 *   { identityKey: 'contact:c1', type: 'contact', matchKind: 'exact' },
 *   { identityKey: 'fund:7', type: 'fund', matchKind: 'domain' },
 * ])  // the fund:7 link
 * ```
 */
export function resolveIdentity<T extends RankedLink>(links: readonly T[]): T | null {
  let best: T | null = null
  for (const link of links) {
    if (best === null || compareIdentityPrecedence(link, best) < 0) best = link
  }
  return best
}
