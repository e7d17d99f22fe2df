/**
 * Marks on the vector index's bookkeeping (`email_vector_index`), written in the transaction of
 * the change they follow, so the indexer's next run carries the change to the store whatever
 * happens in between: a crash, another process, a store that is down.
 */
import type { Kysely } from 'kysely'
import { inChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'

/** The `model` of a row whose vectors are out of date: no model is named so, so it is re-embedded. */
export const OUTDATED_MODEL = ''

/**
 * The emails' text changed (an attachment's text was read): their vectors are made again.
 *
 * @example
 * ```ts
 * await markForReembedding(trx, [emailId])
 * ```
 */
export async function markForReembedding(db: Kysely<EmailDatabase>, emailIds: readonly number[]): Promise<void> {
  for (const ids of inChunks(emailIds)) {
    await db.updateTable('email_vector_index').set({ model: OUTDATED_MODEL }).where('email_id', 'in', ids).execute()
  }
}

/**
 * The emails' filtering payload changed (identities, sharing, privacy): the store's payload is
 * rewritten, without embedding again.
 *
 * @example
 * ```ts
 * await markPayloadDirty(trx, { emailIds: [emailId] })
 * await markPayloadDirty(trx, { accountId: 3 })  // every email the account holds a copy of
 * await markPayloadDirty(trx, { threadId: 9 })
 * ```
 */
export async function markPayloadDirty(
  db: Kysely<EmailDatabase>,
  which: { readonly emailIds: readonly number[] } | { readonly accountId: number } | { readonly threadId: number },
): Promise<void> {
  const dirty = db.updateTable('email_vector_index').set({ payload_dirty: 1 })
  if ('emailIds' in which) {
    for (const ids of inChunks(which.emailIds)) await dirty.where('email_id', 'in', ids).execute()
  } else if ('accountId' in which) {
    await dirty
      .where('email_id', 'in', db.selectFrom('email_copies').select('email_id').where('account_id', '=', which.accountId))
      .execute()
  } else {
    await dirty.where('email_id', 'in', db.selectFrom('emails').select('id').where('thread_id', '=', which.threadId)).execute()
  }
}
