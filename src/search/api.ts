/**
 * `email.search(q, options)`: content search (SPEC §8, §9). The backend ranks; the results are
 * hydrated from the SQL tables, so hidden mail never appears whatever a backend returns.
 */
import type { IntegrationContext } from '../context.js'
import type { DirectoryCache } from '../directory/cache.js'
import { pageLimit } from '../mail/filters.js'
import { emailSummaries } from '../mail/emails.js'
import type { EmailSummary, MailFilter } from '../mail/types.js'
import { createFts5Backend } from './fts5.js'
import { createHybridBackend } from './hybrid.js'
import { createPostgresBackend } from './postgres.js'
import type { MatchedAttachment, SearchBackend } from './backend.js'
import { checkQuery } from './text.js'
import { readScope, type ReadOptions } from '../sharing/access.js'

/** Options of a search: the thread list's filters and a result count. */
export interface SearchOptions extends MailFilter, ReadOptions {
  /** Results wanted, 1 to 100 (default 25). */
  readonly limit?: number | string | undefined
}

/** One result: the email, its score (higher is better) and the highlighted text. */
export interface SearchItem {
  readonly email: EmailSummary
  readonly score: number
  /** Plain text; matches between `«` and `»` (escape before use in HTML). */
  readonly highlight: string
  /** The attached file the match was found in, when it is in an attachment's text. */
  readonly attachment?: MatchedAttachment | undefined
}

/** The answer of a search: best first, and the backend that produced it. */
export interface SearchResult {
  readonly items: readonly SearchItem[]
  readonly backend: string
}

/** Content search over stored, visible mail. */
export interface SearchApi {
  /**
   * Searches subjects, participants and bodies, as `viewer` may see them (SPEC §12): a word
   * counts only in a field the reader's access to that email shows (owner and `everything`:
   * all; `subject`: subject and participants; `metadata`: participants), and the score and the
   * highlight read only those fields. Without a viewer, the team's view. An empty query is a
   * `ValidationError` (400); an unreachable hybrid backend is a `DisabledError` with code
   * `backend_unavailable` (503).
   *
   * @example
   * ```ts
   * const { items } = await email.search('term sheet', { identity: 'fund:7', from: '2026-01-01', viewer: 'ann@fund.example' })
   * ```
   */
  readonly search: (q: string, options?: SearchOptions) => Promise<SearchResult>
}

/**
 * Chooses the backend: hybrid when embeddings and Qdrant are configured (over the keyword
 * backend of the dialect), else FTS5 on SQLite and full-text search on PostgreSQL.
 */
function chooseBackend(context: IntegrationContext): SearchBackend {
  const { db, config } = context
  const keyword = context.dialect.keywordIndex === 'tsvector' ? createPostgresBackend(db) : createFts5Backend(db)
  if (config.embeddings === null || config.qdrantUrl === null) return keyword
  return createHybridBackend({ db, keyword, embeddings: config.embeddings, qdrantUrl: config.qdrantUrl })
}

/**
 * Builds the search API over one integration's context and directory cache.
 *
 * @example
 * ```ts
 * const { search } = createSearchApi(context, directory)
 * const { items, backend } = await search('capital call')
 * ```
 */
export function createSearchApi(context: IntegrationContext, directory: DirectoryCache): SearchApi {
  const backend = chooseBackend(context)
  return {
    async search(q, options = {}) {
      checkQuery(q)
      const limit = pageLimit(options.limit)
      const filter: MailFilter = { identity: options.identity, from: options.from, to: options.to }
      const scope = readScope(options, context.config.defaultSharing)
      const hits = await backend.search({ text: q, filter, limit, scope })
      const summaries = await emailSummaries(context.db, hits.map((h) => h.emailId), await directory.get(), scope)
      return {
        items: hits.flatMap((h) => {
          const email = summaries.get(h.emailId)
          return email === undefined ? [] : [{ email, score: h.score, highlight: h.highlight, ...(h.attachment === undefined ? {} : { attachment: h.attachment }) }]
        }),
        backend: backend.name,
      }
    },
  }
}
