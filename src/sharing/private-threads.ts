/**
 * Private threads (SPEC §12): an owner of a mailbox holding a thread's mail can mark the thread
 * private, and then everyone else reads it at `metadata` (the rule in `access.ts` reads
 * `email_private_threads`). Being an admin gives no say over someone else's thread.
 */
import type { Kysely } from 'kysely'
import { normalizeAddress } from '../address.js'
import { recordAudit } from '../audit-log/store.js'
import type { EmailDatabase } from '../db/database.js'
import { AuthError, NotFoundError, ValidationError } from '../errors.js'
import type { ThreadPrivacy } from '../mail/types.js'
import { markPayloadDirty } from '../vectors/index-state.js'

/** A request to mark or unmark one thread, on behalf of one person. */
export interface PrivacyChange {
  /** The thread's id; a thread merged into another stands for the one it joined. */
  readonly threadId: number
  readonly isPrivate: boolean
  /** The acting person's address: an owner of a mailbox holding a copy of the thread's mail. */
  readonly actor: string | null
  /** The time of the change, ISO-8601. */
  readonly at: string
}

/**
 * Which of some threads are marked private.
 *
 * @example
 * ```ts
 * const marked = await privateThreadIds(db, [12, 13]) // Set { 13 }
 * ```
 */
export async function privateThreadIds(db: Kysely<EmailDatabase>, threadIds: readonly number[]): Promise<Set<number>> {
  if (threadIds.length === 0) return new Set()
  const rows = await db.selectFrom('email_private_threads').select('thread_id').where('thread_id', 'in', [...threadIds]).execute()
  return new Set(rows.map((r) => r.thread_id))
}

/**
 * Marks a thread private or shares it again, idempotently: the row of `email_private_threads`
 * and, when the state changes, a `thread.made_private` / `thread.made_shared` audit entry, in
 * one transaction. Only an owner of a mailbox holding a copy of one of the thread's emails may
 * (`AuthError('forbidden')` for anyone else, admins included); `NotFoundError` for an unknown
 * thread; `ValidationError` without an actor.
 *
 * @example
 * ```ts
 * await setThreadPrivate(db, { threadId: 12, isPrivate: true, actor: 'ann@fund.example', at: now }) // { id: '12', private: true }
 * ```
 */
export async function setThreadPrivate(db: Kysely<EmailDatabase>, change: PrivacyChange): Promise<ThreadPrivacy> {
  const actor = change.actor === null ? null : normalizeAddress(change.actor)
  if (actor === null) throw new ValidationError("actor: expected the email of an owner of a mailbox holding the thread's mail")
  return db.transaction().execute(async (trx) => {
    const thread = await trx.selectFrom('email_threads').select(['id', 'merged_into']).where('id', '=', change.threadId).executeTakeFirst()
    if (thread === undefined) throw new NotFoundError(`thread ${change.threadId} not found`)
    const threadId = thread.merged_into ?? thread.id
    // The same ownership as the access rule's: any copy, deleted in Gmail or not, of any of its emails.
    const owned = await trx
      .selectFrom('emails')
      .innerJoin('email_copies', 'email_copies.email_id', 'emails.id')
      .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
      .select('emails.id')
      .where('emails.thread_id', '=', threadId)
      .where('email_accounts.address', '=', actor)
      .limit(1)
      .executeTakeFirst()
    if (owned === undefined) throw new AuthError('forbidden', 'Only an owner of a mailbox holding this thread may change its privacy')
    const changed = change.isPrivate
      ? await trx
          .insertInto('email_private_threads')
          .values({ thread_id: threadId, marked_by: actor, marked_at: change.at })
          .onConflict((oc) => oc.column('thread_id').doNothing())
          .returning('thread_id')
          .executeTakeFirst()
      : await trx.deleteFrom('email_private_threads').where('thread_id', '=', threadId).returning('thread_id').executeTakeFirst()
    if (changed !== undefined) {
      const action = change.isPrivate ? 'thread.made_private' : 'thread.made_shared'
      await recordAudit(trx, change.at, { action, actor, target: { kind: 'thread', id: String(threadId) }, details: {} })
      await markPayloadDirty(trx, { threadId })
    }
    return { id: String(threadId), private: change.isPrivate }
  })
}
