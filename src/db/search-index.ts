/**
 * The keyword search index, kept in step with `emails` by the code that changes them (capture,
 * hide, restore), inside their transactions. One table, `email_fts`, in a dialect's own form:
 *
 * - SQLite: an FTS5 virtual table (`rowid` = `emails.id`; columns `subject`, `participants`,
 *   `body`, `attachments`), which keeps the text so `snippet()` can highlight it.
 * - PostgreSQL: a table of one weighted `tsvector` per email with a GIN index (subject A,
 *   participants B, attachments C, body D), built from the same words the query side splits
 *   input into.
 *
 * The `attachments` field holds the text read out of the email's attachments
 * (`email_attachment_texts` rows that were `extracted`), in their order in the message.
 *
 * Only visible mail is indexed: hiding deletes the row, restoring writes it again. Queries also
 * join `emails` on `hidden_at is null`, so a stale row could never leak hidden mail anyway.
 * The table is not part of `EmailDatabase`: its shape differs by dialect, and only this module
 * and the search backends touch it, with explicit SQL. Each function takes the integration's
 * dialect (`context.dialect`); a caller without one (a migration) lets it be detected.
 */
import { sql, type Kysely } from 'kysely'
import { inChunks } from './chunks.js'
import type { EmailDatabase, ParticipantRole } from './database.js'
import { dialectOf, type DialectStrategy } from './dialect.js'

/** The index table (and, on SQLite, the prefix of FTS5's shadow tables). */
export const SEARCH_INDEX_TABLE = 'email_fts'

/**
 * Body characters indexed per email. A PostgreSQL `tsvector` is capped at 1 MB and an FTS5 row
 * has no cap but costs index space; the start of a message is where its words are.
 */
export const MAX_INDEXED_BODY_CHARS = 100_000

/**
 * Attachment text characters indexed per email, all its attachments together (the first ones
 * first). Extraction bounds each file's text; this bounds an email with many files, so one
 * message cannot make the index, or a search page's passages, arbitrarily large.
 */
export const MAX_INDEXED_ATTACHMENT_CHARS = 200_000

/**
 * The most bytes of words and positions a document's `tsvector` may take, estimated. PostgreSQL
 * refuses a `tsvector` whose words and positions pass 1 MB, which would fail the transaction
 * indexing the email (a capture or an extraction); bounded text in a script of many bytes per
 * character and short distinct words (CJK) can reach it. Attachment words past this estimate
 * are left out instead. Below the limit by a margin, since PostgreSQL's parser may split a word
 * once more than the estimate does.
 */
const MAX_TSVECTOR_BYTES = 900_000

/**
 * The header roles whose addresses and names are indexed: the ones every copy shows. Bcc is
 * left out because it is only known from the sender's copy and may arrive later; indexing it
 * would make an email's findability depend on which mailbox synced first.
 */
export const INDEXED_ROLES: readonly ParticipantRole[] = ['from', 'sender', 'reply_to', 'to', 'cc']

/** The indexed fields of an email: FTS5's columns, in this order. */
export const SEARCH_FIELDS = Object.freeze(['subject', 'participants', 'body', 'attachments'] as const)

/** A field of the search index. */
export type SearchField = (typeof SEARCH_FIELDS)[number]

/** The `tsvector` weight label of each field on PostgreSQL (a query can restrict a word to labels). */
export const FIELD_WEIGHT_LABELS: Readonly<Record<SearchField, 'A' | 'B' | 'C' | 'D'>> = Object.freeze({
  subject: 'A',
  participants: 'B',
  attachments: 'C',
  body: 'D',
})

/** What (re)indexing reads. */
export interface IndexOptions {
  /**
   * Whether to read the attachments' text (default true). Only a migration older than
   * `0012-attachment-texts` turns it off: its database has neither the texts nor the column.
   */
  readonly attachments?: boolean
}

/** The indexed text of one attachment. */
export interface IndexedAttachmentText {
  readonly attachmentId: number
  readonly emailId: number
  readonly filename: string
  /** The text as indexed: the start of what was extracted, within the email's bound. */
  readonly text: string
}

/** Emails (re)indexed per batch when indexing many: bounds each `IN (...)` list. */
const INDEX_BATCH = 200

/**
 * A word of search text: a run of Unicode letters, combining marks and digits, after NFKC
 * normalisation. The query side splits user input the same way, so an address such as
 * `dana@acme.vc` is the words `dana`, `acme`, `vc` on both sides.
 */
export const SEARCH_WORD = /[\p{L}\p{M}\p{N}]+/gu

/**
 * The words of a text, in order (not deduplicated, not lowercased: the index folds case).
 *
 * @example
 * ```ts
 * searchWords('Re: "Term sheet" (v2)') // ['Re', 'Term', 'sheet', 'v2']
 * ```
 */
export function searchWords(text: string): string[] {
  return text.normalize('NFKC').match(SEARCH_WORD) ?? []
}

/**
 * The indexed text of some emails' attachments: the extracted texts, in each email's
 * attachment order, cut where the email's total reaches {@link MAX_INDEXED_ATTACHMENT_CHARS}
 * (attachments past it are left out). Search quotes passages from the same text it indexed.
 *
 * @example
 * ```ts
 * const texts = await indexedAttachmentTexts(db, [41]) // [{ attachmentId: 7, emailId: 41, filename: 'term-sheet.pdf', text: '...' }]
 * ```
 */
export async function indexedAttachmentTexts(db: Kysely<EmailDatabase>, emailIds: readonly number[]): Promise<IndexedAttachmentText[]> {
  if (emailIds.length === 0) return []
  const rows = await db
    .selectFrom('email_attachment_texts as t')
    .innerJoin('email_attachments as a', 'a.id', 't.attachment_id')
    // Cut in SQL too, so a long text is not read whole to index its start.
    .select(['t.attachment_id', 't.email_id', 'a.filename', sql<string>`substr(t.text, 1, ${sql.lit(MAX_INDEXED_ATTACHMENT_CHARS)})`.as('text')])
    .where('t.email_id', 'in', [...emailIds])
    .where('t.status', '=', 'extracted')
    .where('t.text', 'is not', null)
    .orderBy('t.email_id')
    .orderBy('a.position')
    .orderBy('t.attachment_id')
    .execute()
  const used = new Map<number, number>()
  const result: IndexedAttachmentText[] = []
  for (const row of rows) {
    const room = MAX_INDEXED_ATTACHMENT_CHARS - (used.get(row.email_id) ?? 0)
    if (room <= 0 || row.text === '') continue
    const text = row.text.slice(0, room)
    used.set(row.email_id, MAX_INDEXED_ATTACHMENT_CHARS - room + text.length)
    result.push({ attachmentId: row.attachment_id, emailId: row.email_id, filename: row.filename, text })
  }
  return result
}

interface SearchDocument {
  readonly subject: string
  readonly participants: string
  readonly body: string
  /** The attachments' texts, one after the other; `null` when there are none. */
  readonly attachments: string | null
}

async function documents(db: Kysely<EmailDatabase>, ids: readonly number[], options: IndexOptions): Promise<Map<number, SearchDocument>> {
  const emails = await db
    .selectFrom('emails')
    .select(['id', 'subject', 'body_text'])
    .where('id', 'in', [...ids])
    .where('hidden_at', 'is', null)
    .execute()
  if (emails.length === 0) return new Map()
  const people = await db
    .selectFrom('email_participants')
    .select(['email_id', 'address', 'name'])
    .where('email_id', 'in', emails.map((e) => e.id))
    .where('role', 'in', [...INDEXED_ROLES])
    .orderBy('email_id')
    .orderBy('role')
    .orderBy('position')
    .execute()
  const files = options.attachments === false ? [] : await indexedAttachmentTexts(db, emails.map((e) => e.id))
  const result = new Map<number, SearchDocument>()
  for (const e of emails) {
    const texts = files.filter((f) => f.emailId === e.id).map((f) => f.text)
    const participants = people
      .filter((p) => p.email_id === e.id)
      .map((p) => (p.name === null ? p.address : `${p.name} ${p.address}`))
    result.set(e.id, {
      subject: e.subject,
      participants: [...new Set(participants)].join(' '),
      body: (e.body_text ?? '').slice(0, MAX_INDEXED_BODY_CHARS),
      // A line between files, so FTS5's snippet never runs one file's words into the next.
      attachments: texts.length === 0 ? null : texts.join('\n'),
    })
  }
  return result
}

/**
 * The words of a document's fields for its `tsvector`, with the attachment words past what
 * {@link MAX_TSVECTOR_BYTES} holds left out. The estimate follows what PostgreSQL counts: per
 * distinct (lowercased) word its bytes, an alignment byte, a count and 2 bytes per position (at
 * most 256 kept per word); the email's own fields always fit (their text is bounded).
 */
function tsvectorWords(doc: SearchDocument): Record<SearchField, string> {
  const seen = new Map<string, number>()
  let bytes = 0
  const add = (word: string): void => {
    const key = word.toLowerCase()
    const count = seen.get(key) ?? 0
    if (count === 0) bytes += 5 + Buffer.byteLength(key)
    else if (count < 256) bytes += 2
    seen.set(key, count + 1)
  }
  const own = { subject: searchWords(doc.subject), participants: searchWords(doc.participants), body: searchWords(doc.body) }
  for (const words of Object.values(own)) words.forEach(add)
  const attachments: string[] = []
  for (const word of searchWords(doc.attachments ?? '')) {
    add(word)
    if (bytes > MAX_TSVECTOR_BYTES) break
    attachments.push(word)
  }
  return { subject: own.subject.join(' '), participants: own.participants.join(' '), body: own.body.join(' '), attachments: attachments.join(' ') }
}

/**
 * (Re)writes the index rows of some emails from the SQL tables; hidden or missing emails end
 * up with no row. Run it in the transaction that changed them.
 *
 * @example
 * ```ts
 * await db.transaction().execute((trx) => indexEmails(trx, [emailId], context.dialect))
 * ```
 */
export async function indexEmails(
  db: Kysely<EmailDatabase>,
  emailIds: readonly number[],
  dialect: DialectStrategy = dialectOf(db),
  options: IndexOptions = {},
): Promise<void> {
  for (const ids of inChunks(emailIds, INDEX_BATCH)) {
    await unindexEmails(db, ids, dialect)
    for (const [id, doc] of await documents(db, ids, options)) {
      if (dialect.keywordIndex === 'tsvector') {
        // The words, not the raw text: PostgreSQL's parser keeps `dana@acme.vc` or `acme.vc` as
        // one token, which the word-by-word query could never match.
        const words = tsvectorWords(doc)
        const part = (field: SearchField) => sql`setweight(to_tsvector('simple', ${words[field]}), ${sql.lit(FIELD_WEIGHT_LABELS[field])})`
        // An upsert: a writer that did not lock the email (capture of another copy) may race the
        // delete above; the last writer's row stands, never a duplicate-key error.
        await sql`insert into email_fts (email_id, document) values (${id}, ${sql.join(SEARCH_FIELDS.map(part), sql` || `)})
          on conflict (email_id) do update set document = excluded.document`.execute(db)
      } else if (options.attachments === false) {
        await sql`insert into email_fts (rowid, subject, participants, body)
          values (${id}, ${doc.subject}, ${doc.participants}, ${doc.body})`.execute(db)
      } else {
        await sql`insert into email_fts (rowid, subject, participants, body, attachments)
          values (${id}, ${doc.subject}, ${doc.participants}, ${doc.body}, ${doc.attachments})`.execute(db)
      }
    }
  }
}

/**
 * Deletes the index rows of some emails (hiding them).
 *
 * @example
 * ```ts
 * await unindexEmails(trx, [emailId], context.dialect)
 * ```
 */
export async function unindexEmails(
  db: Kysely<EmailDatabase>,
  emailIds: readonly number[],
  dialect: DialectStrategy = dialectOf(db),
): Promise<void> {
  if (emailIds.length === 0) return
  const key = dialect.keywordIndex === 'tsvector' ? sql.ref('email_id') : sql.ref('rowid')
  await sql`delete from email_fts where ${key} in (${sql.join([...emailIds])})`.execute(db)
}

/**
 * Indexes every visible email, a batch at a time (the migration that creates the index uses
 * it, so a backfilled row is exactly what capture would have written).
 *
 * @example
 * ```ts
 * await reindexAll(db)
 * await reindexAll(db, undefined, { attachments: false }) // a database before migration 0012
 * ```
 */
export async function reindexAll(db: Kysely<EmailDatabase>, dialect: DialectStrategy = dialectOf(db), options: IndexOptions = {}): Promise<void> {
  let after = 0
  for (;;) {
    const rows = await db
      .selectFrom('emails')
      .select('id')
      .where('id', '>', after)
      .where('hidden_at', 'is', null)
      .orderBy('id')
      .limit(INDEX_BATCH)
      .execute()
    const last = rows.at(-1)
    if (last === undefined) return
    await indexEmails(db, rows.map((r) => r.id), dialect, options)
    after = last.id
  }
}
