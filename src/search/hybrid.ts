/**
 * Hybrid search (SPEC §9): the keyword backend and semantic search asked at once, their rankings
 * fused. The keyword side is the answer's floor: when the vector side cannot answer, the keyword
 * results come back marked `degraded` with the reason, since a search box that still finds words
 * is worth more than an error. A keyword failure is a real error.
 */
import type { SearchBackend, SearchHit, SearchQuery } from './backend.js'
import { fuseRankings } from './fusion.js'
import { SemanticUnavailableError, type SemanticSearch } from './semantic.js'

/** Why a hybrid answer holds keyword results only, when vectors are not set up at all. */
export const NOT_CONFIGURED_REASON = 'semantic search is not configured'

/** A hybrid answer: the hits, which sides answered, and why the vector side did not. */
export interface HybridAnswer {
  readonly hits: SearchHit[]
  /** The names of the sides that answered: the keyword backend's, and the store's unless degraded. */
  readonly backends: string[]
  /** Why the vector side is missing from the answer (shown to users: never a URL or secret). */
  readonly reason: string | null
}

/** Hybrid search over a keyword backend and, when set up, semantic search. */
export interface HybridSearch {
  search(query: SearchQuery): Promise<HybridAnswer>
}

/** What the hybrid search logs when its vector side fails. */
export type DegradedLog = (reason: string, error: unknown) => void

/**
 * Builds hybrid search. Without `semantic` (no vectors configured) every answer is the keyword
 * one, degraded with {@link NOT_CONFIGURED_REASON}.
 *
 * @example
 * ```ts
 * const hybrid = createHybridSearch(createFts5Backend(db), createSemanticSearch(db, vectors))
 * const { hits, backends, reason } = await hybrid.search({ text: 'term sheet', filter: {}, limit: 25, scope })
 * ```
 */
export function createHybridSearch(keyword: SearchBackend, semantic: SemanticSearch | null, onDegraded?: DegradedLog): HybridSearch {
  return {
    async search(query) {
      if (semantic === null) {
        return { hits: await keyword.search(query), backends: [keyword.name], reason: NOT_CONFIGURED_REASON }
      }
      // Both at once; a vector side that cannot answer becomes a value, any other failure stays one.
      const [keywordHits, vector] = await Promise.all([
        keyword.search(query),
        semantic.search(query).then(
          (hits) => ({ hits, failure: null }),
          (error: unknown) => {
            if (error instanceof SemanticUnavailableError) return { hits: [], failure: error }
            throw error
          },
        ),
      ])
      if (vector.failure !== null) {
        onDegraded?.(vector.failure.reason, vector.failure)
        return { hits: keywordHits, backends: [keyword.name], reason: vector.failure.reason }
      }
      return { hits: fuseRankings(keywordHits, vector.hits, query.limit), backends: [keyword.name, semantic.name], reason: null }
    },
  }
}
