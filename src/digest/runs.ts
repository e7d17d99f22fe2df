import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import type { DigestWindow } from './window.js'

/**
 * When a day's row may be taken over: a failed delivery is retried, and a claim whose process
 * died is taken over, this long after it was claimed. Long enough that a live build (a few
 * model calls, each bounded by the summarizer timeout) is never overtaken; short enough that a
 * transient mail outage still gets the day's digest out the same day.
 */
export const RETRY_CLAIM_AFTER_MS = 15 * 60_000
/** The longest delivery error kept on the row: enough to act on, not a whole stack. */
export const MAX_RUN_ERROR_CHARS = 500

/** How a claim went: the caller owns the day, or why not. */
export type ClaimOutcome = 'claimed' | 'already sent' | 'already claimed'

/**
 * The daily cursor: where the last sent scheduled digest ended, or `null` before the first.
 * Only sent days move it, so a day that was never delivered leaves its mail to the next one.
 */
export async function previousCursor(db: Kysely<EmailDatabase>, period: string): Promise<string | null> {
  const row = await db
    .selectFrom('email_digest_runs')
    .select('window_to')
    .where('status', '=', 'sent')
    .where('period', '<', period)
    .orderBy('window_to', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.window_to ?? null
}

/**
 * Claims a day for `owner`. The unique `period` decides between processes: one INSERT wins,
 * every other finds the row. A failed or abandoned row older than {@link RETRY_CLAIM_AFTER_MS}
 * is taken over with a compare-and-set UPDATE on what was read, so again only one wins.
 */
export async function claimDigestDay(
  db: Kysely<EmailDatabase>,
  claim: { period: string; window: DigestWindow; owner: string; now: Date },
): Promise<ClaimOutcome> {
  const values = {
    window_from: claim.window.from,
    window_to: claim.window.to,
    status: 'claimed' as const,
    claimed_by: claim.owner,
    claimed_at: claim.now.toISOString(),
    sent_at: null,
    error: null,
  }
  const inserted = await db
    .insertInto('email_digest_runs')
    .values({ period: claim.period, ...values })
    .onConflict((oc) => oc.column('period').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted !== undefined) return 'claimed'
  const row = await db.selectFrom('email_digest_runs').selectAll().where('period', '=', claim.period).executeTakeFirst()
  if (row === undefined || row.status === 'sent') return 'already sent'
  if (Date.parse(row.claimed_at) > claim.now.getTime() - RETRY_CLAIM_AFTER_MS) return 'already claimed'
  const taken = await db
    .updateTable('email_digest_runs')
    .set(values)
    .where('id', '=', row.id)
    .where('status', '=', row.status)
    .where('claimed_by', '=', row.claimed_by)
    .where('claimed_at', '=', row.claimed_at)
    .executeTakeFirst()
  return taken.numUpdatedRows > 0n ? 'claimed' : 'already claimed'
}

/** Marks `owner`'s claimed day sent (`error` null) or failed; a claim taken over meanwhile is left alone. */
export async function finishDigestDay(
  db: Kysely<EmailDatabase>,
  finish: { period: string; owner: string; now: Date; error: string | null },
): Promise<void> {
  await db
    .updateTable('email_digest_runs')
    .set(
      finish.error === null
        ? { status: 'sent', sent_at: finish.now.toISOString(), error: null }
        : { status: 'failed', error: finish.error.slice(0, MAX_RUN_ERROR_CHARS) },
    )
    .where('period', '=', finish.period)
    .where('claimed_by', '=', finish.owner)
    .where('status', '=', 'claimed')
    .execute()
}
