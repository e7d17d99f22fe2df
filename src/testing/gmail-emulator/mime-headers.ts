/**
 * Header handling for the emulator's MIME parser: unfolding, RFC 2047 encoded words, 8-bit
 * UTF-8 headers (RFC 6532) and RFC 2231 parameters. Strings here hold raw bytes as latin1
 * (one char per byte) until decoded, so offsets found in them are byte offsets.
 */

/** A header as Gmail reports it: name as written, value unfolded and decoded. */
export interface MimeHeader {
  readonly name: string
  readonly value: string
}

/** A structured header value (`type/subtype; name=value`) with lowercase parameter names. */
export interface StructuredValue {
  readonly value: string
  readonly params: ReadonlyMap<string, string>
}

/** Decodes `bytes` in `charset`, falling back to UTF-8 for charsets Node does not know. */
export function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes)
  } catch {
    return new TextDecoder('utf-8').decode(bytes)
  }
}

/** A header field line: RFC 5322 field name (printable ASCII but the colon), then the colon. */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/

/**
 * Where the header block ends and the body starts, in a latin1 view of the bytes: at the blank
 * line, or, when there is none, at the first line that is neither a field nor a continuation
 * (RFC 5322), which is then the body's first line.
 */
export function splitHeaders(latin1: string): { readonly header: string; readonly bodyStart: number } {
  let pos = 0
  while (pos < latin1.length) {
    const newline = latin1.indexOf('\n', pos)
    const next = newline === -1 ? latin1.length : newline + 1
    let end = newline === -1 ? latin1.length : newline
    while (end > pos && latin1.charAt(end - 1) === '\r') end--
    const line = latin1.slice(pos, end)
    if (line === '') return { header: latin1.slice(0, pos).replace(/\r?\n$/, ''), bodyStart: next }
    const continuation = pos > 0 && (line.startsWith(' ') || line.startsWith('\t'))
    if (!continuation && !FIELD_LINE.test(line)) return { header: latin1.slice(0, pos).replace(/\r?\n$/, ''), bodyStart: pos }
    pos = next
  }
  return { header: latin1, bodyStart: latin1.length }
}

/** Unfolds a header block into raw (still encoded, latin1) name/value pairs, in order. */
export function parseRawHeaders(block: string): MimeHeader[] {
  const headers: MimeHeader[] = []
  let current: { name: string; value: string } | null = null
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current !== null) {
      // Unfolding removes the line break only; the leading whitespace stays (RFC 5322 2.2.3).
      current.value += line
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    current = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1) }
    headers.push(current)
  }
  return headers.map((h) => ({ name: h.name, value: h.value.trim() }))
}

/** Raw 8-bit header bytes are UTF-8 when they decode as such (RFC 6532), else latin1. */
function fromEightBit(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(latin1, 'latin1'))
  } catch {
    return latin1
  }
}

const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g

function decodeEncodedWord(charset: string, encoding: string, text: string): string {
  const bytes = encoding.toLowerCase() === 'b'
    ? Buffer.from(text, 'base64')
    : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_m, hex: string) =>
      String.fromCharCode(parseInt(hex, 16))), 'latin1')
  return decodeText(bytes, charset)
}

/** A header value for display: 8-bit UTF-8 and RFC 2047 encoded words decoded. */
export function decodeHeaderValue(raw: string): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 6.2).
  const joined = fromEightBit(raw).replace(/(\?=)\s+(?==\?)/g, '$1')
  return joined.replace(ENCODED_WORD, (_m, charset: string, encoding: string, text: string) =>
    decodeEncodedWord(charset, encoding, text))
}

function splitParams(value: string): string[] {
  const pieces: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i)
    if (c === '\\' && quoted) {
      current += c + value.charAt(i + 1)
      i++
    } else if (c === '"') {
      quoted = !quoted
      current += c
    } else if (c === ';' && !quoted) {
      pieces.push(current)
      current = ''
    } else {
      current += c
    }
  }
  pieces.push(current)
  return pieces.map((p) => p.trim())
}

function unquote(value: string): string {
  const v = value.trim()
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v
}

interface Segment { readonly index: number; readonly value: string; readonly encoded: boolean }

/** Joins RFC 2231 segments (`name*0*=utf-8''a%20`, `name*1=b`) into one decoded value. */
function joinSegments(segments: Segment[]): string {
  segments.sort((a, b) => a.index - b.index)
  let charset: string | undefined
  const bytes: number[] = []
  segments.forEach((segment, i) => {
    let text = segment.value
    if (segment.encoded && i === 0) {
      const parts = text.split("'")
      if (parts.length >= 3) {
        charset = parts[0] === '' ? undefined : parts[0]
        text = parts.slice(2).join("'")
      }
    }
    const decoded = segment.encoded ? text.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) =>
      String.fromCharCode(parseInt(hex, 16))) : text
    for (const ch of Buffer.from(decoded, 'latin1')) bytes.push(ch)
  })
  return decodeText(Uint8Array.from(bytes), charset)
}

/** Parses `value; name=value; ...` with RFC 2231 continuations and charsets. */
export function parseStructured(raw: string): StructuredValue {
  const [first = '', ...rest] = splitParams(raw)
  const plain = new Map<string, string>()
  const extended = new Map<string, Segment[]>()
  for (const piece of rest) {
    const eq = piece.indexOf('=')
    if (eq <= 0) continue
    const name = piece.slice(0, eq).trim().toLowerCase()
    const value = unquote(piece.slice(eq + 1))
    const match = /^([^*]+)\*(?:(\d+)(\*)?)?$/.exec(name)
    if (match === null) {
      plain.set(name, decodeHeaderValue(value))
      continue
    }
    const base = match[1] ?? name
    const segment = { index: match[2] === undefined ? 0 : Number(match[2]), value, encoded: match[2] === undefined || match[3] === '*' }
    extended.set(base, [...(extended.get(base) ?? []), segment])
  }
  for (const [name, segments] of extended) plain.set(name, joinSegments(segments))
  return { value: first.trim().toLowerCase(), params: plain }
}
