import type { Principal } from 'crm-email-integration'

/**
 * Who a visitor of the demo may be: its admin or one of the teammates whose mailboxes it
 * syncs. The page's "Signed in as" selector stores the choice in a cookie, and the demo's
 * `authenticate` reads it, so one browser can look at the team's mail as each of them.
 */
export interface DemoPerson {
  readonly email: string
  readonly name: string
  readonly isAdmin: boolean
}

/** The cookie that holds the chosen person's address. */
export const SIGN_IN_COOKIE = 'demo-user'

/**
 * The people a visitor may sign in as: the admin first (who owns no mailbox), then the team.
 *
 * @example
 * ```ts
 * demoPeople('larkmoor.example', [{ address: 'ann@larkmoor.example', name: 'Ann' }])
 * // [{ email: 'admin@larkmoor.example', name: 'Demo admin', isAdmin: true }, { email: 'ann@larkmoor.example', name: 'Ann', isAdmin: false }]
 * ```
 */
export function demoPeople(domain: string, team: readonly { readonly address: string; readonly name: string }[]): DemoPerson[] {
  return [{ email: `admin@${domain}`, name: 'Demo admin', isAdmin: true }, ...team.map((member) => ({ email: member.address, name: member.name, isAdmin: false }))]
}

/**
 * The value of one cookie of a `Cookie` header, or `undefined`.
 *
 * @example
 * ```ts
 * cookieValue('a=1; demo-user=ann%40larkmoor.example', 'demo-user') // 'ann@larkmoor.example'
 * ```
 */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at === -1 || part.slice(0, at).trim() !== name) continue
    try {
      return decodeURIComponent(part.slice(at + 1).trim())
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * Who the request's cookie names: the admin when it names nobody (the demo's first visit), the
 * person when it names one of `people`, else `null` (signed out: an address outside the team
 * is never accepted).
 *
 * @example
 * ```ts
 * signedIn(people, request.headers.get('cookie'))?.email
 * ```
 */
export function signedIn(people: readonly DemoPerson[], cookieHeader: string | null | undefined): DemoPerson | null {
  const chosen = cookieValue(cookieHeader, SIGN_IN_COOKIE)
  if (chosen === undefined || chosen === '') return people.find((person) => person.isAdmin) ?? null
  const email = chosen.trim().toLowerCase()
  return people.find((person) => person.email === email) ?? null
}

/**
 * The library's principal for a demo person.
 *
 * @example
 * ```ts
 * principalOf({ email: 'ann@larkmoor.example', name: 'Ann', isAdmin: false }) // { userId: 'ann@larkmoor.example', ... }
 * ```
 */
export function principalOf(person: DemoPerson): Principal {
  return { userId: person.email, email: person.email, isAdmin: person.isAdmin }
}
