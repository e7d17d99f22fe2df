/**
 * Content matching as a condition on `emails`, for lists that filter by text (the thread
 * list's `q`). It asks the search route's keyword index the search route's question: the same
 * words (`queryWords`), the same match expression (`fts5Match` on SQLite, `pgTsQuery` on
 * PostgreSQL), the same limits (`checkQuery`), so a list filtered by `q` holds exactly the
 * threads whose mail the search route finds. The index holds visible mail only, and the list
 * adds its own `hidden_at is null` besides.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import type { DialectStrategy } from '../db/dialect.js'
import { checkQuery, fts5Match, pgTsQuery, queryWords } from './text.js'
import type { ReadScope } from '../sharing/access.js'

/** A condition on the `emails` table of a query. */
export type EmailCondition = (eb: ExpressionBuilder<EmailDatabase, 'emails'>) => Expression<SqlBool>

/**
 * Turns query text into a condition on `emails`: `null` when the text has no words to match
 * (punctuation only: the search route finds nothing for it, and neither does a list). Empty,
 * too long or too wordy text is a `ValidationError` (400), as on the search route.
 */
export type ContentMatch = (text: string, scope: ReadScope) => EmailCondition | null

/**
 * Builds the content match of the database's dialect (the form of its keyword index), once.
 *
 * @example
 * ```ts
 * const match = createContentMatch(context.dialect)
 * const condition = match('term sheet', scope) // emails whose subject, participants or body has both words
 * ```
 */
export function createContentMatch(dialect: DialectStrategy): ContentMatch {
  const tsvector = dialect.keywordIndex === 'tsvector'
  return (text) => {
    checkQuery(text)
    const words = queryWords(text)
    if (words.length === 0) return null
    // The index tables are not part of `EmailDatabase` (their shape differs by dialect): raw SQL.
    const matching = tsvector
      ? sql`select email_id from email_fts where document @@ to_tsquery('simple', ${pgTsQuery(words)})`
      : sql`select rowid from email_fts where email_fts match ${fts5Match(words)}`
    return (eb) => sql<SqlBool>`${eb.ref('emails.id')} in (${matching})`
  }
}
