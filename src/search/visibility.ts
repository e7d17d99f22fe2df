/**
 * What search may read of an email for one reader (SPEC §9, §12): the fields the reader's access
 * shows. A match counts only in those fields, the score reads only those, and the highlight
 * shows only those, so search can never be used to learn a withheld word. Participants are
 * never withheld; the subject, the body and the attachments' text follow `mayRead` (attachment
 * text is body-level: a reader who may not read the body neither finds an email by it nor sees
 * a passage of it). The access itself is the sharing rule's (`accessRank`), computed once per
 * candidate by the caller.
 */
import { sql, type Expression, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import type { DialectStrategy } from '../db/dialect.js'
import type { EmailCondition } from './content-match.js'
import { accessRank, type ReadScope } from '../sharing/access.js'
import { SEARCH_FIELDS, type SearchField } from '../db/search-index.js'
import { ACCESS_RANK, mayRead, type Access } from '../sharing/levels.js'
import { fts5Match, pgTsQuery } from './text.js'

/** The form of the keyword index: FTS5 on SQLite, weighted `tsvector`s on PostgreSQL. */
export type KeywordIndex = DialectStrategy['keywordIndex']

/** Every access, least permissive first. */
const ACCESSES = (Object.keys(ACCESS_RANK) as Access[]).sort((a, b) => ACCESS_RANK[a] - ACCESS_RANK[b])

/** One ranked email of a backend's page, with the reader's access to it. */
export interface RankedEmail {
  readonly id: number
  readonly access: Access
  readonly score: number
}

/**
 * The fields a reader with this access may find an email by.
 *
 * @example
 * ```ts
 * searchableFields('subject') // ['subject', 'participants']
 * ```
 */
export function searchableFields(access: Access): readonly SearchField[] {
  return SEARCH_FIELDS.filter((f) => f === 'participants' || mayRead(access, f))
}

/**
 * The email's own fields, its attachments' text aside. A hit these fields hold whole (in what
 * its reader may see) quotes the email; one that needs its attachments quotes a file
 * (`attachment-passages.ts`).
 */
export const OWN_FIELDS: readonly SearchField[] = Object.freeze(SEARCH_FIELDS.filter((f) => f !== 'attachments'))

/**
 * The fields of the email's own text a highlight may quote for this access: the subject and the
 * body when readable (`[]` for `metadata`: its highlight is empty). Attachment passages are
 * cut separately, for the accesses whose {@link searchableFields} hold `attachments`.
 *
 * @example
 * ```ts
 * highlightFields('everything') // ['subject', 'body']
 * ```
 */
export function highlightFields(access: Access): readonly SearchField[] {
  return searchableFields(access).filter((f) => f === 'subject' || f === 'body')
}

/**
 * The ids of the emails whose indexed text holds every word in the given fields (all by
 * default), as a subquery.
 *
 * @example
 * ```ts
 * sql`emails.id in (${matchingIds('fts5', ['term', 'she'], ['participants'])})`
 * ```
 */
export function matchingIds(index: KeywordIndex, words: readonly string[], fields: readonly SearchField[] = SEARCH_FIELDS): RawBuilder<unknown> {
  // The index table is not part of `EmailDatabase` (its shape differs by dialect): raw SQL.
  return index === 'tsvector'
    ? sql`select email_id from email_fts where document @@ to_tsquery('simple', ${pgTsQuery(words, fields)})`
    : sql`select rowid from email_fts where email_fts match ${fts5Match(words, fields)}`
}

/**
 * The condition "the email `id` holds every word in the fields its reader may see", given the
 * reader's access `rank` to it. The rank is read once (`case rank when ...`), so a caller may
 * pass the sharing rule's expression itself.
 *
 * @example
 * ```ts
 * db.selectFrom('emails').select('id').where((eb) => visibleMatch('fts5', ['deck'], eb.ref('emails.id'), accessRank(eb, scope)))
 * ```
 */
export function visibleMatch(index: KeywordIndex, words: readonly string[], id: Expression<number>, rank: Expression<number | string>): Expression<SqlBool> {
  const all = matchingIds(index, words)
  // The first test lets a planner start from the index; the second, inside a `case`, keeps the
  // rule's subqueries from running for an email that does not match, whichever plan it picks
  // (a planner may turn the first into a join and test the rest on every email it scans).
  return sql<SqlBool>`(${id} in (${all}) and case when ${id} in (${all}) then ${inVisibleFields(index, words, id, rank)} else 1 = 0 end)`
}

/**
 * {@link visibleMatch} for an email already known to hold every word in some field (one of
 * the {@link candidates}): whether it holds them in the fields its reader may see.
 *
 * @example
 * ```ts
 * query.where((eb) => inVisibleFields('fts5', words, eb.ref('c.id'), eb.ref('c.access')))
 * ```
 */
export function inVisibleFields(index: KeywordIndex, words: readonly string[], id: Expression<number>, rank: Expression<number | string>): Expression<SqlBool> {
  return perAccess<SqlBool>(rank, (access) => {
    const fields = searchableFields(access)
    return fields.length === SEARCH_FIELDS.length ? sql`1 = 1` : sql`${id} in (${matchingIds(index, words, fields)})`
  })
}

/**
 * How many matching emails a search ranks: the newest this many (by `emails.id`, which grows
 * with capture time) among those inside the filter whose words are in fields the reader may
 * see. Mail search is recency-first: an older email outranks a newer one only among these, so
 * the work of a query is bounded by this number, not by how many emails hold a common word.
 */
export const RANKED_MATCHES = 1_000

/**
 * The condition "the email `id` holds every word in these fields", read for that email alone
 * (a lookup by id in the index), so its cost does not grow with how many emails hold the words.
 *
 * @example
 * ```ts
 * sql`case when ${holds('fts5', ['deck'], ['subject'], sql.ref('c.id'))} then 1 else 0 end`
 * ```
 */
export function holds(index: KeywordIndex, words: readonly string[], fields: readonly SearchField[], id: Expression<number>): RawBuilder<SqlBool> {
  return index === 'tsvector'
    ? sql<SqlBool>`exists (select 1 from email_fts h where h.email_id = ${id} and h.document @@ to_tsquery('simple', ${pgTsQuery(words, fields)}))`
    : sql<SqlBool>`exists (select 1 from email_fts where email_fts match ${fts5Match(words, fields)} and rowid = ${id})`
}

/**
 * {@link inVisibleFields} read row by row ({@link holds}): for a scan that stops after
 * {@link RANKED_MATCHES} rows, where building the list of every email holding the words in
 * the visible fields would cost what the bound saves.
 *
 * @example
 * ```ts
 * query.where((eb) => visibleHere('fts5', words, eb.ref('emails.id'), accessRank(eb, scope)))
 * ```
 */
export function visibleHere(index: KeywordIndex, words: readonly string[], id: Expression<number>, rank: Expression<number | string>): Expression<SqlBool> {
  return perAccess<SqlBool>(rank, (access) => {
    const fields = searchableFields(access)
    return fields.length === SEARCH_FIELDS.length ? sql`1 = 1` : holds(index, words, fields, id)
  })
}

/**
 * The candidates of a search on PostgreSQL: the {@link RANKED_MATCHES} newest emails inside the
 * filter whose text holds every word in the fields their reader may see, each with the reader's
 * access rank (`access`; the driver answers it as text). Backends materialize it (a CTE), so the
 * rule's subqueries run once per candidate. (SQLite's backend walks its index newest first
 * instead: `fts5.ts`.)
 *
 * @example
 * ```ts
 * db.with((cte) => cte('candidates').materialized(), () => candidates(db, words, condition, scope))
 * ```
 */
export function candidates(
  db: Kysely<EmailDatabase>,
  words: readonly string[],
  condition: EmailCondition,
  scope: ReadScope,
): SelectQueryBuilder<EmailDatabase, 'emails', { id: number; access: number | string }> {
  return db
    .selectFrom('emails')
    .select((eb) => ['emails.id', sql<number | string>`${accessRank(eb, scope)}`.as('access')])
    .where((eb) => sql<SqlBool>`${eb.ref('emails.id')} in (${matchingIds('tsvector', words)})`)
    .where(condition)
    .where((eb) => visibleHere('tsvector', words, eb.ref('emails.id'), accessRank(eb, scope)))
    .orderBy('emails.id', 'desc')
    .limit(RANKED_MATCHES)
}

/**
 * A SQL value per access, as `case rank when ... end`: a score or weights that read only what
 * the access shows.
 *
 * @example
 * ```ts
 * perAccess(eb.ref('c.access'), (access) => sql.lit(searchableFields(access).length))
 * ```
 */
export function perAccess<T>(rank: Expression<number | string>, value: (access: Access) => RawBuilder<T>): RawBuilder<T> {
  const branches = ACCESSES.map((access) => sql`when ${sql.lit(ACCESS_RANK[access])} then ${value(access)}`)
  return sql<T>`case (${rank}) ${sql.join(branches, sql` `)} end`
}

/**
 * A SQL value per email of a page, chosen by the fields its highlight may quote: `render` is
 * given those fields (never empty); emails whose highlight is empty are left out (`null` when
 * none is left).
 *
 * @example
 * ```ts
 * const column = perHighlight(sql.ref('rowid'), page, (fields) => sql.lit(fields.includes('body') ? -1 : 0))
 * ```
 */
export function perHighlight<T>(
  id: Expression<number>,
  page: readonly RankedEmail[],
  render: (fields: readonly SearchField[]) => RawBuilder<T>,
): { readonly ids: number[]; readonly value: RawBuilder<T> } | null {
  const groups = new Map<string, { fields: readonly SearchField[]; ids: number[] }>()
  for (const row of page) {
    const fields = highlightFields(row.access)
    if (fields.length === 0) continue
    const key = fields.join(' ')
    const group = groups.get(key) ?? { fields, ids: [] }
    group.ids.push(row.id)
    groups.set(key, group)
  }
  if (groups.size === 0) return null
  const branches = [...groups.values()].map((g) => sql`when ${id} in (${sql.join(g.ids)}) then ${render(g.fields)}`)
  return { ids: [...groups.values()].flatMap((g) => g.ids), value: sql<T>`case ${sql.join(branches, sql` `)} end` }
}
