import { normalizeAddress } from '../address.js'
import { findAccountRow } from '../db/accounts.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { runAccount, type RunDependencies } from './engine.js'
import { MAX_RETRIES_PER_RUN, selectFailures, stillFailing } from './failures.js'
import type { AccountRow } from './run-state.js'
import type { RetryFailuresOptions, RetryReport, SyncReport } from './types.js'

/** The account statuses a retry of every account's failures reaches: the ones `runAll` syncs. */
const SYNCABLE_STATUSES = ['active', 'needs_attention'] as const

/** Gmail's message ids are 16 hex digits; a much longer string cannot be one. */
const MAX_GMAIL_ID_LENGTH = 64

/** The ids option, checked: Gmail ids are short opaque strings; the list is bounded like a run's retries. */
function checkedIds(ids: unknown): readonly string[] | undefined {
  if (ids === undefined) return undefined
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id.length === 0 || id.length > MAX_GMAIL_ID_LENGTH)) {
    throw new ValidationError('ids: expected an array of Gmail message ids')
  }
  if (ids.length > MAX_RETRIES_PER_RUN) throw new ValidationError(`ids: at most ${MAX_RETRIES_PER_RUN} at once`)
  return [...new Set(ids as string[])]
}

async function accountOf(deps: RunDependencies, account: unknown): Promise<AccountRow | undefined> {
  if (account === undefined) return undefined
  const address = typeof account === 'string' ? normalizeAddress(account) : null
  if (address === null) throw new ValidationError('account: expected the address of an enrolled mailbox')
  const row = await findAccountRow(deps.context, address)
  if (row === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
  return row
}

/**
 * Fetches failed messages again, whatever their kind or schedule: each account holding one of
 * the selected failures gets a run that retries them first and then syncs as usual. Accounts
 * run one after another. With `account`, a run in progress elsewhere throws `ConflictError`;
 * without it, such an account is left out of the reports, as `runAll` leaves it.
 */
export async function retryFailures(deps: RunDependencies, options: RetryFailuresOptions): Promise<RetryReport[]> {
  const ids = checkedIds(options.ids)
  const only = await accountOf(deps, options.account)
  const { db } = deps.context
  const selected = await selectFailures(db, { accountId: only?.id, gmailIds: ids })
  if (selected.size === 0) return []
  const accounts =
    only !== undefined
      ? [only]
      : await db
          .selectFrom('email_accounts')
          .selectAll()
          .where('id', 'in', [...selected.keys()])
          .where('status', 'in', [...SYNCABLE_STATUSES])
          .orderBy('address')
          .execute()

  const reports: RetryReport[] = []
  for (const account of accounts) {
    if (options.signal?.aborted === true) break
    const retry = selected.get(account.id) ?? []
    let run: SyncReport
    try {
      run = await runAccount(deps, account, { retry, onProgress: options.onProgress, signal: options.signal })
    } catch (error) {
      if (error instanceof ConflictError && only === undefined) continue
      throw error
    }
    const failing = (await stillFailing(db, account.id, retry)).length
    reports.push({ account: account.address, retried: retry.length, resolved: retry.length - failing, failing, run })
  }
  return reports
}
