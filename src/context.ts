import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { EmailConfig } from './config/index.js'
import type { EmailDatabase } from './db/database.js'
import type { DialectStrategy } from './db/dialect.js'
import type { Clock, Directory, Logger } from './hooks.js'

/**
 * What every part of one integration shares: the database (the library's own view of the
 * host's Kysely instance) and its dialect, the resolved configuration and the host's hooks.
 * `createEmailIntegration` makes it once.
 */
export interface IntegrationContext {
  readonly db: Kysely<EmailDatabase>
  /** What differs between SQLite and PostgreSQL, chosen once from `db`. */
  readonly dialect: DialectStrategy
  readonly config: EmailConfig
  readonly directory: Directory
  readonly logger: Required<Logger>
  readonly clock: Clock
}

/** An ISO-8601 UTC timestamp of the context's clock, the form every table stores. */
export function nowIso(context: Pick<IntegrationContext, 'clock'>): string {
  return context.clock.now().toISOString()
}

/**
 * A name for this process in leases and run rows: host, pid and a random part. Both the sync
 * (lease holder) and the digest (send claim) take it.
 *
 * @example
 * ```ts
 * processOwner() // 'crm-1:4242:9f86d081'
 * ```
 */
export function processOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}
