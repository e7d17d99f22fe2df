/**
 * Cutting an email's text into the pieces that are embedded one vector each. A piece is a few
 * paragraphs long: long enough to carry a topic, short enough that one topic of a long email
 * is not drowned by the rest. Consecutive pieces overlap, so a sentence cut at a border is
 * still whole in one of them.
 */

/** Characters per chunk, about (a chunk ends on a word border at or before it). */
export const CHUNK_CHARS = 1_200

/** Characters the next chunk repeats from the end of the one before. */
export const CHUNK_OVERLAP = 200

/** Whitespace runs: where a chunk may end. */
const SPACE = /\s+/g

/**
 * Splits text into chunks of at most about {@link CHUNK_CHARS} characters that overlap by
 * about {@link CHUNK_OVERLAP}, cutting between words (a single word longer than a chunk is cut
 * inside). Whitespace runs become one space; empty text gives no chunk.
 *
 * @example
 * ```ts
 * chunkText('Term sheet attached.') // ['Term sheet attached.']
 * chunkText(longBody, 100).length   // at most 100 chunks
 * ```
 */
export function chunkText(text: string, max = Number.POSITIVE_INFINITY, size = CHUNK_CHARS, overlap = CHUNK_OVERLAP): string[] {
  const flat = text.replace(SPACE, ' ').trim()
  const chunks: string[] = []
  let start = 0
  while (start < flat.length && chunks.length < max) {
    let end = Math.min(flat.length, start + size)
    if (end < flat.length) {
      // Back to the last space inside the window, unless the window holds one word only.
      const space = flat.lastIndexOf(' ', end)
      if (space > start) end = space
    }
    chunks.push(flat.slice(start, end).trim())
    if (end >= flat.length) break
    // The next chunk starts `overlap` characters back, at a word's start, but always moves on.
    let next = Math.max(end - overlap, start + 1)
    const space = flat.indexOf(' ', next)
    if (space !== -1 && space < end) next = space + 1
    start = next
  }
  return chunks.filter((c) => c.length > 0)
}
