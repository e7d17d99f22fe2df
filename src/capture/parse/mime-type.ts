/*
 * What a Content-Type or Content-Transfer-Encoding field says, read the same way for both
 * readings of a message (the raw repair before postal-mime, and the `full` part tree), so an
 * odd field cannot make them disagree about what a part is.
 */

/** RFC 2045 §5.1 token characters: printable ASCII except space and the tspecials. */
const TOKEN = "[!#$%&'*+\\-.^_`{|}~0-9A-Za-z]+"
const MIME_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`)

/**
 * The text of a structured field without its RFC 822 comments (parenthesised, nestable, outside
 * quoted strings). An unbalanced `(` is kept as text, as postal-mime keeps it.
 *
 * @example
 * ```ts
 * stripComments('text/html (from the editor); charset=utf-8') // 'text/html ; charset=utf-8'
 * ```
 */
export function stripComments(value: string): string {
  let out = ''
  let depth = 0
  let quoted = false
  let opened = -1
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i)
    if (ch === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += value.slice(i, i + 2)
      i++
    } else if (depth === 0 && ch === '"') {
      quoted = !quoted
      out += ch
    } else if (!quoted && ch === '(') {
      if (depth === 0) opened = i
      depth++
    } else if (depth > 0) {
      if (ch === ')') depth--
    } else out += ch
  }
  return depth > 0 ? out + value.slice(opened) : out
}

/**
 * The `type/subtype` of a Content-Type value, lower-cased, or `null` when the value is not one
 * (RFC 2045 §5.2: `Content-Type: text`, an empty value or junk is syntactically invalid, and
 * such a part is read as `text/plain`). Comments and parameters are ignored.
 *
 * @example
 * ```ts
 * mimeTypeOf('Text/HTML; charset=utf-8') // 'text/html'
 * mimeTypeOf('text') // null
 * ```
 */
export function mimeTypeOf(contentType: string): string | null {
  const head = stripComments(contentType).split(';', 1)[0]?.trim() ?? ''
  return MIME_TYPE.test(head) ? head.toLowerCase() : null
}

/** How a part's body is transfer-encoded, as far as decoding its bytes goes. */
export type TransferEncoding = 'base64' | 'quoted-printable' | 'identity'

/**
 * The transfer encoding a Content-Transfer-Encoding value names, read as postal-mime reads it
 * (the first token, comments ignored). `7bit`, `8bit`, `binary`, an absent field and any
 * encoding nobody knows all leave the bytes as they are: `identity`.
 *
 * @example
 * ```ts
 * transferEncodingOf(' Quoted-Printable') // 'quoted-printable'
 * transferEncodingOf(null) // 'identity'
 * ```
 */
export function transferEncodingOf(value: string | null): TransferEncoding {
  const token = /[\w-]+/.exec(stripComments(value ?? '').toLowerCase())?.[0] ?? ''
  if (token.includes('base64')) return 'base64'
  return token.includes('quoted-printable') ? 'quoted-printable' : 'identity'
}
