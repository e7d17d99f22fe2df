/**
 * The database phase of the capture pipeline: a prepared page written inside the caller's
 * transaction, each message behind its own savepoint.
 */
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { dialectOf, type DialectStrategy } from '../db/dialect.js'
import { errorMessage } from '../errors.js'
import type { CaptureFailure } from './failure.js'
import type { CommitResult, PreparedPage } from './pipeline-types.js'
import { storeCopyOf, storeMessage } from './store.js'

/** Tries per message write: a second one absorbs a concurrent insert of the same email. */
const WRITE_ATTEMPTS = 2

/**
 * The PostgreSQL advisory lock that serialises page commits (any constant; it only has to be
 * the same in every process). See {@link commitPage}.
 */
export const CAPTURE_COMMIT_LOCK = 7_426_315_001

type Write = readonly [gmailId: string, write: () => Promise<{ emailId: number }>]

/**
 * Stores a prepared page: copies of known emails first, then new records. A message whose
 * write fails is undone alone and reported; the rest of the page commits. `dialect` is the
 * integration's (`context.dialect`); without it, the transaction's own is detected.
 *
 * @example
 * ```ts
 * const page = await pipeline.prepare(account, client, refs)
 * const result = await db.transaction().execute((trx) => commitPage(trx, page, new Date().toISOString()))
 * console.log(result.captured, result.failed)
 * ```
 */
export async function commitPage(
  trx: Kysely<EmailDatabase>,
  page: PreparedPage,
  now: string,
  dialect: DialectStrategy = dialectOf(trx),
): Promise<CommitResult> {
  const emailIds: number[] = []
  const failed: CaptureFailure[] = []
  // Mailboxes sync in parallel, in several processes. Two pages holding the same email, or two
  // messages of one conversation, must not commit unaware of each other: PostgreSQL would let
  // one insert fail the dedup constraint, or split the conversation into two threads. SQLite
  // has one writer at a time; on PostgreSQL this transaction lock gives the same guarantee.
  if (page.copies.length + page.records.length > 0 && dialect.concurrentWriters) {
    await sql`select pg_advisory_xact_lock(${CAPTURE_COMMIT_LOCK})`.execute(trx)
  }
  const writes: Write[] = [
    ...page.copies.map((c): Write => [c.gmailId, () => storeCopyOf(trx, c, now)]),
    ...page.records.map((r): Write => [r.gmailId, () => storeMessage(trx, r, now)]),
  ]
  for (const [gmailId, write] of writes) {
    // A message whose write fails is undone alone; the page (and its checkpoint) still commits.
    // It is tried twice: on PostgreSQL another mailbox's transaction may have been storing the
    // same email at the same moment (a unique violation once it commits); the second try sees
    // that email and joins it, threads included.
    let lastError: unknown = null
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      await sql`savepoint capture_message`.execute(trx)
      try {
        emailIds.push((await write()).emailId)
        await sql`release savepoint capture_message`.execute(trx)
        lastError = null
        break
      } catch (error) {
        lastError = error
        await sql`rollback to savepoint capture_message`.execute(trx)
        await sql`release savepoint capture_message`.execute(trx)
      }
    }
    if (lastError !== null) {
      failed.push({ gmailId, reason: `storing failed: ${errorMessage(lastError)}`, retryable: true })
    }
  }
  return { captured: emailIds.length, emailIds, failed }
}
