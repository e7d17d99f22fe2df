import type { Kysely } from 'kysely'
import type { CaptureFailure } from '../capture/pipeline.js'
import type { EmailDatabase, SyncFailureKind } from '../db/database.js'

/** Transient failures after which a message is parked: it stops counting against the run's status. */
export const PARK_AFTER_ATTEMPTS = 3

/** Failed messages retried in one run, at most: a flood of failed mail cannot eat the quota. */
export const MAX_RETRIES_PER_RUN = 200

/** Failure reasons are stored for operators; a cap keeps a huge error text out of the table. */
const MAX_REASON_LENGTH = 500

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/**
 * How long a transiently failed message waits before a scheduled run fetches it again, by the
 * number of failures so far; past the end, the last wait repeats. An outage of minutes is
 * over by the first retry; one of days is not retried every few minutes meanwhile; and a
 * message that never comes through costs one fetch a week.
 */
export const RETRY_BACKOFF_MS: readonly number[] = [HOUR_MS, 6 * HOUR_MS, DAY_MS, 3 * DAY_MS, 7 * DAY_MS]

/**
 * When a message that has now failed `attempts` times transiently may be fetched again.
 *
 * @example
 * ```ts
 * nextAttemptAt(1, new Date('2026-06-01T07:00:00.000Z')) // '2026-06-01T08:00:00.000Z'
 * nextAttemptAt(9, new Date('2026-06-01T07:00:00.000Z')) // '2026-06-08T07:00:00.000Z'
 * ```
 */
export function nextAttemptAt(attempts: number, now: Date): string {
  const waits = RETRY_BACKOFF_MS
  const wait = waits[Math.min(Math.max(attempts, 1), waits.length) - 1] ?? HOUR_MS
  return new Date(now.getTime() + wait).toISOString()
}

/** The kind of a capture failure: a message refused for what it is never changes by waiting. */
function failureKind(failure: CaptureFailure): SyncFailureKind {
  return failure.retryable ? 'transient' : 'permanent'
}

/** What recording a page's failures did. */
export interface RecordedFailures {
  /** Messages parked by this failure (a permanent one, or a transient one's third). */
  readonly newlyParked: number
  /** Messages that were parked already: a retry failed again, which no longer counts against the run. */
  readonly alreadyParked: number
}

/**
 * Records failed messages inside the page's transaction: the attempt count goes up and the
 * kind is the latest failure's. A permanent failure is parked at once and gets no next attempt;
 * a transient one is scheduled by {@link nextAttemptAt} and parked at its third failure. The
 * cursor moves on regardless: a failure is retried from this table, never by holding the
 * cursor back.
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
    const kind = failureKind(f)
    const row = await db
      .selectFrom('email_sync_failures')
      .select(['id', 'attempts', 'parked_at'])
      .where('account_id', '=', accountId)
      .where('gmail_id', '=', f.gmailId)
      .executeTakeFirst()
    const attempts = (row?.attempts ?? 0) + 1
    const parks = kind === 'permanent' || attempts >= PARK_AFTER_ATTEMPTS
    const parkedAt = row?.parked_at ?? (parks ? now : null)
    const nextAttempt = kind === 'permanent' ? null : nextAttemptAt(attempts, new Date(now))
    if ((row?.parked_at ?? null) !== null) alreadyParked += 1
    else if (parkedAt !== null) parked += 1
    if (row === undefined) {
      await db
        .insertInto('email_sync_failures')
        .values({
          account_id: accountId,
          gmail_id: f.gmailId,
          attempts,
          reason,
          kind,
          next_attempt_at: nextAttempt,
          parked_at: parkedAt,
          first_failed_at: now,
          last_failed_at: now,
        })
        .execute()
    } else {
      await db
        .updateTable('email_sync_failures')
        .set({ attempts, reason, kind, next_attempt_at: nextAttempt, parked_at: parkedAt, last_failed_at: now })
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

/**
 * The failed messages a scheduled run tries again: transient failures whose next attempt is
 * due, longest due first, at most {@link MAX_RETRIES_PER_RUN}. Permanent failures are never
 * among them.
 */
export async function dueFailures(db: Kysely<EmailDatabase>, accountId: number, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('email_sync_failures')
    .select('gmail_id')
    .where('account_id', '=', accountId)
    .where('kind', '=', 'transient')
    .where('next_attempt_at', '<=', now.toISOString())
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(MAX_RETRIES_PER_RUN)
    .execute()
  return rows.map((r) => r.gmail_id)
}

/** Which failures an explicit retry takes. */
export interface FailureSelection {
  /** Only this account's. */
  readonly accountId?: number | undefined
  /** Only these Gmail message ids. */
  readonly gmailIds?: readonly string[] | undefined
}

/**
 * The failed messages an explicit retry fetches again, by account id: every kind, due or not,
 * least recently tried first, at most {@link MAX_RETRIES_PER_RUN} per account (a retry that
 * fails again moves a message to the back, so calling again reaches the rest).
 */
export async function selectFailures(db: Kysely<EmailDatabase>, selection: FailureSelection): Promise<Map<number, string[]>> {
  if (selection.gmailIds?.length === 0) return new Map()
  let query = db.selectFrom('email_sync_failures').select(['account_id', 'gmail_id'])
  if (selection.accountId !== undefined) query = query.where('account_id', '=', selection.accountId)
  if (selection.gmailIds !== undefined) query = query.where('gmail_id', 'in', [...selection.gmailIds])
  const rows = await query.orderBy('last_failed_at').orderBy('id').execute()
  const byAccount = new Map<number, string[]>()
  for (const row of rows) {
    const ids = byAccount.get(row.account_id) ?? []
    if (ids.length < MAX_RETRIES_PER_RUN) ids.push(row.gmail_id)
    byAccount.set(row.account_id, ids)
  }
  return byAccount
}

/** Which of `gmailIds` have a failure recorded for the account (of `kind`, when given). */
async function failedIds(db: Kysely<EmailDatabase>, accountId: number, gmailIds: readonly string[], kind?: SyncFailureKind): Promise<string[]> {
  if (gmailIds.length === 0) return []
  let query = db.selectFrom('email_sync_failures').select('gmail_id').where('account_id', '=', accountId).where('gmail_id', 'in', [...gmailIds])
  if (kind !== undefined) query = query.where('kind', '=', kind)
  return (await query.execute()).map((r) => r.gmail_id)
}

/**
 * Which of `gmailIds` still have a failure recorded for the account.
 *
 * @example
 * ```ts
 * const failing = await stillFailing(db, account.id, ['18c2f0a1b2c3d4e5'])
 * ```
 */
export function stillFailing(db: Kysely<EmailDatabase>, accountId: number, gmailIds: readonly string[]): Promise<string[]> {
  return failedIds(db, accountId, gmailIds)
}

/**
 * Which of `gmailIds` failed permanently: listed again (a catch-up's overlap, history), they are not fetched.
 *
 * @example
 * ```ts
 * const parked = await permanentFailures(db, account.id, refs.map((r) => r.id))
 * ```
 */
export async function permanentFailures(db: Kysely<EmailDatabase>, accountId: number, gmailIds: readonly string[]): Promise<Set<string>> {
  return new Set(await failedIds(db, accountId, gmailIds, 'permanent'))
}
