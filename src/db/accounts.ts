import type { Selectable } from 'kysely'
import type { IntegrationContext } from '../context.js'
import type { AccountStatus, AuthMethod, EmailAccountsTable } from './database.js'

/** An enrolled mailbox as the public API shows it. */
export interface EmailAccount {
  readonly id: string
  /** The mailbox address, lower-case. */
  readonly address: string
  readonly authMethod: AuthMethod
  readonly status: AccountStatus
  /** Why the account is not `active`, or `null`. */
  readonly statusReason: string | null
  readonly createdAt: string
  /** When a sync of this account last ran, and last succeeded (ISO), or `null`. */
  readonly lastSyncAt: string | null
  readonly lastSuccessAt: string | null
  readonly lastError: string | null
  /** When the first full scan of the mailbox finished, or `null` while it has not. */
  readonly backfillCompletedAt: string | null
  /**
   * Set when the recall guard found CRM mail that Gmail's search did not list: since `at`, the
   * account reads every message's headers (the `headers` strategy) until an operator clears it
   * with `accounts.clearSearchFallback`. `null` while the account captures through search.
   */
  readonly searchFallback: { readonly at: string; readonly reason: string } | null
}

type AccountRow = Selectable<EmailAccountsTable>

/** The public form of an account row. */
export function toAccount(row: AccountRow): EmailAccount {
  return {
    id: String(row.id),
    address: row.address,
    authMethod: row.auth_method,
    status: row.status,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    lastSyncAt: row.last_sync_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    searchFallback: row.search_fallback_at === null ? null : { at: row.search_fallback_at, reason: row.search_fallback_reason ?? '' },
    backfillCompletedAt: row.backfill_completed_at,
  }
}

/** The row of one account by address, or `undefined`. */
export async function findAccountRow(context: IntegrationContext, address: string): Promise<AccountRow | undefined> {
  return context.db.selectFrom('email_accounts').selectAll().where('address', '=', address).executeTakeFirst()
}

/**
 * Inserts the account unless it exists; either way returns it, with `created` telling which.
 * Safe under concurrency: the unique address decides, never a read-then-write race.
 */
export async function insertAccount(
  context: IntegrationContext,
  values: { address: string; authMethod: AuthMethod; status: AccountStatus; statusReason: string | null; now: string },
): Promise<{ account: EmailAccount; created: boolean }> {
  const inserted = await context.db
    .insertInto('email_accounts')
    .values({
      address: values.address,
      auth_method: values.authMethod,
      status: values.status,
      status_reason: values.statusReason,
      created_at: values.now,
      updated_at: values.now,
    })
    .onConflict((oc) => oc.column('address').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted !== undefined) return { account: toAccount(inserted), created: true }
  const existing = await findAccountRow(context, values.address)
  if (existing === undefined) throw new Error(`account ${values.address} vanished while enrolling`)
  return { account: toAccount(existing), created: false }
}

/** Every account, by address. */
export async function listAccountRows(context: IntegrationContext): Promise<EmailAccount[]> {
  const rows = await context.db.selectFrom('email_accounts').selectAll().orderBy('address').execute()
  return rows.map(toAccount)
}
