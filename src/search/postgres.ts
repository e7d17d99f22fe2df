/**
 * The PostgreSQL backend: full-text search over the weighted `tsvector`s of `email_fts`
 * (GIN-indexed), ranked with `ts_rank`, highlighted with `ts_headline`. A candidate counts only
 * when the words are in fields its reader may see (`visibility.ts`: weight labels restrict a
 * word to them); `ts_rank` reads the document with the withheld fields' positions filtered out
 * and no length normalization, so the score reads only what the reader sees; the headline
 * quotes only readable fields of the email's own text, and a hit its attachments made quotes
 * and names the file (`attachment-passages.ts`).
 */
import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { FIELD_WEIGHT_LABELS, MAX_INDEXED_BODY_CHARS, SEARCH_FIELDS, type SearchField } from '../db/search-index.js'
import { emailConditions } from '../mail/threads.js'
import { accessOfRank } from '../sharing/levels.js'
import type { SearchBackend } from './backend.js'
import { attachmentPassages, pageHits } from './attachment-passages.js'
import { DB_MARK_CLOSE, DB_MARK_OPEN, pgTsQuery, queryWords } from './text.js'
import { candidates, perAccess, perHighlight, searchableFields, type RankedEmail } from './visibility.js'

/**
 * `ts_headline` options: short fragments, our private marks. The marks are quoted so the
 * option parser takes them whole.
 */
const HEADLINE_OPTIONS = `StartSel="${DB_MARK_OPEN}", StopSel="${DB_MARK_CLOSE}", MaxWords=25, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "`

/**
 * `ts_rank`'s weight per label, in its order {D, C, B, A}: its defaults for the body (D),
 * participants (B) and subject (A), and attachment text (C) below the body, as on SQLite (the
 * default would put it above).
 */
const RANK_WEIGHTS = '{0.1, 0.05, 0.4, 1.0}'

/** The index table as the queries see it (not part of `EmailDatabase`: PostgreSQL only). */
type PgSearchTables = {
  email_fts: { email_id: number; document: string }
}

/**
 * The document as the reader's access to the row shows it: the positions of withheld fields
 * dropped (`ts_filter` by weight label). `ts_rank` then reads no withheld word, not even as a
 * position that would shift where the visible ones count.
 */
function shownDocument(access: Expression<number | string>): RawBuilder<string> {
  return perAccess(access, (a) => {
    const fields = searchableFields(a)
    if (fields.length === SEARCH_FIELDS.length) return sql<string>`email_fts.document`
    const labels = `{${fields.map((f) => FIELD_WEIGHT_LABELS[f].toLowerCase()).join(',')}}`
    return sql<string>`ts_filter(email_fts.document, ${sql.lit(labels)}::"char"[])`
  })
}

/** The text a headline may quote for some fields: the subject, then the start of the body. */
function headlineText(fields: readonly SearchField[]): RawBuilder<string> {
  const parts = fields.flatMap((f) =>
    f === 'body' ? [sql`left(coalesce(body_text, ''), ${sql.lit(MAX_INDEXED_BODY_CHARS)})`] : f === 'subject' ? [sql`subject`] : [],
  )
  return sql<string>`${sql.join(parts, sql` || E'\\n' || `)}`
}

/**
 * Builds the PostgreSQL full-text backend over a database migrated to `0003-search`.
 *
 * @example
 * ```ts
 * const hits = await createPostgresBackend(db).search({ text: 'capital call', filter: {}, limit: 20, scope })
 * ```
 */
export function createPostgresBackend(db: Kysely<EmailDatabase>): SearchBackend {
  /** Headlines re-parse the text, so only for the page of results, not every match. */
  const headlines = async (tsquery: RawBuilder<unknown>, page: readonly RankedEmail[]): Promise<Map<number, string>> => {
    const text = perHighlight(sql.ref('id'), page, headlineText)
    if (text === null) return new Map()
    const rows = await db
      .selectFrom('emails')
      .select(['id', sql<string>`ts_headline('simple', ${text.value}, ${tsquery}, ${HEADLINE_OPTIONS})`.as('headline')])
      .where('id', 'in', text.ids)
      .execute()
    return new Map(rows.map((h) => [h.id, h.headline]))
  }

  return {
    name: 'postgres',
    async search(query) {
      const words = queryWords(query.text)
      const condition = emailConditions(query.filter)
      if (words.length === 0 || condition === null) return []
      const tsquery = sql`to_tsquery('simple', ${pgTsQuery(words)})`
      const rows = await db
        .withTables<PgSearchTables>()
        .with((cte) => cte('candidates').materialized(), () => candidates(db, words, condition, query.scope))
        .selectFrom('candidates as c')
        .innerJoin('email_fts', 'email_fts.email_id', 'c.id')
        .select((eb) => ['c.id', 'c.access', sql<number>`ts_rank(${sql.lit(RANK_WEIGHTS)}::float4[], ${shownDocument(eb.ref('c.access'))}, ${tsquery})`.as('score')])
        .orderBy('score', 'desc')
        .orderBy('c.id', 'desc')
        .limit(query.limit)
        .execute()
      const page = rows.map((r): RankedEmail => ({ id: r.id, access: accessOfRank(Number(r.access)), score: r.score }))
      const passages = await attachmentPassages(db, 'tsvector', words, page)
      return pageHits(page, await headlines(tsquery, page.filter((r) => !passages.has(r.id))), passages)
    },
  }
}
