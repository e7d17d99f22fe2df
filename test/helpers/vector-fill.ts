import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'
import { accessOf, readScope } from '../../src/sharing/access.js'
import type { VectorPayload, VectorPoint, VectorSetup } from '../../src/vectors/types.js'

/**
 * Puts vectors of the given emails into a store as an indexer would: chunk 0 is the email's own
 * text (subject and body), one more chunk per extracted attachment text; the payload is the
 * one the store prefilters on (identities, date, whether the team reads it in full, the
 * mailboxes holding a live copy). Every email of the database when `emailIds` is left out,
 * hidden ones included (a stale store is what the search must withstand).
 *
 * @example
 * await fillStore(db, vectors)
 */
export async function fillStore(db: Kysely<EmailDatabase>, vectors: VectorSetup, emailIds?: readonly number[]): Promise<void> {
  let query = db.selectFrom('emails').select(['id', 'subject', 'body_text', 'sent_at'])
  if (emailIds !== undefined) query = query.where('id', 'in', [...emailIds, 0])
  const emails = await query.orderBy('id').execute()
  const ids = emails.map((e) => e.id)
  if (ids.length === 0) return
  const texts = await db
    .selectFrom('email_attachment_texts')
    .select(['attachment_id', 'email_id', 'text'])
    .where('email_id', 'in', ids)
    .where('status', '=', 'extracted')
    .orderBy('attachment_id')
    .execute()
  const links = await db.selectFrom('email_identity_links').select(['email_id', 'identity_key']).where('email_id', 'in', ids).execute()
  const copies = await db.selectFrom('email_copies').select(['email_id', 'account_id']).where('email_id', 'in', ids).where('deleted_at', 'is', null).execute()
  const team = await accessOf(db, ids, readScope({}, 'everything'))
  const payloadOf = (id: number, sentAt: string): VectorPayload => ({
    identities: [...new Set(links.filter((l) => l.email_id === id).map((l) => l.identity_key))],
    date: Math.floor(Date.parse(sentAt) / 1000),
    sharedInFull: team.get(id) === 'everything',
    mailboxes: copies.filter((c) => c.email_id === id).map((c) => c.account_id),
  })
  const pieces = emails.flatMap((e) => [
    { emailId: e.id, attachmentId: null, text: `${e.subject}\n${e.body_text ?? ''}`, sentAt: e.sent_at },
    ...texts.filter((t) => t.email_id === e.id).map((t) => ({ emailId: e.id, attachmentId: t.attachment_id, text: t.text ?? '', sentAt: e.sent_at })),
  ])
  const embedded = await vectors.embeddings.embed(pieces.map((p) => p.text))
  const chunkOf = new Map<number, number>()
  const points = pieces.map((p, i): VectorPoint => {
    const chunk = chunkOf.get(p.emailId) ?? 0
    chunkOf.set(p.emailId, chunk + 1)
    const vector = embedded[i]
    if (vector === undefined) throw new Error('the embeddings client answered fewer vectors than texts')
    return { emailId: p.emailId, chunk, attachmentId: p.attachmentId, vector, payload: payloadOf(p.emailId, p.sentAt) }
  })
  await vectors.store.prepare(points[0]?.vector.length ?? 1)
  await vectors.store.replace(ids, points)
}
