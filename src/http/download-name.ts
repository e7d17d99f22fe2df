/**
 * The name a downloaded attachment is saved under. The sender chose it, so it is treated as
 * hostile: no path, no control characters, no bidirectional overrides that make
 * `invoice\u202Egnp.exe` display as `invoiceexe.png`, and a length every file system takes,
 * cut between characters as the reader sees them.
 */

/**
 * The most UTF-8 bytes of a download name: under the 255 bytes common file systems allow in a
 * name, with room for the ` (1)` a browser adds to a name it already saved.
 */
export const MAX_DOWNLOAD_NAME_BYTES = 200

/** The longest ending kept as an extension when a long name is cut (`.pdf`, `.docx`, `.tar`). */
const MAX_EXTENSION_CHARS = 16

/**
 * What never belongs in a file name: C0 and C1 controls and DEL, line and paragraph separators,
 * and the bidirectional formatting characters (embeddings, overrides, isolates and the marks
 * LRM, RLM and ALM) that reorder how a name displays; plus `"`, which ends the quoted form.
 */
const UNSAFE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C"]/gu

/** A surrogate without its pair: `encodeURIComponent` throws on one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' })

/** The user-perceived characters of a text (a flag, an emoji with its modifiers, e and its accent: one each). */
function charactersOf(text: string): string[] {
  return Array.from(graphemes.segment(text), (s) => s.segment)
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** The longest start of `text` within `budget` bytes that ends between two characters. */
function cut(text: string, budget: number): string {
  let kept = ''
  for (const character of charactersOf(text)) {
    if (byteLength(kept + character) > budget) {
      // A single character larger than the whole budget (a letter under a pile of combining
      // marks) is cut between code points instead, never inside a surrogate pair.
      if (kept === '') for (const point of character) if (byteLength(kept + point) <= budget) kept += point
      break
    }
    kept += character
  }
  return kept
}

/** `name` within {@link MAX_DOWNLOAD_NAME_BYTES}, keeping a short extension when it has one. */
function shorten(name: string): string {
  if (byteLength(name) <= MAX_DOWNLOAD_NAME_BYTES) return name
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 ? name.slice(dot) : ''
  const keepsExtension = extension.length > 1 && charactersOf(extension).length <= MAX_EXTENSION_CHARS + 1 && /^\.[\p{L}\p{N}]+$/u.test(extension)
  if (!keepsExtension) return cut(name, MAX_DOWNLOAD_NAME_BYTES)
  return cut(name.slice(0, dot), MAX_DOWNLOAD_NAME_BYTES - byteLength(extension)).trimEnd() + extension
}

/**
 * The name to save an attachment under: the last segment of the sender's name (no `/` or `\`
 * path), well-formed and NFC-normalised, without control or bidirectional formatting
 * characters or `"`, trimmed, at most {@link MAX_DOWNLOAD_NAME_BYTES} UTF-8 bytes cut between
 * characters (a short extension is kept); `attachment` when nothing is left or only dots are.
 *
 * @example
 * ```ts
 * downloadName('../../invoice\u202Egnp.exe') // 'invoicegnp.exe'
 * downloadName('a'.repeat(199) + '😀.pdf')    // 'aaa…a.pdf' (196 a's: the emoji does not fit)
 * ```
 */
export function downloadName(filename: string): string {
  const wellFormed = filename.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC')
  const last = wellFormed.split(/[\\/]/).pop() ?? ''
  const name = shorten(last.replace(UNSAFE, '').trim()).trim()
  return /^\.*$/.test(name) ? 'attachment' : name
}

/**
 * A `Content-Disposition` value that saves the attachment under {@link downloadName}: an
 * ASCII `filename=` for old clients (each other character an `_`) and the UTF-8 name in
 * RFC 8187 form, `filename*=UTF-8''…`, which RFC 6266 clients prefer. In the UTF-8 form `'`,
 * `(`, `)` and `*` are percent-encoded too (they are not attr-chars).
 *
 * @example
 * ```ts
 * contentDisposition('résumé.pdf') // `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`
 * ```
 */
export function contentDisposition(filename: string): string {
  const name = downloadName(filename)
  const ascii = charactersOf(name)
    .map((c) => (/^[\x20-\x7e]$/.test(c) ? c : '_'))
    .join('')
  const extended = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${extended}`
}
