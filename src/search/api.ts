/**
 * `email.search(q, options)`: content search (SPEC §8, §9) in three modes: `keyword` (the
 * dialect's full-text index), `semantic` (the vector store) and `hybrid` (both, fused). Every
 * answer is hydrated from the SQL tables, so hidden mail never appears whatever a backend returns.
 */
import type { IntegrationContext } from '../context.js'
import type { DirectoryCache } from '../directory/cache.js'
import { DisabledError, ValidationError } from '../errors.js'
import { pageLimit } from '../mail/filters.js'
import { emailSummaries } from '../mail/emails.js'
import type { EmailSummary, MailFilter } from '../mail/types.js'
import { readScope, type ReadOptions } from '../sharing/access.js'
import type { VectorSetup } from '../vectors/types.js'
import type { MatchedAttachment, SearchBackend, SearchHit } from './backend.js'
import { createFts5Backend } from './fts5.js'
import { createHybridSearch } from './hybrid.js'
import { createPostgresBackend } from './postgres.js'
import { createSemanticSearch } from './semantic.js'
import { checkQuery } from './text.js'

/** The ways a search can rank: by words, by meaning, or both fused. */
export const SEARCH_MODES = ['keyword', 'semantic', 'hybrid'] as const

/** A search mode (see {@link SEARCH_MODES}). */
export type SearchMode = (typeof SEARCH_MODES)[number]

/** The message of a semantic search asked for while no embeddings endpoint is configured. */
export const SEMANTIC_NOT_CONFIGURED = 'semantic search is not configured (CRM_GMAIL_EMBEDDINGS_URL)'

/** Options of a search: the thread list's filters, a result count and a mode. */
export interface SearchOptions extends MailFilter, ReadOptions {
  /** Results wanted, 1 to 100 (default 25). */
  readonly limit?: number | string | undefined
  /** How to rank; default `hybrid` when vectors are configured, else `keyword`. */
  readonly mode?: SearchMode | undefined
}

/** One result: the email, its score (higher is better) and the highlighted text. */
export interface SearchItem {
  readonly email: EmailSummary
  /** Higher is better; comparable only within one answer. */
  readonly score: number
  /**
   * Plain text; matches between `«` and `»` (escape before use in HTML). A result found by
   * meaning only has no marked words: its snippet, or the start of the attachment it matched.
   */
  readonly highlight: string
  /** The attached file the match was found in, when it is in an attachment's text. */
  readonly attachment?: MatchedAttachment | undefined
}

/** The answer of a search: best first, and how it was produced. */
export interface SearchResult {
  readonly items: readonly SearchItem[]
  /** The mode answered. */
  readonly mode: SearchMode
  /** `fts5` or `postgres` (keyword), `embedded` or `qdrant` (semantic), `hybrid`. */
  readonly backend: string
  /** The backends that answered, such as `['fts5']`, `['embedded']` or `['postgres', 'qdrant']`. */
  readonly backends: readonly string[]
  /** Set on a hybrid answer whose vector side failed or is not configured: keyword results only. */
  readonly degraded?: true
  /** Why the answer is degraded (never a URL or a secret). */
  readonly reason?: string
}

/** Content search over stored, visible mail. */
export interface SearchApi {
  /**
   * Searches as `viewer` may see the mail (SPEC §12). Keyword: a word counts only in a field the
   * reader's access shows (owner and `everything`: all; `subject`: subject and participants;
   * `metadata`: participants), and the score and highlight read only those fields. Semantic:
   * only mail the reader may read in full can be found by meaning. Hybrid fuses both; when its
   * vector side is down it answers the keyword results with `degraded: true` and a `reason`.
   * Without a viewer, the team's view. An empty query or an unknown mode is a `ValidationError`
   * (400); semantic search that cannot reach its endpoint or store, or is not configured, is a
   * `DisabledError` with code `backend_unavailable` (503).
   *
   * @example
   * ```ts
   * const { items, mode } = await email.search('term sheet', { identity: 'fund:7', from: '2026-01-01', viewer: 'ann@fund.example' })
   * const byMeaning = await email.search('when is the next closing', { mode: 'semantic' })
   * ```
   */
  readonly search: (q: string, options?: SearchOptions) => Promise<SearchResult>
}

/**
 * Reads a mode as a caller sent it: one of {@link SEARCH_MODES}, `undefined` when left out or
 * empty (the default applies), a `ValidationError` (400) naming `mode` otherwise.
 *
 * @example
 * ```ts
 * parseSearchMode('semantic') // 'semantic'
 * parseSearchMode('')         // undefined
 * parseSearchMode('vector')   // throws ValidationError
 * ```
 */
export function parseSearchMode(value: unknown): SearchMode | undefined {
  if (value === undefined || value === '') return undefined
  const mode = SEARCH_MODES.find((m) => m === value)
  if (mode !== undefined) return mode
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : `a value of type ${typeof value}`
  throw new ValidationError(`mode: expected one of ${SEARCH_MODES.join(', ')}, got ${shown}`)
}

/**
 * Builds the search API over one integration's context, directory cache and vector setup
 * (`null` when no embeddings endpoint is configured: keyword search only).
 *
 * @example
 * ```ts
 * const { search } = createSearchApi(context, directory, createVectorSetup(context))
 * const { items, mode, backends } = await search('capital call')
 * ```
 */
export function createSearchApi(context: IntegrationContext, directory: DirectoryCache, vectors: VectorSetup | null = null): SearchApi {
  const { db } = context
  const keyword: SearchBackend = context.dialect.keywordIndex === 'tsvector' ? createPostgresBackend(db) : createFts5Backend(db)
  const semantic = vectors === null ? null : createSemanticSearch(db, vectors)
  const hybrid = createHybridSearch(keyword, semantic, (reason, error) => {
    context.logger.warn({ reason, error: error instanceof Error ? error.message : String(error) }, 'email search degraded to keyword results')
  })
  const fallback: SearchMode = vectors === null ? 'keyword' : 'hybrid'

  /** The hits of a mode, and how they came about. */
  const ranked = async (mode: SearchMode, query: Parameters<SearchBackend['search']>[0]) => {
    if (mode === 'keyword') return { hits: await keyword.search(query), backend: keyword.name, backends: [keyword.name], reason: null }
    if (mode === 'semantic') {
      if (semantic === null) throw new DisabledError(SEMANTIC_NOT_CONFIGURED, { code: 'backend_unavailable' })
      return { hits: await semantic.search(query), backend: semantic.name, backends: [semantic.name], reason: null }
    }
    return { ...(await hybrid.search(query)), backend: 'hybrid' }
  }

  return {
    async search(q, options = {}) {
      checkQuery(q)
      const mode = parseSearchMode(options.mode) ?? fallback
      const limit = pageLimit(options.limit)
      const filter: MailFilter = { identity: options.identity, from: options.from, to: options.to }
      const scope = readScope(options, context.config.defaultSharing)
      const answer = await ranked(mode, { text: q, filter, limit, scope })
      const summaries = await emailSummaries(db, answer.hits.map((h) => h.emailId), await directory.get(), scope)
      const items = answer.hits.flatMap((h: SearchHit): SearchItem[] => {
        const email = summaries.get(h.emailId)
        if (email === undefined) return []
        return [{ email, score: h.score, highlight: h.highlight, ...(h.attachment === undefined ? {} : { attachment: h.attachment }) }]
      })
      return {
        items,
        mode,
        backend: answer.backend,
        backends: answer.backends,
        ...(answer.reason === null ? {} : { degraded: true as const, reason: answer.reason }),
      }
    },
  }
}
