/**
 * Address syntax the library accepts for mailboxes and directory entries: a pragmatic subset
 * of RFC 5322 (dot-atom local part, a domain of letters, digits and hyphens). Quoted local
 * parts and IP-literal domains do not occur in the mailboxes a CRM tracks.
 */
const ADDRESS_PATTERN = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$/

/** RFC 5321's limit on the length of a forward path. */
const MAX_ADDRESS_LENGTH = 254

/**
 * Lower-cases and trims an address, or returns `null` when it is not one.
 *
 * @example
 * ```ts
 * normalizeAddress('  Ann@Fund.Example ') // 'ann@fund.example'
 * normalizeAddress('not an address')     // null
 * ```
 */
export function normalizeAddress(input: string): string | null {
  const address = input.trim().toLowerCase()
  if (address.length > MAX_ADDRESS_LENGTH || !ADDRESS_PATTERN.test(address)) return null
  return address
}

/**
 * The domain of a normalized address.
 *
 * @example
 * ```ts
 * domainOf('ann@fund.example') // 'fund.example'
 * ```
 */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1)
}

/**
 * Whether a normalized address belongs to one of the workspace domains: its domain is one of
 * `workspaceDomains` exactly. A subdomain does not count: the service account's delegation and
 * the consent screen cover the domains configured, not the names under them.
 *
 * @example
 * ```ts
 * isWorkspaceAddress('ann@fund.example', ['fund.example'])      // true
 * isWorkspaceAddress('ann@eu.fund.example', ['fund.example'])   // false
 * ```
 */
export function isWorkspaceAddress(address: string, workspaceDomains: readonly string[]): boolean {
  return workspaceDomains.includes(domainOf(address))
}
