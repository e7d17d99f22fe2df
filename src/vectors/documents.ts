/**
 * What the indexer embeds for an email: its own text (subject, people, body) and the text read
 * out of each of its attachments, cut into chunks (chunking.ts). The email's own text comes
 * first, so when an email has more text than {@link MAX_CHUNKS_PER_EMAIL} chunks hold, what is
 * dropped is the tail of its attachments.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { chunkText } from './chunking.js'
import { MAX_CHUNKS_PER_EMAIL } from './types.js'

/** One chunk to embed: its place in the email and its text. */
export interface ChunkText {
  readonly emailId: number
  readonly chunk: number
  /** The attachment the text comes from; `null` for the email's own text. */
  readonly attachmentId: number | null
  readonly text: string
}

/**
 * The chunks of some emails, by email id, read from the SQL tables. Hidden or missing emails
 * are left out: only visible mail is embedded. An email whose text is empty still gets one
 * chunk (its subject line, maybe empty), so every indexed email has at least one point.
 *
 * @example
 * ```ts
 * const chunks = await emailChunks(db, [41, 42]) // Map { 41 => [{ chunk: 0, text: 'Term sheet ...' }, ...] }
 * ```
 */
export async function emailChunks(db: Kysely<EmailDatabase>, emailIds: readonly number[]): Promise<Map<number, ChunkText[]>> {
  if (emailIds.length === 0) return new Map()
  const emails = await db
    .selectFrom('emails')
    .select(['id', 'subject', 'body_text'])
    .where('id', 'in', [...emailIds])
    .where('hidden_at', 'is', null)
    .execute()
  if (emails.length === 0) return new Map()
  const ids = emails.map((e) => e.id)
  const people = await db
    .selectFrom('email_participants')
    .select(['email_id', 'address', 'name'])
    .where('email_id', 'in', ids)
    .orderBy('email_id')
    .orderBy('role')
    .orderBy('position')
    .execute()
  const attachments = await db
    .selectFrom('email_attachment_texts as t')
    .innerJoin('email_attachments as a', 'a.id', 't.attachment_id')
    .select(['t.email_id', 't.attachment_id', 't.text', 'a.filename'])
    .where('t.email_id', 'in', ids)
    .where('t.status', '=', 'extracted')
    .orderBy('t.email_id')
    .orderBy('a.position')
    .orderBy('t.attachment_id')
    .execute()
  const result = new Map<number, ChunkText[]>()
  for (const email of emails) {
    const names = [...new Set(people.filter((p) => p.email_id === email.id).map((p) => (p.name === null ? p.address : `${p.name} <${p.address}>`)))]
    const own = `${email.subject}\n${names.join(', ')}\n\n${email.body_text ?? ''}`
    const chunks: ChunkText[] = []
    const add = (texts: readonly string[], attachmentId: number | null): void => {
      for (const text of texts) chunks.push({ emailId: email.id, chunk: chunks.length, attachmentId, text })
    }
    const ownTexts = chunkText(own, MAX_CHUNKS_PER_EMAIL)
    add(ownTexts.length === 0 ? [email.subject] : ownTexts, null)
    for (const a of attachments) {
      if (a.email_id !== email.id || a.text === null) continue
      const room = MAX_CHUNKS_PER_EMAIL - chunks.length
      if (room <= 0) break
      // Each chunk names its file, so a question about "the deck" finds the deck's pages.
      add(chunkText(a.text, room).map((t) => `${a.filename}: ${t}`), a.attachment_id)
    }
    result.set(email.id, chunks)
  }
  return result
}
