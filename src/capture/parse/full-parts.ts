import { Buffer } from 'node:buffer'
import type { GmailMessagePart } from '../../gmail/types.js'
import { safeDecodeWords, unfoldHeaderValue } from './headers.js'
import { mimeTypeOf } from './mime-type.js'
import { decodeCharset } from './text.js'

/*
 * Reading one node of a Gmail `full` part tree: its MIME headers, and its body bytes. Gmail
 * has already undone the transfer encoding; the bytes are still in the part's charset.
 */

/** A structured header such as Content-Type: the value lower-cased and its parameters. */
export interface StructuredValue {
  readonly value: string
  readonly params: ReadonlyMap<string, string>
}

/** What the walker needs to know about a part. */
export interface PartInfo {
  readonly mimeType: string
  readonly contentType: StructuredValue
  /** Content-Disposition value (`inline`, `attachment`, ...) or `''`. */
  readonly disposition: string
  readonly contentId: string | null
  /** The decoded file name, or `''`. */
  readonly filename: string
}

/**
 * The first occurrence of a header of a part, unfolded; the first wins, as in postal-mime,
 * so a duplicated Content-Type cannot make the two readings disagree.
 *
 * @example
 * ```ts
 * partHeader(part, 'content-type') // 'text/plain; charset=utf-8'
 * ```
 */
export function partHeader(part: GmailMessagePart, name: string): string | null {
  const header = part.headers?.find((h) => h.name.trim().toLowerCase() === name)
  return header === undefined ? null : unfoldHeaderValue(header.value)
}

/** Splits on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const pieces: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i)
    if (quoted && ch === '\\' && i + 1 < value.length) {
      current += value.charAt(++i)
      continue
    }
    if (ch === '"') quoted = !quoted
    else if (ch === ';' && !quoted) {
      pieces.push(current)
      current = ''
    } else current += ch
  }
  pieces.push(current)
  return pieces
}

const encoder = new TextEncoder()

function percentDecode(value: string, charset: string): string {
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    const hex = value.charAt(i) === '%' ? value.slice(i + 1, i + 3) : ''
    if (/^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(...encoder.encode(value.charAt(i)))
  }
  return decodeCharset(new Uint8Array(bytes), charset)
}

/**
 * Parses a structured header value (`text/plain; charset="utf-8"`), including RFC 2231
 * parameter continuations and charset-encoded values (`filename*=UTF-8''na%C3%AFve.txt`).
 *
 * @example
 * ```ts
 * parseStructured('text/plain; charset="UTF-8"').params.get('charset') // 'UTF-8'
 * ```
 */
export function parseStructured(header: string | null): StructuredValue {
  const [head = '', ...rest] = splitParams(header ?? '')
  const params = new Map<string, string>()
  const continued = new Map<string, { index: number; value: string; encoded: boolean }[]>()
  for (const piece of rest) {
    const eq = piece.indexOf('=')
    if (eq < 0) continue
    const name = piece.slice(0, eq).trim().toLowerCase()
    const value = piece.slice(eq + 1).trim()
    const section = /^([^*]+)\*(?:(\d+)\*?)?$/.exec(name)
    if (section?.[1] === undefined) {
      if (!params.has(name)) params.set(name, value)
      continue
    }
    const list = continued.get(section[1]) ?? []
    list.push({ index: Number(section[2] ?? 0), value, encoded: name.endsWith('*') })
    continued.set(section[1], list)
  }
  for (const [name, sections] of continued) {
    sections.sort((a, b) => a.index - b.index)
    const charsetMatch = sections[0]?.encoded === true ? /^([^']*)'[^']*'(.*)$/.exec(sections[0].value) : null
    const charset = charsetMatch?.[1] ?? 'utf-8'
    const joined = sections
      .map((s, i) => {
        const raw = i === 0 && charsetMatch ? (charsetMatch[2] ?? '') : s.value
        return s.encoded ? percentDecode(raw, charset === '' ? 'utf-8' : charset) : raw
      })
      .join('')
    params.set(name, joined)
  }
  return { value: head.trim().toLowerCase(), params }
}

/**
 * The facts about a part the walker needs, from its own headers first (as postal-mime reads
 * them) and Gmail's `mimeType` and `filename` second. `defaultType` is what a part without a
 * Content-Type is (`text/plain`, or `message/rfc822` inside a multipart/digest); a part whose
 * Content-Type is not `type/subtype` is `text/plain`.
 *
 * @example
 * ```ts
 * partInfo(part, 'text/plain').mimeType // 'image/png'
 * ```
 */
export function partInfo(part: GmailMessagePart, defaultType: string): PartInfo {
  const header = partHeader(part, 'content-type')
  const disposition = parseStructured(partHeader(part, 'content-disposition'))
  const declared = header === null ? null : mimeTypeOf(header)
  const parsed = parseStructured(header)
  // An invalid Content-Type (`text`, empty, junk) is text/plain (RFC 2045 §5.2), keeping the
  // charset it names: the same rule the raw reading applies before postal-mime.
  const charset = parsed.params.get('charset')
  const contentType =
    header !== null && declared === null
      ? { value: 'text/plain', params: new Map(charset === undefined ? [] : [['charset', charset]]) }
      : parsed
  const mimeType =
    header === null ? (part.mimeType ?? '').trim().toLowerCase() || defaultType : (declared ?? 'text/plain')
  const named = part.filename ?? ''
  const filename =
    named !== '' ? named : (disposition.params.get('filename') ?? contentType.params.get('name') ?? '')
  return {
    mimeType,
    contentType,
    disposition: disposition.value,
    contentId: partHeader(part, 'content-id'),
    filename: safeDecodeWords(filename),
  }
}

/**
 * The bytes of a part's inline body (`body.data`, base64url), or `null` when Gmail sent an
 * attachment id instead.
 *
 * @example
 * ```ts
 * partBytes({ body: { size: 2, data: 'aGk' } }) // Uint8Array [0x68, 0x69]
 * ```
 */
export function partBytes(part: GmailMessagePart): Uint8Array | null {
  const data = part.body?.data
  if (data === undefined) return part.body?.attachmentId === undefined ? new Uint8Array(0) : null
  // Buffer's base64url decoder also accepts standard base64 and padding, and skips junk
  // rather than throwing, so a malformed body degrades instead of failing the message.
  const buffer = Buffer.from(data, 'base64url')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
