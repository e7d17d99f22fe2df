/**
 * Text as the readers hand it back, made fit to store: bytes decoded, XML entities resolved,
 * whitespace collapsed (paragraph breaks kept, so snippets and chunks still read as prose) and
 * the length bounded.
 */
import { MAX_ATTACHMENT_TEXT_CHARS } from './limits.js'

const UTF8_BOM = [0xef, 0xbb, 0xbf]

/**
 * Decodes a text file: UTF-8 (its byte-order mark dropped), or Latin-1 when the bytes are not
 * valid UTF-8 (older spreadsheet exports); every byte sequence is valid Latin-1.
 *
 * @example
 * ```ts
 * decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])) // 'hi'
 * decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))       // 'café'
 * ```
 */
export function decodeText(bytes: Uint8Array): string {
  const body = UTF8_BOM.every((byte, i) => bytes[i] === byte) ? bytes.subarray(UTF8_BOM.length) : bytes
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    return new TextDecoder('latin1').decode(body)
  }
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = Object.freeze({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })

/**
 * Resolves the entities XML text may hold: the five named ones and numeric references; an
 * unknown or invalid reference is left as written.
 *
 * @example
 * ```ts
 * decodeXmlEntities('R&amp;D &#8364;5 &#x41;') // 'R&D €5 A'
 * ```
 */
export function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return NAMED_ENTITIES[name] ?? whole
  })
}

/**
 * Collapses whitespace (runs of spaces and tabs to one space, three or more line breaks to a
 * paragraph break), drops control characters, and keeps at most
 * {@link MAX_ATTACHMENT_TEXT_CHARS} characters, cut at a word's end where one is near.
 *
 * @example
 * ```ts
 * boundText('  Q3\t\tplan \r\n\r\n\r\n\r\nRevenue  ') // 'Q3 plan\n\nRevenue'
 * ```
 */
export function boundText(text: string, maxChars: number = MAX_ATTACHMENT_TEXT_CHARS): string {
  const collapsed = text
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  if (collapsed.length <= maxChars) return collapsed
  const cut = collapsed.slice(0, maxChars)
  const lastSpace = cut.search(/\s\S*$/)
  // A word cut in half would index a word the file never held.
  return (lastSpace > maxChars - 100 ? cut.slice(0, lastSpace) : cut).trimEnd()
}
