/**
 * The PostgreSQL backend: full-text search over the weighted `tsvector`s of `email_fts`
 * (GIN-indexed), ranked with `ts_rank`, highlighted with `ts_headline`.
 */
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { MAX_INDEXED_BODY_CHARS } from '../db/search-index.js'
import { emailConditions } from '../mail/threads.js'
import type { SearchBackend, SearchHit } from './backend.js'
import { DB_MARK_CLOSE, DB_MARK_OPEN, highlightText, pgTsQuery, queryWords } from './text.js'

/**
 * `ts_headline` options: short fragments, our private marks. The marks are quoted so the
 * option parser takes them whole.
 */
const HEADLINE_OPTIONS = `StartSel="${DB_MARK_OPEN}", StopSel="${DB_MARK_CLOSE}", MaxWords=25, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "`

/** The index table as the queries see it (not part of `EmailDatabase`: PostgreSQL only). */
type PgSearchTables = {
  email_fts: { email_id: number; document: string }
}

/**
 * Builds the PostgreSQL full-text backend over a database migrated to `0003-search`.
 *
 * @example
 * ```ts
 * const hits = await createPostgresBackend(db).search({ text: 'capital call', filter: {}, limit: 20 })
 * ```
 */
export function createPostgresBackend(db: Kysely<EmailDatabase>): SearchBackend {
  return {
    name: 'postgres',
    async search(query) {
      const words = queryWords(query.text)
      const condition = emailConditions(query.filter)
      if (words.length === 0 || condition === null) return []
      const tsquery = sql`to_tsquery('simple', ${pgTsQuery(words)})`
      const ranked = await db
        .withTables<PgSearchTables>()
        .selectFrom('email_fts')
        .innerJoin('emails', 'emails.id', 'email_fts.email_id')
        .select(['emails.id', sql<number>`ts_rank(email_fts.document, ${tsquery})`.as('score')])
        .where(sql<boolean>`email_fts.document @@ ${tsquery}`)
        .where(condition)
        .orderBy('score', 'desc')
        .orderBy('emails.id', 'desc')
        .limit(query.limit)
        .execute()
      if (ranked.length === 0) return []
      // Headlines re-parse the text, so only for the page of results, not every match.
      const headlines = await db
        .selectFrom('emails')
        .select([
          'id',
          sql<string>`ts_headline('simple', subject || E'\\n' || left(coalesce(body_text, ''), ${MAX_INDEXED_BODY_CHARS}), ${tsquery}, ${HEADLINE_OPTIONS})`.as('headline'),
        ])
        .where('id', 'in', ranked.map((r) => r.id))
        .execute()
      const byId = new Map(headlines.map((h) => [h.id, h.headline]))
      return ranked.map((r): SearchHit => ({ emailId: r.id, score: r.score, highlight: highlightText(byId.get(r.id) ?? '') }))
    },
  }
}
