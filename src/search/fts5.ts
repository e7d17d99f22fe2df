/**
 * The default backend: SQLite FTS5 over subject, participants, body and the attachments' text.
 * A candidate counts only when the words are in fields its reader may see (`visibility.ts`),
 * and its score is a weighted count of the query's words in those fields alone: FTS5's own
 * `bm25()` reads the whole row's length and the corpus's word counts, both of which move with
 * withheld bodies. A hit its attachments made quotes and names the file
 * (`attachment-passages.ts`).
 */
import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { SEARCH_FIELDS, type SearchField } from '../db/search-index.js'
import { emailConditions } from '../mail/threads.js'
import { ACCESS_RANK, accessOfRank, type Access } from '../sharing/levels.js'
import type { SearchBackend } from './backend.js'
import { attachmentPassages, pageHits } from './attachment-passages.js'
import { DB_MARK_CLOSE, DB_MARK_OPEN, fts5Match, queryWords } from './text.js'
import { OWN_FIELDS, perHighlight, RANKED_MATCHES, searchableFields, inVisibleFields, type RankedEmail } from './visibility.js'
import type { EmailCondition } from './content-match.js'
import { accessRank, type ReadScope } from '../sharing/access.js'

/**
 * The weight of a matched word per field: a word in the subject says more about what an email
 * is about than the same word once in a long body; a word in an attached file, which the sender
 * may not have written, a little less than one in the body.
 */
const FIELD_WEIGHTS: Readonly<Record<SearchField, number>> = { subject: 10, participants: 4, body: 1, attachments: 0.5 }

/** The fields of long text, whose matches count less the longer the text (as BM25 does). */
const LONG_FIELDS: readonly SearchField[] = ['body', 'attachments']

/** BM25's saturation constant, here for the long fields' length normalization. */
const K1 = 1.2
/** BM25's share of length normalization for the long fields (subject and participants are short). */
const B = 0.75
/**
 * The text length, in characters, at which a match counts at face value. A fixed typical
 * length rather than the corpus's average, which would read every body, withheld ones too.
 */
const TYPICAL_BODY_CHARS = 2_000

/** Tokens of context in a snippet (FTS5 allows at most 64). */
const SNIPPET_TOKENS = 20

/** The index table as the queries see it (not part of `EmailDatabase`: SQLite only). */
type Fts5Tables = {
  email_fts: { rowid: number; subject: string; participants: string; body: string; attachments: string | null }
}

/**
 * What one query word found in one field adds to the score: the field's weight, and for the
 * body BM25's weight of a word found once in a body of that length. Whether the word is there
 * is read from the index (one list per word and field, made once per query), never the corpus's
 * statistics nor the text of another field.
 */
function wordScore(words: readonly string[], i: number, field: SearchField, id: Expression<number>, access: Expression<number | string>): RawBuilder<number> {
  // One list per word and field, made once per query (a lookup per email would set up the
  // match each time: for a prefix, merging every matching word's list), and only over the
  // candidates' range of ids, which FTS5 seeks to.
  const found = sql`${id} in (select rowid from email_fts where email_fts match ${fts5Match([words[i] ?? ''], [field], i === words.length - 1)}
    and rowid >= (select min(id) from candidates))`
  const ranks = (Object.keys(ACCESS_RANK) as Access[]).filter((a) => searchableFields(a).includes(field)).map((a) => sql.lit(ACCESS_RANK[a]))
  const weight = LONG_FIELDS.includes(field)
    ? sql`${sql.lit(FIELD_WEIGHTS[field] * (K1 + 1))} / (1.0 + ${sql.lit(K1)} * (${sql.lit(1 - B)} + ${sql.lit(B)} * length(${sql.ref(`email_fts.${field}`)}) / ${sql.lit(TYPICAL_BODY_CHARS)}))`
    : sql.lit(FIELD_WEIGHTS[field])
  // Most emails have no attachment text: testing that first spares building the word's list of
  // the attachments column (as costly as the body's: FTS5 filters columns after reading it)
  // unless a row needs it.
  const has = field === 'attachments' ? sql` and email_fts.attachments is not null` : sql``
  return sql<number>`(case when ${access} in (${sql.join(ranks)})${has} and ${found} then ${weight} else 0 end)`
}

/** The score of the current row for its reader's access: every word in every field it shows. */
function score(words: readonly string[], id: Expression<number>, access: Expression<number | string>): RawBuilder<number> {
  const parts = SEARCH_FIELDS.flatMap((field) => words.map((_, i) => wordScore(words, i, field, id, access)))
  return sql<number>`(${sql.join(parts, sql` + `)})`
}

/**
 * The candidates: the {@link RANKED_MATCHES} newest emails inside the filter whose words are in
 * fields their reader may see, each with the reader's access rank. FTS5 walks a match's emails
 * newest first (`order by rowid desc`, no sort), so the scan stops after that many.
 */
function newestMatches(db: Kysely<EmailDatabase>, words: readonly string[], condition: EmailCondition, scope: ReadScope) {
  return db
    .withTables<Fts5Tables>()
    .selectFrom('email_fts')
    .innerJoin('emails', 'emails.id', 'email_fts.rowid')
    .select((eb) => ['emails.id', sql<number | string>`${accessRank(eb, scope)}`.as('access')])
    .where(sql<boolean>`email_fts match ${fts5Match(words)}`)
    .where(condition)
    .where((eb) => inVisibleFields('fts5', words, eb.ref('emails.id'), accessRank(eb, scope)))
    .orderBy('email_fts.rowid', 'desc')
    .limit(RANKED_MATCHES)
}

/**
 * Builds the FTS5 backend over a SQLite database migrated to `0003-search`.
 *
 * @example
 * ```ts
 * const hits = await createFts5Backend(db).search({ text: 'capital call', filter: {}, limit: 20, scope })
 * ```
 */
export function createFts5Backend(db: Kysely<EmailDatabase>): SearchBackend {
  /**
   * The highlight of each email of the page that may show one: FTS5's snippet of its readable
   * fields of the email's own text. The match leaves the attachments column out, so `-1` never
   * picks it: a passage of a file is quoted only with the file's name.
   */
  const highlights = async (words: readonly string[], page: readonly RankedEmail[]): Promise<Map<number, string>> => {
    const match = fts5Match(words, OWN_FIELDS)
    // -1: the best of every column (all readable); 0: the subject alone.
    const column = perHighlight(sql.ref('rowid'), page, (fields) => sql.lit(fields.includes('body') ? -1 : SEARCH_FIELDS.indexOf('subject')))
    if (column === null) return new Map()
    // One statement over the page's range of ids, which FTS5 seeks to. The ids themselves are
    // tested as `+rowid` so the planner does not hand them to FTS5 as lookups: each lookup sets
    // the match up again (for a prefix, merging every matching word's list of emails).
    const rows = await db
      .withTables<Fts5Tables>()
      .selectFrom('email_fts')
      .select([
        'rowid',
        sql<string>`snippet(email_fts, ${column.value}, ${DB_MARK_OPEN}, ${DB_MARK_CLOSE}, '…', ${SNIPPET_TOKENS})`.as('highlight'),
      ])
      .where(sql<boolean>`email_fts match ${match}`)
      .where('rowid', '>=', Math.min(...column.ids))
      .where('rowid', '<=', Math.max(...column.ids))
      .where(sql<boolean>`+rowid in (${sql.join(column.ids)})`)
      .execute()
    return new Map(rows.map((r) => [r.rowid, r.highlight]))
  }

  return {
    name: 'fts5',
    async search(query) {
      const words = queryWords(query.text)
      const condition = emailConditions(query.filter)
      if (words.length === 0 || condition === null) return []
      const rows = await db
        .withTables<Fts5Tables>()
        .with((cte) => cte('candidates').materialized(), () => newestMatches(db, words, condition, query.scope))
        .selectFrom('candidates as c')
        .innerJoin('email_fts', 'email_fts.rowid', 'c.id')
        .select((eb) => ['c.id', 'c.access', score(words, eb.ref('c.id'), eb.ref('c.access')).as('score')])
        .orderBy('score', 'desc')
        .orderBy('c.id', 'desc')
        .limit(query.limit)
        .execute()
      const page = rows.map((r): RankedEmail => ({ id: r.id, access: accessOfRank(Number(r.access)), score: r.score }))
      // A snippet row exists exactly for the emails whose own fields hold every word.
      const byId = await highlights(words, page)
      return pageHits(page, byId, await attachmentPassages(db, 'fts5', words, page, new Set(byId.keys())))
    },
  }
}
