/**
 * Reciprocal rank fusion of the keyword and semantic rankings (SPEC §9 hybrid search). Ranks,
 * not scores, are fused: BM25-like scores and cosine similarities are on unrelated scales.
 */
import type { SearchHit } from './backend.js'

/** The RRF constant: the usual 60 keeps one list's top rank from drowning the other list. */
export const RRF_K = 60

/**
 * Fuses two rankings: each email scores `1 / (RRF_K + rank)` (rank from 1) in each list that
 * holds it, so one found by both ranks above one found by either alone at a similar place. An
 * email in both keeps the keyword highlight, which marks the query's words, unless only the
 * semantic side names an attachment it was found in.
 *
 * @example
 * ```ts
 * const hits = fuseRankings(keywordHits, semanticHits, 25)
 * ```
 */
export function fuseRankings(keyword: readonly SearchHit[], semantic: readonly SearchHit[], limit: number): SearchHit[] {
  const fused = new Map<number, { hit: SearchHit; score: number; best: number }>()
  const add = (hit: SearchHit, rank: number, semanticSide: boolean) => {
    const share = 1 / (RRF_K + rank + 1)
    const entry = fused.get(hit.emailId)
    if (entry === undefined) {
      fused.set(hit.emailId, { hit, score: share, best: rank })
      return
    }
    entry.score += share
    entry.best = Math.min(entry.best, rank)
    if (semanticSide && entry.hit.attachment === undefined && hit.attachment !== undefined) entry.hit = hit
  }
  keyword.forEach((hit, rank) => {
    add(hit, rank, false)
  })
  semantic.forEach((hit, rank) => {
    add(hit, rank, true)
  })
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.best - b.best || b.hit.emailId - a.hit.emailId)
    .slice(0, limit)
    .map(({ hit, score }) => ({ ...hit, score }))
}
