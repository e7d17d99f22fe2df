/**
 * Erasing emails for good (SPEC §12): the core that purge, retention and account removal share.
 * Unlike hiding (a soft delete), nothing of an erased email is kept: its rows in every table,
 * its keyword index entry, and the attachment files no remaining email references.
 */
import type { Kysely } from 'kysely'
import type { BlobStore } from '../db/blob-store.js'
import { groupBy, inChunks, queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { unindexEmails } from '../db/search-index.js'
import { refreshThread } from '../db/threads.js'
import { nowIso, type IntegrationContext } from '../context.js'
import { removeErasedBlobs } from './blobs.js'

/** What one erasure deleted. */
export interface ErasureCounts {
  /** Emails deleted (ids that were already gone are not counted). */
  readonly emails: number
  /** Their attachment rows. */
  readonly attachments: number
  /** Attachment files deleted because no remaining attachment references their content. */
  readonly blobsRemoved: number
  /** The size of those files in bytes. */
  readonly bytesFreed: number
}

/**
 * Emails deleted per transaction. Each batch commits on its own, so a long erasure never holds
 * the database's write lock (SQLite) or row locks (PostgreSQL) for long and a crash loses at
 * most one batch's work, never leaves half an email; 100 emails with their participants,
 * links and attachments stay well inside one IN list ({@link inChunks}).
 */
export const ERASE_BATCH = 100

/**
 * Deletes these emails everywhere, a bounded batch per transaction, then the blob files no
 * remaining attachment references. Safe to run again after a crash.
 *
 * Everywhere: the `emails` rows and their copies, participants, identity links, references and
 * attachments, the keyword index, the failures recorded about their Gmail messages, their
 * thread (deleted with its Gmail thread keys, private mark and redirects when no email is left
 * in it, else recomputed), and the `email_blobs` rows and files of contents no remaining
 * attachment references. Ids that do not exist are ignored. The contents are queued
 * (`email_blob_erasures`) in each batch's transaction and their files removed after the last
 * batch, so a crash in between leaves them queued, and the next erasure removes them.
 *
 * @example
 * ```ts
 * const { emails, blobsRemoved, bytesFreed } = await eraseEmails(context, blobs, [12, 13])
 * ```
 */
export async function eraseEmails(context: IntegrationContext, blobs: BlobStore, emailIds: readonly number[]): Promise<ErasureCounts> {
  let emails = 0
  let attachments = 0
  for (const ids of inChunks([...new Set(emailIds)], ERASE_BATCH)) {
    const batch = await context.db.transaction().execute((trx) => eraseBatch(trx, context, ids))
    emails += batch.emails
    attachments += batch.attachments
  }
  // The queue holds this erasure's contents and any an interrupted erasure left.
  const removed = await removeErasedBlobs(context.db, context.dialect, blobs)
  return { emails, attachments, blobsRemoved: removed.removed, bytesFreed: removed.bytesFreed }
}

interface BatchResult {
  readonly emails: number
  readonly attachments: number
}

/** Deletes one batch of emails and everything about them, inside the caller's transaction. */
async function eraseBatch(db: Kysely<EmailDatabase>, context: IntegrationContext, ids: readonly number[]): Promise<BatchResult> {
  const rows = await db.selectFrom('emails').select(['id', 'thread_id']).where('id', 'in', [...ids]).execute()
  if (rows.length === 0) return { emails: 0, attachments: 0 }
  const present = rows.map((r) => r.id)
  const files = await db.selectFrom('email_attachments').select('sha256').where('email_id', 'in', present).execute()
  const copies = await db.selectFrom('email_copies').select(['account_id', 'gmail_id']).where('email_id', 'in', present).execute()

  await unindexEmails(db, present, context.dialect)
  // The embedded store's vectors and the attachments' text go in this transaction, so an
  // erased email can never be found by meaning either. A vector in another store (Qdrant) is
  // deleted by the indexer, which finds its `email_vector_index` row without an email.
  for (const [accountId, gmail] of groupBy(copies, (c) => c.account_id)) {
    for (const gmailIds of inChunks(gmail.map((c) => c.gmail_id))) {
      await db.deleteFrom('email_sync_failures').where('account_id', '=', accountId).where('gmail_id', 'in', gmailIds).execute()
    }
  }
  await db.deleteFrom('email_references').where('email_id', 'in', present).execute()
  await db.deleteFrom('email_participants').where('email_id', 'in', present).execute()
  await db.deleteFrom('email_identity_links').where('email_id', 'in', present).execute()
  await db.deleteFrom('email_vector_chunks').where('email_id', 'in', present).execute()
  await db.deleteFrom('email_attachment_texts').where('email_id', 'in', present).execute()
  await db.deleteFrom('email_attachments').where('email_id', 'in', present).execute()
  await db.deleteFrom('email_copies').where('email_id', 'in', present).execute()
  await db.deleteFrom('emails').where('id', 'in', present).execute()
  const now = nowIso(context)
  await settleThreads(db, [...new Set(rows.map((r) => r.thread_id))], now)
  // Queued with the deletion, so a crash before the files go leaves them on record.
  const sha256s = [...new Set(files.flatMap((f) => (f.sha256 === null ? [] : [f.sha256])))]
  for (const chunk of inChunks(sha256s)) {
    await db
      .insertInto('email_blob_erasures')
      .values(chunk.map((sha256) => ({ sha256, queued_at: now })))
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute()
  }
  return { emails: present.length, attachments: files.length }
}

/**
 * Deletes the threads left without emails (with their Gmail thread keys, private marks and the
 * redirects of threads merged into them) and recomputes the others. A thread's subject, and a
 * redirect's, may be an erased email's: each kept one takes its first remaining email's subject.
 */
async function settleThreads(db: Kysely<EmailDatabase>, threadIds: readonly number[], now: string): Promise<void> {
  const kept = new Set(
    (
      await queryInChunks(threadIds, (chunk) => db.selectFrom('emails').select('thread_id').distinct().where('thread_id', 'in', chunk).execute())
    ).map((r) => r.thread_id),
  )
  const emptied = threadIds.filter((id) => !kept.has(id))
  for (const chunk of inChunks(emptied)) {
    await db.deleteFrom('email_thread_keys').where('thread_id', 'in', chunk).execute()
    await db.deleteFrom('email_private_threads').where('thread_id', 'in', chunk).execute()
    await db.deleteFrom('email_threads').where('merged_into', 'in', chunk).execute()
    await db.deleteFrom('email_threads').where('id', 'in', chunk).execute()
  }
  for (const threadId of kept) {
    await refreshThread(db, threadId, now)
    // Every remaining email may be hidden: refreshThread then leaves the subject as it was.
    const first = await db.selectFrom('emails').select('subject').where('thread_id', '=', threadId).orderBy('sent_at').orderBy('id').limit(1).executeTakeFirst()
    const visible = await db.selectFrom('emails').select('id').where('thread_id', '=', threadId).where('hidden_at', 'is', null).limit(1).executeTakeFirst()
    const subject = visible === undefined ? first?.subject : undefined
    if (subject !== undefined) await db.updateTable('email_threads').set({ subject }).where('id', '=', threadId).execute()
    const current = await db.selectFrom('email_threads').select('subject').where('id', '=', threadId).executeTakeFirstOrThrow()
    await db.updateTable('email_threads').set({ subject: current.subject }).where('merged_into', '=', threadId).execute()
  }
}
