import type { Kysely } from 'kysely'
import type { CaptureFailure } from '../capture/pipeline.js'
import type { EmailDatabase } from '../db/database.js'

/** Failures after which a message is parked: it stops counting against the run's status. */
export const PARK_AFTER_ATTEMPTS = 3

/** Failed messages retried at the start of a run, at most: a flood of poison mail cannot eat the quota. */
export const MAX_RETRIES_PER_RUN = 200

/** Failure reasons are stored for operators; a cap keeps a huge error text out of the table. */
const MAX_REASON_LENGTH = 500

/** What recording a page's failures did. */
export interface RecordedFailures {
  /** Messages parked by this failure (their third). */
  readonly newlyParked: number
  /** Messages that were parked already: a retry failed again, which no longer counts against the run. */
  readonly alreadyParked: number
}

/**
 * Records failed messages inside the page's transaction: the attempt count goes up, and the
 * third failure parks the message. The cursor moves on regardless: a failure is retried from
 * this table, never by holding the cursor back.
 */
export async function recordFailures(
  db: Kysely<EmailDatabase>,
  accountId: number,
  failures: readonly CaptureFailure[],
  now: string,
): Promise<RecordedFailures> {
  let parked = 0
  let alreadyParked = 0
  for (const f of failures) {
    const reason = f.reason.slice(0, MAX_REASON_LENGTH)
    const row = await db
      .selectFrom('email_sync_failures')
      .select(['id', 'attempts', 'parked_at'])
      .where('account_id', '=', accountId)
      .where('gmail_id', '=', f.gmailId)
      .executeTakeFirst()
    const attempts = (row?.attempts ?? 0) + 1
    const parkedAt = row?.parked_at ?? (attempts >= PARK_AFTER_ATTEMPTS ? now : null)
    if ((row?.parked_at ?? null) !== null) alreadyParked += 1
    else if (parkedAt !== null) parked += 1
    if (row === undefined) {
      await db
        .insertInto('email_sync_failures')
        .values({ account_id: accountId, gmail_id: f.gmailId, attempts, reason, parked_at: parkedAt, first_failed_at: now, last_failed_at: now })
        .execute()
    } else {
      await db
        .updateTable('email_sync_failures')
        .set({ attempts, reason, parked_at: parkedAt, last_failed_at: now })
        .where('id', '=', row.id)
        .execute()
    }
  }
  return { newlyParked: parked, alreadyParked }
}

/** Forgets failures of messages that have now been captured or skipped for good. */
export async function clearFailures(db: Kysely<EmailDatabase>, accountId: number, gmailIds: readonly string[]): Promise<void> {
  if (gmailIds.length === 0) return
  await db.deleteFrom('email_sync_failures').where('account_id', '=', accountId).where('gmail_id', 'in', [...gmailIds]).execute()
}

/** The failed messages to try again this run: unparked ones first, then parked ones, oldest first. */
export async function failuresToRetry(db: Kysely<EmailDatabase>, accountId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('email_sync_failures')
    .select('gmail_id')
    .where('account_id', '=', accountId)
    .orderBy((eb) => eb.case().when('parked_at', 'is', null).then(0).else(1).end())
    .orderBy('last_failed_at')
    .limit(MAX_RETRIES_PER_RUN)
    .execute()
  return rows.map((r) => r.gmail_id)
}
