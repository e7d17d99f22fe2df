/**
 * The default backend: SQLite FTS5 over subject, participants and body, ranked with BM25.
 */
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { emailConditions } from '../mail/threads.js'
import type { SearchBackend, SearchHit } from './backend.js'
import { DB_MARK_CLOSE, DB_MARK_OPEN, fts5Match, highlightText, queryWords } from './text.js'

/**
 * BM25 column weights (subject, participants, body): a word in the subject says more about
 * what an email is about than the same word once in a long body.
 */
const BM25 = sql`bm25(email_fts, 10.0, 4.0, 1.0)`

/** Tokens of context in a snippet (FTS5 allows at most 64). */
const SNIPPET_TOKENS = 20

/** The index table as the queries see it (not part of `EmailDatabase`: SQLite only). */
type Fts5Tables = {
  email_fts: { rowid: number; subject: string; participants: string; body: string }
}


/**
 * Builds the FTS5 backend over a SQLite database migrated to `0003-search`.
 *
 * @example
 * ```ts
 * const hits = await createFts5Backend(db).search({ text: 'capital call', filter: {}, limit: 20 })
 * ```
 */
export function createFts5Backend(db: Kysely<EmailDatabase>): SearchBackend {
  return {
    name: 'fts5',
    async search(query) {
      const words = queryWords(query.text)
      const condition = emailConditions(query.filter)
      if (words.length === 0 || condition === null) return []
      const rows = await db
        .withTables<Fts5Tables>()
        .selectFrom('email_fts')
        .innerJoin('emails', 'emails.id', 'email_fts.rowid')
        .select([
          'emails.id',
          sql<number>`-${BM25}`.as('score'),
          sql<string>`snippet(email_fts, -1, ${DB_MARK_OPEN}, ${DB_MARK_CLOSE}, '…', ${SNIPPET_TOKENS})`.as('highlight'),
        ])
        .where(sql<boolean>`email_fts match ${fts5Match(words)}`)
        .where(condition)
        .orderBy(BM25)
        .orderBy('emails.id', 'desc')
        .limit(query.limit)
        .execute()
      return rows.map((r): SearchHit => ({ emailId: r.id, score: r.score, highlight: highlightText(r.highlight) }))
    },
  }
}
