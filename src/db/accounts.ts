import type { Selectable } from 'kysely'
import type { IntegrationContext } from '../context.js'
import { ConflictError, NotFoundError } from '../errors.js'
import type { AccountStatus, AuthMethod, EmailAccountsTable, SharingLevel } from './database.js'

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
  /**
   * What teammates see of this mailbox's mail (SPEC §12): the level chosen for it with
   * `accounts.setSharing`, else the configured default (`CRM_GMAIL_DEFAULT_SHARING`).
   */
  readonly sharing: SharingLevel
  /**
   * Whether `sharing` is the configured default because no level was chosen for the mailbox:
   * it then follows a change of `CRM_GMAIL_DEFAULT_SHARING`, while a chosen level stays.
   */
  readonly sharingIsDefault: boolean
}

type AccountRow = Selectable<EmailAccountsTable>

/**
 * The public form of an account row; `defaultSharing` is the level of a mailbox that has not
 * chosen one (`config.defaultSharing`).
 *
 * @example
 * ```ts
 * const account = toAccount(row, context.config.defaultSharing)
 * ```
 */
export function toAccount(row: AccountRow, defaultSharing: SharingLevel): EmailAccount {
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
    sharing: row.sharing ?? defaultSharing,
    sharingIsDefault: row.sharing === null,
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
  if (inserted !== undefined) return { account: toAccount(inserted, context.config.defaultSharing), created: true }
  const existing = await findAccountRow(context, values.address)
  if (existing === undefined) throw new Error(`account ${values.address} vanished while enrolling`)
  return { account: toAccount(existing, context.config.defaultSharing), created: false }
}

/** Every account, by address. */
export async function listAccountRows(context: IntegrationContext): Promise<EmailAccount[]> {
  const rows = await context.db.selectFrom('email_accounts').selectAll().orderBy('address').execute()
  return rows.map((row) => toAccount(row, context.config.defaultSharing))
}

/** Why a paused account is not synced, as its `statusReason` shows it. */
export const PAUSED_REASON = 'paused by an admin: not synced until resumed'

/** The reason an OAuth account waiting for its owner shows (the same as at enrollment). */
export const CONSENT_REASON = 'waiting for the owner to grant access (OAuth consent)'

/** What an account write did: the account as it now is, and whether the call changed it. */
export interface AccountChange {
  readonly account: EmailAccount
  /** `false` when the account already was as asked (an idempotent call); nothing was written then. */
  readonly changed: boolean
}

/**
 * Pauses an account: `status` becomes `paused`, and the status and reason it had are kept for
 * {@link resumeAccount}. Idempotent: an account already paused is returned unchanged (its
 * `paused_at` too, and `changed: false`). Throws `NotFoundError` for an address that is not
 * enrolled.
 *
 * @example
 * ```ts
 * const { account } = await pauseAccount(context, 'ann@fund.example', nowIso(context))
 * account.pausedAt // '2026-06-01T07:00:00.000Z'
 * ```
 */
export async function pauseAccount(context: IntegrationContext, address: string, now: string): Promise<AccountChange> {
  const { defaultSharing } = context.config
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
    .where('status', 'not in', ['paused', 'removing'])
    .returningAll()
    .executeTakeFirst()
  if (paused !== undefined) return { account: toAccount(paused, defaultSharing), changed: true }
  const row = await requireAccountRow(context, address)
  if (row.status === 'removing') throw new ConflictError(`account ${address} is being removed: it cannot be paused`)
  return { account: toAccount(row, defaultSharing), changed: false }
}

/**
 * Resumes a paused account: it goes back to the status it had (`needs_attention` with its
 * reason; `needs_consent` while an OAuth account has no stored token; else `active`), and the
 * next sync carries on from its cursor. Idempotent: an account that is not paused is returned
 * unchanged (`changed: false`). Throws `NotFoundError` for an address that is not enrolled.
 *
 * @example
 * ```ts
 * const { account } = await resumeAccount(context, 'ann@fund.example', nowIso(context))
 * account.status // 'active'
 * ```
 */
export async function resumeAccount(context: IntegrationContext, address: string, now: string): Promise<AccountChange> {
  const { defaultSharing } = context.config
  const row = await requireAccountRow(context, address)
  if (row.status !== 'paused') return { account: toAccount(row, defaultSharing), changed: false }
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
  if (resumed !== undefined) return { account: toAccount(resumed, defaultSharing), changed: true }
  // Another call resumed it first: answer what that call left.
  return { account: toAccount(await requireAccountRow(context, address), defaultSharing), changed: false }
}

/** What {@link setAccountSharing} did: the account as it now is, and the level it had before. */
export interface SharingChange extends AccountChange {
  /** The level the account had before the call (its own, else the default). */
  readonly from: SharingLevel
  /** Whether that level was the configured default, no level having been chosen. */
  readonly fromDefault: boolean
}

/**
 * Chooses a mailbox's sharing level. Choosing the level the mailbox already has chosen changes
 * nothing (`changed: false`); choosing the default's level for a mailbox that had none does
 * change it: the mailbox then keeps that level when the default changes. Run it in a
 * transaction: the first statement locks the row, so the level read as `from` is the one
 * replaced. Throws `NotFoundError` for an address that is not enrolled.
 *
 * @example
 * ```ts
 * const { account, from } = await setAccountSharing({ ...context, db: trx }, 'ann@fund.example', 'subject', now)
 * ```
 */
export async function setAccountSharing(context: IntegrationContext, address: string, level: SharingLevel, now: string): Promise<SharingChange> {
  const { defaultSharing } = context.config
  // An update that writes the value it reads: on PostgreSQL it takes the row's lock for the
  // transaction (and reads the latest committed level), which a plain select would not.
  const before = await context.db
    .updateTable('email_accounts')
    .set((eb) => ({ sharing: eb.ref('sharing') }))
    .where('address', '=', address)
    .returningAll()
    .executeTakeFirst()
  if (before === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
  const from = { from: before.sharing ?? defaultSharing, fromDefault: before.sharing === null }
  if (before.sharing === level) return { ...from, account: toAccount(before, defaultSharing), changed: false }
  const after = await context.db
    .updateTable('email_accounts')
    .set({ sharing: level, updated_at: now })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...from, account: toAccount(after, defaultSharing), changed: true }
}

async function requireAccountRow(context: IntegrationContext, address: string): Promise<AccountRow> {
  const row = await findAccountRow(context, address)
  if (row === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
  return row
}
