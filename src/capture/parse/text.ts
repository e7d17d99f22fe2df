import { TextDecoder } from 'node:util'
import { SNIPPET_LENGTH } from './limits.js'

/*
 * Text helpers shared by both readings of a message: decoding a body in its declared charset
 * (for Gmail part trees; postal-mime decodes raw messages itself), format=flowed, and the
 * canonical form every body text takes before it is stored.
 */

const decoders = new Map<string, TextDecoder | null>()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })
const latin1 = new TextDecoder('windows-1252')

/** Charset labels mail uses that TextDecoder does not know, mapped to one it does. */
const CHARSET_ALIASES = new Map<string, string>([
  ['cp932', 'shift_jis'],
  ['ms932', 'shift_jis'],
  ['windows-31j', 'shift_jis'],
  ['iso-2022-jp-1', 'iso-2022-jp'],
  ['iso-2022-jp-2', 'iso-2022-jp'],
  ['ks_c_5601', 'euc-kr'],
  ['cp949', 'euc-kr'],
  ['uhc', 'euc-kr'],
  ['tis-620', 'windows-874'],
  ['utf8mb4', 'utf-8'],
])

function decoderFor(label: string): TextDecoder | null {
  let decoder = decoders.get(label)
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label)
    } catch {
      decoder = null
    }
    // Only labels TextDecoder accepted are worth remembering; caching every made-up label a
    // message declares would let mail grow this map without bound.
    if (decoder !== null) decoders.set(label, decoder)
  }
  return decoder
}

/**
 * Decodes bytes in a declared charset. An unknown or missing charset is read as UTF-8 when the
 * bytes are valid UTF-8, else as Windows-1252 (the superset of Latin-1 that mail mislabelled as
 * Latin-1 actually uses), so text always comes out, if not always right.
 *
 * @example
 * ```ts
 * decodeCharset(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), 'ISO-8859-1') // 'café'
 * ```
 */
export function decodeCharset(bytes: Uint8Array, charset: string | null | undefined): string {
  const label = (charset ?? '').trim().toLowerCase()
  if (label !== '') {
    const decoder =
      decoderFor(label) ?? decoderFor(CHARSET_ALIASES.get(label) ?? label.replace(/^(?:x-|cs)/, ''))
    if (decoder !== null) return decoder.decode(bytes)
  }
  try {
    return utf8Strict.decode(bytes)
  } catch {
    return latin1.decode(bytes)
  }
}

/**
 * What Windows-1252 puts at 0x80-0x9F, by byte. The five bytes it leaves undefined keep their C1
 * control character.
 */
const WINDOWS_1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
]

/**
 * Replaces C1 control characters (U+0080-U+009F) with the Windows-1252 characters of the same
 * byte. Node 20.18.3 and later decode `windows-1252`, `iso-8859-1` and `us-ascii` as if C1 were
 * Latin-1 (nodejs/node#60888), which turns every curly quote, dash and euro sign of mislabelled
 * Western mail into an invisible control; postal-mime decodes with the same TextDecoder. The
 * WHATWG Encoding Standard maps all those labels to Windows-1252, and real C1 controls carry no
 * meaning in mail, so the repair is right on every Node version (and a no-op where the bug is fixed).
 *
 * @example
 * ```ts
 * repairC1('\u0093quoted\u0094 \u0080') // '“quoted” €'
 * ```
 */
export function repairC1(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (ch) => String.fromCharCode(WINDOWS_1252_C1[ch.charCodeAt(0) - 0x80] ?? 0xfffd))
}

/**
 * Undoes RFC 3676 format=flowed: space-stuffing is removed and a line ending in a space is
 * joined with the next (dropping that space when `delSp`), except the signature separator.
 * Same rules as postal-mime applies to raw messages.
 *
 * @example
 * ```ts
 * decodeFlowed('Hello \nworld\n', false) // 'Hello world\n'
 * ```
 */
export function decodeFlowed(text: string, delSp: boolean): string {
  const out: string[] = []
  let current: string | null = null
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.startsWith(' ') ? rawLine.slice(1) : rawLine
    if (current === null) {
      current = line
      continue
    }
    if (current.endsWith(' ') && current !== '-- ') {
      current = (delSp ? current.slice(0, -1) : current) + line
    } else {
      out.push(current)
      current = line
    }
  }
  if (current !== null) out.push(current)
  return out.join('\n')
}

/**
 * The canonical form of a body text: line endings as `\n`, NUL characters removed (no
 * database text column takes them), C1 controls repaired ({@link repairC1}), trailing blank
 * space removed; `null` when nothing is left.
 *
 * @example
 * ```ts
 * canonicalText('Hi\r\n\r\n') // 'Hi'
 * ```
 */
export function canonicalText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null
  const result = repairC1(text.replace(/\r\n/g, '\n').replace(/\0/g, '')).trimEnd()
  return result === '' ? null : result
}

/**
 * The first {@link SNIPPET_LENGTH} characters of a text with every whitespace run collapsed to
 * one space; reads only as much of the text as it needs.
 *
 * @example
 * ```ts
 * snippetOf('  Hello,\n\n  world ') // 'Hello, world'
 * ```
 */
export function snippetOf(text: string | null): string {
  if (text === null) return ''
  let out = ''
  let count = 0
  let pendingSpace = false
  for (const ch of text) {
    if (/\s/.test(ch)) {
      pendingSpace = out !== ''
      continue
    }
    if (pendingSpace) {
      if (count + 1 >= SNIPPET_LENGTH) break
      out += ' '
      count++
      pendingSpace = false
    }
    out += ch
    count++
    if (count >= SNIPPET_LENGTH) break
  }
  return out
}
