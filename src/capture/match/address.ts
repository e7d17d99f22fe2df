/**
 * Address and domain normalisation for matching: the keys that the match index stores and
 * looks up, so directory entries and message participants compare the same way.
 */
import { domainOf, normalizeAddress } from '../../address.js'
import { FREE_MAIL_DOMAINS } from './free-mail.js'

/** The domain Gmail delivers to; googlemail.com is the same mailbox (it was Gmail's name in some countries). */
const GMAIL_DOMAIN = 'gmail.com'

/** Domains whose mailboxes are Gmail's, where dots in the local part are ignored. */
const GMAIL_DOMAINS: ReadonlySet<string> = new Set([GMAIL_DOMAIN, 'googlemail.com'])

/** Sub-addressing separator: `ann+news@x` is delivered to `ann@x` by Gmail, Outlook, Fastmail and most servers. */
const SUBADDRESS_SEPARATOR = '+'

/**
 * The key an address is matched by: lower-case, the `+tag` removed from the local part, and at
 * Gmail (gmail.com and googlemail.com, which is the same service) the dots removed and the
 * domain spelt gmail.com, because Gmail delivers all those spellings to one mailbox. Returns
 * `null` when the input is not an address.
 *
 * The tag is stripped at every domain, as SPEC §6 says: a server that treats `+` literally is
 * rare, and two such distinct mailboxes under one entity still belong to that entity.
 *
 * @example
 * ```ts
 * matchKeyOf('Ann.Lee+crm@GoogleMail.com')  // 'annlee@gmail.com'
 * matchKeyOf('dana+deals@acme.vc')           // 'dana@acme.vc'
 * matchKeyOf('no address')                   // null
 * ```
 */
export function matchKeyOf(address: string): string | null {
  const normal = normalizeAddress(address)
  if (normal === null) return null
  const at = normal.lastIndexOf('@')
  let local = normal.slice(0, at)
  let domain = normal.slice(at + 1)
  const tag = local.indexOf(SUBADDRESS_SEPARATOR)
  // A local part that starts with `+` has no base to fall back on; it stays as it is.
  if (tag > 0) local = local.slice(0, tag)
  if (GMAIL_DOMAINS.has(domain)) {
    domain = GMAIL_DOMAIN
    const undotted = local.replaceAll('.', '')
    if (undotted.length > 0) local = undotted
  }
  return `${local}@${domain}`
}

/**
 * A domain as a directory or configuration writes it (`Acme.VC`, `@acme.vc`, `acme.vc.`), in
 * lower case, or `null` when it is not a domain name of at least two labels.
 *
 * @example
 * ```ts
 * normalizeMatchDomain(' @Acme.VC. ')  // 'acme.vc'
 * normalizeMatchDomain('localhost')    // null
 * ```
 */
export function normalizeMatchDomain(input: string): string | null {
  const domain = input.trim().replace(/^@/, '').replace(/\.$/, '')
  // The address pattern already knows what a valid domain is; borrowing it keeps one definition.
  const probe = normalizeAddress(`x@${domain}`)
  return probe === null ? null : domainOf(probe)
}

/**
 * The domain and each of its parents that is still a registrable-looking name (two labels or
 * more), most specific first: the keys a domain match looks up. At most as many entries as the
 * domain has dots, so a lookup costs a handful of map reads whatever the directory's size.
 *
 * @example
 * ```ts
 * domainSuffixes('eu.mail.acme.vc')  // ['eu.mail.acme.vc', 'mail.acme.vc', 'acme.vc']
 * ```
 */
export function domainSuffixes(domain: string): string[] {
  const suffixes: string[] = []
  let rest = domain
  for (;;) {
    const dot = rest.indexOf('.')
    if (dot < 0) break
    suffixes.push(rest)
    rest = rest.slice(dot + 1)
  }
  return suffixes
}

/**
 * Whether `domain` is in `domains` or under one of them, by one set lookup per parent domain.
 *
 * @example
 * ```ts
 * isWithinDomainSet('eu.acme.vc', new Set(['acme.vc']))  // true
 * ```
 */
export function isWithinDomainSet(domain: string, domains: ReadonlySet<string>): boolean {
  return domainSuffixes(domain).some((suffix) => domains.has(suffix))
}

/**
 * Whether `domain` is a free-mail domain or under one ({@link FREE_MAIL_DOMAINS}).
 *
 * @example
 * ```ts
 * isFreeMailDomain('hotmail.co.uk')  // true
 * isFreeMailDomain('acme.vc')        // false
 * ```
 */
export function isFreeMailDomain(domain: string): boolean {
  return isWithinDomainSet(domain, FREE_MAIL_DOMAINS)
}
