/**
 * The hooks a host gives `createEmailIntegration`: who its CRM identities are, who is calling,
 * where logs go and what time it is. Structural types only, so no host framework leaks in, and
 * the system clock that stands in when a host gives no clock.
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

/**
 * Structured fields attached to a log line. The library never puts a secret in them, and
 * strings in them pass through redaction (URL credentials, key text) before the host sees them.
 */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * Where the library logs, in pino's argument order: the fields object first, then the message
 * (`logger.info({ account }, 'email sync run started')`). Every method is optional; a missing
 * one is silent.
 *
 * - pino: pass the logger itself; each line carries the fields and `msg`.
 * - `console`: pass `console`; `console.info(fields, message)` prints both.
 * - winston 3: pass the logger itself. winston takes the message first (an object first
 *   becomes the message and the text is dropped), so a winston logger is recognised (it has
 *   `log`, `add`, `remove` and a `transports` array) and called as
 *   `logger.info(message, fields)`; the fields become the line's metadata.
 * - anything else: write the four methods, fields first.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * import winston from 'winston'
 *
 * createEmailIntegration({ db, config, directory, logger: pino() })
 * createEmailIntegration({ db, config, directory, logger: winston.createLogger({ transports: [new winston.transports.Console()] }) })
 * createEmailIntegration({ db, config, directory, logger: console })
 *
 * const logger: Logger = {
 *   info: (fields, message) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
 *   error: (fields, message) => process.stderr.write(`ERROR ${message} ${JSON.stringify(fields)}\n`),
 * }
 * ```
 */
export interface Logger {
  debug?(fields: LogFields, message: string): void
  info?(fields: LogFields, message: string): void
  warn?(fields: LogFields, message: string): void
  error?(fields: LogFields, message: string): void
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

/**
 * The system clock: every default that needs the time and was given no {@link Clock} uses this
 * one, and `createEmailIntegration` hands its own clock down wherever it builds a part.
 *
 * @example
 * ```ts
 * const clock = options.clock ?? SYSTEM_CLOCK
 * ```
 */
export const SYSTEM_CLOCK: Clock = Object.freeze({ now: () => new Date() })
