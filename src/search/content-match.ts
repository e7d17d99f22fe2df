/**
 * Content matching as a condition on `emails`, for lists that filter by text (the thread
 * list's `q`). It asks the search route's keyword index the search route's question: the same
 * words (`queryWords`), the same match in the fields the reader may see (`visibleMatch`), the
 * same limits (`checkQuery`), so a list filtered by `q` holds exactly the threads whose mail
 * the search route finds for that reader. The index holds visible mail only, and the list adds
 * its own `hidden_at is null` besides.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import type { DialectStrategy } from '../db/dialect.js'
import { checkQuery, queryWords } from './text.js'
import { accessRank, type ReadScope } from '../sharing/access.js'
import { visibleMatch } from './visibility.js'

/** A condition on the `emails` table of a query. */
export type EmailCondition = (eb: ExpressionBuilder<EmailDatabase, 'emails'>) => Expression<SqlBool>

/**
 * Turns query text into a condition on `emails` for one reader (a word counts only in a field
 * the reader's access shows): `null` when the text has no words to match (punctuation only:
 * the search route finds nothing for it, and neither does a list). Empty, too long or too wordy
 * text is a `ValidationError` (400), as on the search route.
 */
export type ContentMatch = (text: string, scope: ReadScope) => EmailCondition | null

/**
 * Builds the content match of the database's dialect (the form of its keyword index), once.
 *
 * @example
 * ```ts
 * const match = createContentMatch(context.dialect)
 * const condition = match('term sheet', scope) // emails with both words where the reader may see them
 * ```
 */
export function createContentMatch(dialect: DialectStrategy): ContentMatch {
  const index = dialect.keywordIndex
  return (text, scope) => {
    checkQuery(text)
    const words = queryWords(text)
    if (words.length === 0) return null
    return (eb) => visibleMatch(index, words, eb.ref('emails.id'), accessRank(eb, scope))
  }
}
