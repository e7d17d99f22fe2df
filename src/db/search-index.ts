/**
 * The keyword search index, kept in step with `emails` by the code that changes them (capture,
 * hide, restore), inside their transactions. One table, `email_fts`, in a dialect's own form:
 *
 * - SQLite: an FTS5 virtual table (`rowid` = `emails.id`; columns `subject`, `participants`,
 *   `body`), which keeps the text so `snippet()` can highlight it.
 * - PostgreSQL: a table of one weighted `tsvector` per email with a GIN index (subject A,
 *   participants B, body D), built from the same words the query side splits input into.
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
 * The header roles whose addresses and names are indexed: the ones every copy shows. Bcc is
 * left out because it is only known from the sender's copy and may arrive later; indexing it
 * would make an email's findability depend on which mailbox synced first.
 */
export const INDEXED_ROLES: readonly ParticipantRole[] = ['from', 'sender', 'reply_to', 'to', 'cc']

/** The indexed fields of an email: FTS5's columns, in this order. */
export const SEARCH_FIELDS = Object.freeze(['subject', 'participants', 'body'] as const)

/** A field of the search index. */
export type SearchField = (typeof SEARCH_FIELDS)[number]

/** The `tsvector` weight label of each field on PostgreSQL (a query can restrict a word to labels). */
export const FIELD_WEIGHT_LABELS: Readonly<Record<SearchField, 'A' | 'B' | 'D'>> = Object.freeze({ subject: 'A', participants: 'B', body: 'D' })

/** Emails (re)indexed per batch when indexing many: bounds each `IN (...)` list. */
const INDEX_BATCH = 200

/**
 * A word of search text: a run of Unicode letters, combining marks and digits, after NFKC
 * normalisation. The query side splits user input the same way, so an address such as
 * `dana@acme.vc` is the words `dana`, `acme`, `vc` on both sides.
 */
const WORD = /[\p{L}\p{M}\p{N}]+/gu

/**
 * The words of a text, in order (not deduplicated, not lowercased: the index folds case).
 *
 * @example
 * ```ts
 * searchWords('Re: "Term sheet" (v2)') // ['Re', 'Term', 'sheet', 'v2']
 * ```
 */
export function searchWords(text: string): string[] {
  return text.normalize('NFKC').match(WORD) ?? []
}

interface SearchDocument {
  readonly subject: string
  readonly participants: string
  readonly body: string
}

async function documents(db: Kysely<EmailDatabase>, ids: readonly number[]): Promise<Map<number, SearchDocument>> {
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
  const result = new Map<number, SearchDocument>()
  for (const e of emails) {
    const participants = people
      .filter((p) => p.email_id === e.id)
      .map((p) => (p.name === null ? p.address : `${p.name} ${p.address}`))
    result.set(e.id, {
      subject: e.subject,
      participants: [...new Set(participants)].join(' '),
      body: (e.body_text ?? '').slice(0, MAX_INDEXED_BODY_CHARS),
    })
  }
  return result
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
): Promise<void> {
  for (const ids of inChunks(emailIds, INDEX_BATCH)) {
    await unindexEmails(db, ids, dialect)
    for (const [id, doc] of await documents(db, ids)) {
      if (dialect.keywordIndex === 'tsvector') {
        // The words, not the raw text: PostgreSQL's parser keeps `dana@acme.vc` or `acme.vc` as
        // one token, which the word-by-word query could never match.
        const words = (text: string) => searchWords(text).join(' ')
        await sql`insert into email_fts (email_id, document) values (${id},
            setweight(to_tsvector('simple', ${words(doc.subject)}), ${sql.lit(FIELD_WEIGHT_LABELS.subject)})
            || setweight(to_tsvector('simple', ${words(doc.participants)}), ${sql.lit(FIELD_WEIGHT_LABELS.participants)})
            || setweight(to_tsvector('simple', ${words(doc.body)}), ${sql.lit(FIELD_WEIGHT_LABELS.body)}))`.execute(db)
      } else {
        await sql`insert into email_fts (rowid, subject, participants, body)
          values (${id}, ${doc.subject}, ${doc.participants}, ${doc.body})`.execute(db)
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
 * ```
 */
export async function reindexAll(db: Kysely<EmailDatabase>, dialect: DialectStrategy = dialectOf(db)): Promise<void> {
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
    await indexEmails(db, rows.map((r) => r.id), dialect)
    after = last.id
  }
}
