import type { Kysely } from 'kysely'
import type { EmailDatabase } from './database.js'

/** What ties a message to the conversations already stored. */
export interface ThreadClues {
  readonly accountId: number
  readonly gmailThreadId: string
  /** The message's own Message-ID (children stored earlier point at it). */
  readonly messageId: string
  /** In-Reply-To and References: the parents it points at. */
  readonly parentIds: readonly string[]
  /** The thread of the email when it is already stored (another mailbox's copy). */
  readonly existingThreadId: number | null
}

/**
 * Finds the thread a message belongs to, creating or merging threads as needed, and returns
 * its id. A message joins every thread it is connected to: its mailbox's Gmail thread, the
 * threads of the messages it replies to, of replies to it that arrived first, and of messages
 * that reply to the same parents.
 * When those are several, they merge into the oldest (lowest id) and the others are left as
 * redirects (`merged_into`). The result is the connected components of those links, so the
 * order in which messages and mailboxes are processed does not change the final threads.
 *
 * Runs inside the caller's transaction.
 */
export async function resolveThread(db: Kysely<EmailDatabase>, clues: ThreadClues, subject: string, now: string): Promise<number> {
  const candidates = new Set<number>()
  if (clues.existingThreadId !== null) candidates.add(clues.existingThreadId)

  const keyed = await db
    .selectFrom('email_thread_keys')
    .select('thread_id')
    .where('account_id', '=', clues.accountId)
    .where('gmail_thread_id', '=', clues.gmailThreadId)
    .executeTakeFirst()
  if (keyed !== undefined) candidates.add(keyed.thread_id)

  if (clues.parentIds.length > 0) {
    const parents = await db
      .selectFrom('emails')
      .select('thread_id')
      .distinct()
      .where('message_id', 'in', [...clues.parentIds])
      .execute()
    for (const p of parents) candidates.add(p.thread_id)
  }

  // Replies stored before this message point at it; siblings point at the same parents (which
  // may never be stored, e.g. when they live only in an unmatched mailbox).
  const related = await db
    .selectFrom('email_references')
    .innerJoin('emails', 'emails.id', 'email_references.email_id')
    .select('emails.thread_id')
    .distinct()
    .where('email_references.ref_message_id', 'in', [clues.messageId, ...clues.parentIds])
    .execute()
  for (const r of related) candidates.add(r.thread_id)

  let threadId: number
  if (candidates.size === 0) {
    const created = await db
      .insertInto('email_threads')
      .values({ subject, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    threadId = created.id
  } else {
    const [survivor, ...others] = [...candidates].sort((a, b) => a - b)
    threadId = survivor ?? 0
    if (others.length > 0) await mergeThreads(db, threadId, others, now)
  }

  await db
    .insertInto('email_thread_keys')
    .values({ account_id: clues.accountId, gmail_thread_id: clues.gmailThreadId, thread_id: threadId })
    .onConflict((oc) => oc.columns(['account_id', 'gmail_thread_id']).doUpdateSet({ thread_id: threadId }))
    .execute()
  return threadId
}

/** Moves every email and Gmail thread key of `others` into `survivor`; the others become redirects. */
async function mergeThreads(db: Kysely<EmailDatabase>, survivor: number, others: readonly number[], now: string): Promise<void> {
  const moved = [...others]
  await db.updateTable('emails').set({ thread_id: survivor }).where('thread_id', 'in', moved).execute()
  await db.updateTable('email_thread_keys').set({ thread_id: survivor }).where('thread_id', 'in', moved).execute()
  // A private mark goes with the mail: a private thread joining another makes the whole
  // conversation private (the earliest mark is kept), never its mail readable again.
  const mark = await db.selectFrom('email_private_threads').selectAll().where('thread_id', 'in', moved).orderBy('marked_at').limit(1).executeTakeFirst()
  if (mark !== undefined) {
    await db
      .insertInto('email_private_threads')
      .values({ ...mark, thread_id: survivor })
      .onConflict((oc) => oc.column('thread_id').doNothing())
      .execute()
    await db.deleteFrom('email_private_threads').where('thread_id', 'in', moved).execute()
  }
  // Earlier redirects to a merged thread now point straight at the survivor: one hop, always.
  await db
    .updateTable('email_threads')
    .set({ merged_into: survivor, message_count: 0, updated_at: now })
    .where((eb) => eb.or([eb('id', 'in', moved), eb('merged_into', 'in', moved)]))
    .execute()
}

/**
 * Recomputes a thread's subject, first and last dates and message count from its visible
 * (not hidden) emails. Called after every change to the thread's emails (capture, hide, restore).
 */
export async function refreshThread(db: Kysely<EmailDatabase>, threadId: number, now: string): Promise<void> {
  const visible = db.selectFrom('emails').where('thread_id', '=', threadId).where('hidden_at', 'is', null)
  const stats = await visible
    .select((eb) => [eb.fn.min('sent_at').as('first_at'), eb.fn.max('sent_at').as('last_at'), eb.fn.countAll<number | string>().as('count')])
    .executeTakeFirst()
  const first = await visible.select('subject').orderBy('sent_at').orderBy('id').limit(1).executeTakeFirst()
  const update = {
    first_at: stats?.first_at ?? null,
    last_at: stats?.last_at ?? null,
    message_count: Number(stats?.count ?? 0),
    updated_at: now,
    ...(first === undefined ? {} : { subject: first.subject }),
  }
  await db.updateTable('email_threads').set(update).where('id', '=', threadId).execute()
}
