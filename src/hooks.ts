/**
 * The hooks a host gives `createEmailIntegration`: who its CRM identities are, who is calling,
 * where logs go and what time it is. Structural types only, so no host framework leaks in.
 */

/** The kinds of CRM entity that mail is linked to. */
export type DirectoryEntryType = 'fund' | 'org' | 'contact'

/** One CRM identity that mail is matched against. */
export interface DirectoryEntry {
  /** The kind of entity; with `id` it makes the typed key (`fund:42`). */
  readonly type: DirectoryEntryType
  /** The host's id of the entity. */
  readonly id: string | number
  /** The name shown in facets and digests. */
  readonly name: string
  /** Addresses that belong to the entity (matched exactly, case-insensitive). */
  readonly emails?: readonly string[]
  /** Domains that belong to the entity (matched with their subdomains; never free-mail). */
  readonly domains?: readonly string[]
}

/**
 * Returns the CRM identities to match mail against. Called at the start of a sync and by
 * `rematch()`; it may read the host's database.
 *
 * @example
 * ```ts
 * const directory: Directory = async () => [
 *   { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] },
 *   { type: 'contact', id: 'c-1', name: 'Dana', emails: ['dana@example.com'] },
 * ]
 * ```
 */
export type Directory = () => Promise<readonly DirectoryEntry[]>

/** The signed-in caller of a route, as the host's authentication decides. */
export interface Principal {
  readonly userId: string
  readonly email: string
  /** Admins may manage accounts, run syncs, read full bodies and send digests. */
  readonly isAdmin: boolean
}

/**
 * Decides who is calling a route: a principal, or `null` when nobody is signed in (the route
 * answers 401).
 *
 * @example
 * ```ts
 * const authenticate: Authenticate = async (req) => {
 *   const user = await sessions.fromCookie(req.headers.get('cookie'))
 *   return user ? { userId: user.id, email: user.email, isAdmin: user.role === 'admin' } : null
 * }
 * ```
 */
export type Authenticate = (request: Request) => Promise<Principal | null>

/** Structured fields attached to a log line; never secrets (the library never passes any). */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * Where the library logs. Every method is optional; pino, winston and `console` fit.
 *
 * @example
 * ```ts
 * const logger: Logger = { info: (msg, f) => console.log(msg, f), error: (msg, f) => console.error(msg, f) }
 * ```
 */
export interface Logger {
  debug?(message: string, fields?: LogFields): void
  info?(message: string, fields?: LogFields): void
  warn?(message: string, fields?: LogFields): void
  error?(message: string, fields?: LogFields): void
}

/**
 * The library's source of the current time (tests and demos move it).
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => new Date('2026-06-01T07:00:00Z') }
 * ```
 */
export interface Clock {
  now(): Date
}
