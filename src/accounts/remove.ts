/**
 * Removing an account (SPEC §12): its copies, the emails only it held, its tokens, its sync
 * state and its row. Crash-safe by order: the account is first marked (`status: 'removing'`,
 * `removal_requested_at`) and its tokens deleted, in one transaction, so nothing syncs it
 * again; then its copies of emails other mailboxes hold are dropped and the emails only it held
 * erased, a bounded batch per transaction, each leaving whole emails; the row goes last, with
 * the audit entry. The next `remove` or the scheduler finishes a removal a crash cut short.
 */
import { recordAudit } from '../audit-log/store.js'
import type { BlobStore } from '../db/blob-store.js'
import type { EmailDatabase } from '../db/database.js'
import { nowIso, type IntegrationContext } from '../context.js'
import { eraseEmails } from '../erasure/erase.js'
import { ConflictError, NotFoundError, errorMessage } from '../errors.js'
import { underLease, type LeaseDependencies } from '../sync/lease/account-lease.js'
import { createLeaseSession } from '../sync/lease/session.js'
import type { ExpressionBuilder, Kysely } from 'kysely'

/**
 * Copies handled per transaction: each batch of an account's copies of shared emails is
 * dropped in one short transaction (an IN list of ids), and as many of the emails only it held
 * are handed to the erasure per round.
 */
export const REMOVAL_BATCH = 200

/** What removing an account did. */
export interface RemovalReport {
  /** The removed mailbox's address. */
  readonly account: string
  /** Emails only this mailbox held, erased everywhere. */
  readonly emails: number
  /** Their attachment rows. */
  readonly attachments: number
  /** Attachment files no remaining email references, deleted, and their size in bytes. */
  readonly blobsRemoved: number
  readonly bytesFreed: number
  /** Emails other mailboxes also hold: kept, without this mailbox among their `mailboxes`. */
  readonly sharedKept: number
  /** Whether this call finished a removal that an earlier one, cut short, had started. */
  readonly resumed: boolean
}

/** What account removal is built with besides the context: made once by `createEmailIntegration`. */
export interface RemovalServices {
  /** The integration's attachment store. */
  readonly blobs: BlobStore
  /** This process's name in leases (the sync's own): a removal and a sync never hold one account at once. */
  readonly owner: string
  /** The account lease's TTL (the sync's). */
  readonly leaseTtlMs: number
}

/** Removing accounts, and finishing removals a crash cut short. */
export interface AccountRemoval {
  /**
   * Removes the enrolled account at `address` (normalized) under its sync lease; `actor` is
   * who asked, for the audit log. Throws `NotFoundError` when it is not enrolled and
   * `ConflictError` while a sync (or another removal) holds its lease.
   */
  readonly remove: (address: string, actor: string | null) => Promise<RemovalReport>
  /** Finishes every removal a crash cut short; a busy or failing one is logged and left for the next call. */
  readonly finishPending: (signal: AbortSignal) => Promise<void>
}

type Counts = Record<'emails' | 'attachments' | 'blobsRemoved' | 'bytesFreed' | 'sharedKept', number>

/**
 * Builds account removal over the integration's context and services.
 *
 * @example
 * ```ts
 * const removal = createAccountRemoval(context, { blobs, owner, leaseTtlMs: LEASE_TTL_MS })
 * const report = await removal.remove('ann@fund.example', 'admin@fund.example')
 * ```
 */
export function createAccountRemoval(context: IntegrationContext, services: RemovalServices): AccountRemoval {
  const lease: LeaseDependencies = {
    context,
    owner: services.owner,
    leaseTtlMs: services.leaseTtlMs,
    sessions: createLeaseSession(context.db, context.dialect, context.logger),
  }

  const removeLeased = async (accountId: number, address: string, actor: string | null, lost: AbortSignal): Promise<RemovalReport> => {
    const now = nowIso(context)
    const marked = await context.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('email_accounts').select(['removal_requested_at', 'removal_requested_by']).where('id', '=', accountId).executeTakeFirst()
      if (row === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
      const resumed = row.removal_requested_at !== null
      const requestedBy = resumed ? row.removal_requested_by : actor
      await trx
        .updateTable('email_accounts')
        .set({
          status: 'removing',
          status_reason: `being removed (asked ${requestedBy === null ? '' : `by ${requestedBy} `}at ${row.removal_requested_at ?? now})`,
          removal_requested_at: row.removal_requested_at ?? now,
          removal_requested_by: requestedBy,
          updated_at: now,
        })
        .where('id', '=', accountId)
        .execute()
      // Its credentials are not kept a moment longer than the decision to remove it.
      await trx.deleteFrom('email_oauth_tokens').where('account_id', '=', accountId).execute()
      return { resumed, requestedBy }
    })
    const counts: Counts = { emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0, sharedKept: 0 }
    const checkLease = () => {
      if (lost.aborted) throw lost.reason
    }
    for (;;) {
      checkLease()
      const dropped = await context.db.transaction().execute((trx) => dropSharedCopies(trx, accountId))
      counts.sharedKept += dropped
      if (dropped < REMOVAL_BATCH) break
    }
    for (;;) {
      checkLease()
      const sole = await soleEmails(context.db, accountId)
      // Called even with none: it also removes the files an erasure cut short left queued.
      const erased = await eraseEmails(context, services.blobs, sole)
      counts.emails += erased.emails
      counts.attachments += erased.attachments
      counts.blobsRemoved += erased.blobsRemoved
      counts.bytesFreed += erased.bytesFreed
      if (erased.emails === 0 || sole.length < REMOVAL_BATCH) break
    }
    checkLease()
    const report: RemovalReport = { account: address, ...counts, resumed: marked.resumed }
    await context.db.transaction().execute(async (trx) => {
      await deleteAccountRows(trx, accountId)
      const details = { ...counts, resumed: marked.resumed }
      await recordAudit(trx, nowIso(context), { action: 'account.removed', actor: marked.requestedBy, target: { kind: 'account', id: address }, details })
    })
    context.logger.info({ ...report, actor: marked.requestedBy }, 'email account removed')
    return report
  }

  const remove = async (address: string, actor: string | null): Promise<RemovalReport> => {
    const row = await context.db.selectFrom('email_accounts').select(['id', 'address']).where('address', '=', address).executeTakeFirst()
    if (row === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
    const leased = await underLease(lease, row, (lost) => removeLeased(row.id, address, actor, lost)).catch(async (error: unknown) => {
      // Another call removed it between the read and the lease (the lease reads the row).
      const still = await context.db.selectFrom('email_accounts').select('id').where('id', '=', row.id).executeTakeFirst()
      throw still === undefined ? new NotFoundError(`account ${address} is not enrolled`) : error
    })
    if (!leased.taken) {
      throw new ConflictError(`account ${address} is being synced or removed by another process (held by ${leased.holder.description}); try again when it is done`)
    }
    return leased.value
  }

  return {
    remove,
    async finishPending(signal) {
      const pending = await context.db
        .selectFrom('email_accounts')
        .select(['address'])
        .where('removal_requested_at', 'is not', null)
        .orderBy('address')
        .execute()
        .catch((error: unknown) => {
          context.logger.warn({ error: errorMessage(error) }, 'email account removals not read; trying again after the next sync')
          return []
        })
      for (const { address } of pending) {
        if (signal.aborted) return
        try {
          await remove(address, null)
        } catch (error) {
          context.logger.warn({ account: address, error: errorMessage(error) }, 'email account removal not finished; trying again after the next sync')
        }
      }
    },
  }
}

/**
 * Drops up to {@link REMOVAL_BATCH} of the account's copies of emails another mailbox also
 * holds (an attachment waiting for its bytes then downloads from another copy); the number
 * dropped.
 */
async function dropSharedCopies(trx: Kysely<EmailDatabase>, accountId: number): Promise<number> {
  const shared = await trx
    .selectFrom('email_copies as c')
    .select('c.id')
    .where('c.account_id', '=', accountId)
    .where((eb) => eb.exists(otherCopies(eb, accountId)))
    .orderBy('c.id')
    .limit(REMOVAL_BATCH)
    .execute()
  const ids = shared.map((c) => c.id)
  if (ids.length === 0) return 0
  await trx.updateTable('email_attachments').set({ copy_id: null }).where('copy_id', 'in', ids).execute()
  await trx.deleteFrom('email_copies').where('id', 'in', ids).execute()
  return ids.length
}

/** Another mailbox's copies of the email of copy `c`. */
function otherCopies(eb: ExpressionBuilder<EmailDatabase & { c: EmailDatabase['email_copies'] }, 'c'>, accountId: number) {
  return eb.selectFrom('email_copies as o').select('o.id').whereRef('o.email_id', '=', 'c.email_id').where('o.account_id', '!=', accountId)
}

/** Up to {@link REMOVAL_BATCH} ids of emails the account alone holds. */
async function soleEmails(db: Kysely<EmailDatabase>, accountId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('email_copies as c')
    .select('c.email_id')
    .distinct()
    .where('c.account_id', '=', accountId)
    .where((eb) => eb.not(eb.exists(otherCopies(eb, accountId))))
    .orderBy('c.email_id')
    .limit(REMOVAL_BATCH)
    .execute()
  return rows.map((r) => r.email_id)
}

/** Deletes what is left of the account, its row last (children first: foreign keys may be off). */
async function deleteAccountRows(trx: Kysely<EmailDatabase>, accountId: number): Promise<void> {
  // Copies another mailbox took meanwhile made shared: theirs stay, this one's go.
  const copies = trx.selectFrom('email_copies').select('id').where('account_id', '=', accountId)
  await trx.updateTable('email_attachments').set({ copy_id: null }).where('copy_id', 'in', copies).execute()
  await trx.deleteFrom('email_copies').where('account_id', '=', accountId).execute()
  await trx.deleteFrom('email_thread_keys').where('account_id', '=', accountId).execute()
  await trx.deleteFrom('email_sync_failures').where('account_id', '=', accountId).execute()
  await trx.deleteFrom('email_account_terms').where('account_id', '=', accountId).execute()
  await trx.deleteFrom('email_sync_runs').where('account_id', '=', accountId).execute()
  await trx.deleteFrom('email_oauth_tokens').where('account_id', '=', accountId).execute()
  await trx.deleteFrom('email_accounts').where('id', '=', accountId).execute()
}
