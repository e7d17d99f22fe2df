import type { Selectable } from 'kysely'
import type { IntegrationContext } from '../context.js'
import { NotFoundError } from '../errors.js'
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
  /** Since when an admin paused the account (`status` is `paused`: not synced until resumed), or `null`. */
  readonly pausedAt: string | null
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
    pausedAt: row.status === 'paused' ? row.paused_at : null,
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

/** Why a paused account is not synced, as its `statusReason` shows it. */
export const PAUSED_REASON = 'paused by an admin: not synced until resumed'

/** The reason an OAuth account waiting for its owner shows (the same as at enrollment). */
export const CONSENT_REASON = 'waiting for the owner to grant access (OAuth consent)'

/**
 * Pauses an account: `status` becomes `paused`, and the status and reason it had are kept for
 * {@link resumeAccount}. Idempotent: an account already paused is returned unchanged (its
 * `paused_at` too). Throws `NotFoundError` for an address that is not enrolled.
 *
 * @example
 * ```ts
 * const account = await pauseAccount(context, 'ann@fund.example', nowIso(context))
 * account.pausedAt // '2026-06-01T07:00:00.000Z'
 * ```
 */
export async function pauseAccount(context: IntegrationContext, address: string, now: string): Promise<EmailAccount> {
  // One statement: the old status is read and replaced at once, so a concurrent write cannot slip between.
  const paused = await context.db
    .updateTable('email_accounts')
    .set((eb) => ({
      paused_status: eb.ref('status'),
      paused_reason: eb.ref('status_reason'),
      paused_at: now,
      status: 'paused' as const,
      status_reason: PAUSED_REASON,
      updated_at: now,
    }))
    .where('address', '=', address)
    .where('status', '!=', 'paused')
    .returningAll()
    .executeTakeFirst()
  if (paused !== undefined) return toAccount(paused)
  return toAccount(await requireAccountRow(context, address))
}

/**
 * Resumes a paused account: it goes back to the status it had (`needs_attention` with its
 * reason; `needs_consent` while an OAuth account has no stored token; else `active`), and the
 * next sync carries on from its cursor. Idempotent: an account that is not paused is returned
 * unchanged. Throws `NotFoundError` for an address that is not enrolled.
 *
 * @example
 * ```ts
 * const account = await resumeAccount(context, 'ann@fund.example', nowIso(context))
 * account.status // 'active'
 * ```
 */
export async function resumeAccount(context: IntegrationContext, address: string, now: string): Promise<EmailAccount> {
  const row = await requireAccountRow(context, address)
  if (row.status !== 'paused') return toAccount(row)
  const token = await context.db.selectFrom('email_oauth_tokens').select('account_id').where('account_id', '=', row.id).executeTakeFirst()
  const back =
    row.paused_status === 'needs_attention'
      ? { status: 'needs_attention' as const, status_reason: row.paused_reason }
      : row.auth_method === 'oauth' && token === undefined
        ? { status: 'needs_consent' as const, status_reason: CONSENT_REASON }
        : { status: 'active' as const, status_reason: null }
  const resumed = await context.db
    .updateTable('email_accounts')
    .set({ ...back, paused_at: null, paused_status: null, paused_reason: null, updated_at: now })
    .where('id', '=', row.id)
    .where('status', '=', 'paused')
    .returningAll()
    .executeTakeFirst()
  // Another call resumed it first: answer what that call left.
  return toAccount(resumed ?? (await requireAccountRow(context, address)))
}

async function requireAccountRow(context: IntegrationContext, address: string): Promise<AccountRow> {
  const row = await findAccountRow(context, address)
  if (row === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
  return row
}
