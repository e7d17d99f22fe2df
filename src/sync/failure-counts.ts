import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'

/** An account's failed messages, as the status route and `crm-email-integration status` show them. */
export interface FailureCounts {
  /** Messages that failed permanently (poison mail): fetched again only by an explicit retry. */
  readonly permanent: number
  /** Messages that failed transiently, waiting for their next attempt. */
  readonly waiting: number
  /** The earliest next attempt of the waiting ones (ISO), or `null` when none waits. */
  readonly nextAttemptAt: string | null
}

/** The counts of an account without failures. */
export const NO_FAILURES: FailureCounts = Object.freeze({ permanent: 0, waiting: 0, nextAttemptAt: null })

/**
 * The failed messages of each account that has any, by address.
 *
 * @example
 * ```ts
 * const counts = await failureCounts(db)
 * console.log(counts.get('ann@fund.example') ?? NO_FAILURES)
 * ```
 */
export async function failureCounts(db: Kysely<EmailDatabase>): Promise<Map<string, FailureCounts>> {
  const rows = await db
    .selectFrom('email_sync_failures')
    .innerJoin('email_accounts', 'email_accounts.id', 'email_sync_failures.account_id')
    .select((eb) => [
      'email_accounts.address',
      'email_sync_failures.kind',
      eb.fn.countAll<number | string | bigint>().as('count'),
      eb.fn.min('email_sync_failures.next_attempt_at').as('next'),
    ])
    .groupBy(['email_accounts.address', 'email_sync_failures.kind'])
    .execute()
  const counts = new Map<string, FailureCounts>()
  for (const row of rows) {
    const known = counts.get(row.address) ?? NO_FAILURES
    // PostgreSQL counts in bigint, which its driver hands over as text.
    const count = Number(row.count)
    counts.set(
      row.address,
      row.kind === 'permanent' ? { ...known, permanent: count } : { ...known, waiting: count, nextAttemptAt: row.next },
    )
  }
  return counts
}
