/**
 * How the capture splits the messages whose content it fetches into batch calls: by format
 * (`raw` whole, `full` as a part tree) and so that one batch answer stays well within memory.
 * A batch answer is held whole (base64url text, a third larger than the bytes) until parsed.
 */
import { MIB } from './capture-attachments.js'
import type { SizeHints } from './pipeline-types.js'

/** Bytes of content asked for in one batch: keeps a batch of raw messages well within memory. */
export const CONTENT_BATCH_BYTES = 25 * MIB

/**
 * Search candidates of unknown size under 1 MB (not listed by `larger:1M`) fetched raw per
 * batch call: 25 of them stay within {@link CONTENT_BATCH_BYTES}, the headers path's bound.
 */
export const SMALL_CANDIDATES_PER_BATCH = 25

/**
 * Candidates between 1 and 10 MB (listed by `larger:1M`, not by `larger:10M`) fetched raw per
 * batch call: two of them are at most 20 MB, within {@link CONTENT_BATCH_BYTES}.
 */
export const MEDIUM_CANDIDATES_PER_BATCH = 2

/**
 * Candidates over 10 MB fetched as part trees (`format=full`) per batch call: their attachments
 * come later by id, but their text parts come inline; two per call, as the headers path's byte
 * budget groups messages of that size.
 */
export const LARGE_CANDIDATES_PER_BATCH = 2

/** One batch call's worth of messages, all in one format. */
export interface ContentGroup<T> {
  readonly format: 'raw' | 'full'
  readonly items: readonly T[]
}

/**
 * Splits messages of known size (a metadata read gave `sizeEstimate`) into batches by format,
 * each within {@link CONTENT_BATCH_BYTES}: up to `rawLimit` bytes raw, larger ones `full`.
 *
 * @example
 * ```ts
 * for (const group of contentGroups(candidates, 10 * MIB)) {
 *   await client.batchGetMessages(group.items.map((c) => c.meta.id), { format: group.format })
 * }
 * ```
 */
export function* contentGroups<T extends { readonly meta: { readonly sizeEstimate?: number } }>(
  items: readonly T[],
  rawLimit: number,
): Generator<ContentGroup<T>> {
  for (const format of ['raw', 'full'] as const) {
    let group: T[] = []
    let bytes = 0
    for (const item of items) {
      const size = item.meta.sizeEstimate ?? 0
      if ((size <= rawLimit) !== (format === 'raw')) continue
      if (group.length > 0 && bytes + size > CONTENT_BATCH_BYTES) {
        yield { format, items: group }
        group = []
        bytes = 0
      }
      group.push(item)
      bytes += size
    }
    if (group.length > 0) yield { format, items: group }
  }
}

/**
 * Splits search candidates, whose sizes are unknown, into batches by the size hints: small ones
 * raw 25 a call, medium ones raw two a call, large ones `full` two a call. Order within each
 * class is kept; an id in `large` is large even when also in `medium`.
 *
 * @example
 * ```ts
 * const hints = { medium: new Set(['m1']), large: new Set(['l1']) }
 * ;[...candidateGroups(['a', 'm1', 'l1'], hints)]
 * // [{ format: 'raw', items: ['a'] }, { format: 'raw', items: ['m1'] }, { format: 'full', items: ['l1'] }]
 * ```
 */
export function* candidateGroups(ids: readonly string[], hints: SizeHints): Generator<ContentGroup<string>> {
  const small: string[] = []
  const medium: string[] = []
  const large: string[] = []
  for (const id of ids) {
    if (hints.large.has(id)) large.push(id)
    else if (hints.medium.has(id)) medium.push(id)
    else small.push(id)
  }
  const classes = [
    ['raw', small, SMALL_CANDIDATES_PER_BATCH],
    ['raw', medium, MEDIUM_CANDIDATES_PER_BATCH],
    ['full', large, LARGE_CANDIDATES_PER_BATCH],
  ] as const
  for (const [format, list, perBatch] of classes) {
    for (let start = 0; start < list.length; start += perBatch) yield { format, items: list.slice(start, start + perBatch) }
  }
}
