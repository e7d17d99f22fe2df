import { MAX_MIME_DEPTH } from './limits.js'
import { parseStructured } from './full-parts.js'
import { mimeTypeOf, stripComments } from './mime-type.js'

/*
 * The MIME structure of a raw message as byte ranges, found line by line the way postal-mime
 * walks it (delimiters checked against the open multiparts, innermost first), so the raw repair
 * sees the same parts postal-mime will. Two rules follow the RFCs where postal-mime does not:
 * a header ends at the first line that is not a header field (RFC 5322 §2.2, §3.5), and the line
 * break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), so every range is exact.
 */

/** One header field of a part: its bytes (folded lines and line break included) and value. */
export interface RawField {
  readonly start: number
  readonly end: number
  /** The field name, lower-cased. */
  readonly name: string
  /** The value unfolded and trimmed (UTF-8, as postal-mime reads header bytes); `''` for fields the repair does not read. */
  readonly value: string
}

/** One part of the message (the message itself is the root), as byte offsets into it. */
export interface RawPart {
  readonly start: number
  /** The fields of the header, in order; they cover `start` to `headerEnd`. */
  readonly fields: RawField[]
  headerEnd: number
  /** Where the body starts: after the blank line, or at the first line that is not a header. */
  bodyStart: number
  /** Whether a blank line ended the header (else the body, if any, follows it directly). */
  blankLine: boolean
  /** The end of the part, exclusive; the line break before the next delimiter is not in it. */
  end: number
  /** The `type/subtype` from the first Content-Type field, or `null` when it has none. */
  contentType: string | null
  /** The child parts of a multipart with a boundary; empty for any other part. */
  readonly children: RawPart[]
  readonly depth: number
}

const LF = 0x0a
const CR = 0x0d
const DASH = 0x2d
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/** RFC 5322 §3.6.8 field name (printable ASCII but the colon), with obsolete space before it. */
const FIELD = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/

interface OpenBoundary {
  readonly delimiter: Uint8Array
  readonly part: RawPart
}

class DepthError extends Error {}

function newPart(start: number, depth: number): RawPart {
  if (depth > MAX_MIME_DEPTH) throw new DepthError()
  return { start, fields: [], headerEnd: start, bodyStart: start, blankLine: false, end: start, contentType: null, children: [], depth }
}

/** The end of a line's content: before its LF and any CRs right before it (as postal-mime reads). */
function contentEnd(bytes: Uint8Array, start: number, newline: number): number {
  let end = newline
  while (end > start && bytes[end - 1] === CR) end--
  return end
}

/** Whether the line is `--boundary` or `--boundary--`, with only blanks after it. */
function delimiterKind(bytes: Uint8Array, start: number, end: number, delimiter: Uint8Array): 'next' | 'close' | null {
  if (end - start < delimiter.length + 2 || bytes[start] !== DASH || bytes[start + 1] !== DASH) return null
  for (let j = 0; j < delimiter.length; j++) if (bytes[start + 2 + j] !== delimiter[j]) return null
  let at = start + 2 + delimiter.length
  const close = at + 1 < end && bytes[at] === DASH && bytes[at + 1] === DASH
  if (close) at += 2
  for (; at < end; at++) if (bytes[at] !== 0x20 && bytes[at] !== 0x09) return null
  return close ? 'close' : 'next'
}

function endHeader(bytes: Uint8Array, part: RawPart, at: number, bodyStart: number, blankLine: boolean, open: OpenBoundary[]): void {
  readValues(part, bytes, at)
  part.headerEnd = at
  part.bodyStart = bodyStart
  part.blankLine = blankLine
  const field = part.fields.find((f) => f.name === 'content-type')
  part.contentType = field === undefined ? null : mimeTypeOf(field.value)
  if (part.contentType?.startsWith('multipart/') !== true || field === undefined) return
  const boundary = parseStructured(stripComments(field.value)).params.get('boundary') ?? ''
  if (boundary !== '') open.push({ delimiter: encoder.encode(boundary), part })
}

/** Header fields whose values the repair reads; others are kept as bytes only. */
const READ_FIELDS = new Set(['content-type', 'content-transfer-encoding', 'content-disposition'])

function addFieldLine(part: RawPart, bytes: Uint8Array, start: number, next: number, continuation: boolean): void {
  const last = part.fields.at(-1)
  if (continuation && last !== undefined) {
    part.fields[part.fields.length - 1] = { ...last, end: next }
    return
  }
  const head = decoder.decode(bytes.subarray(start, Math.min(next, start + 1000)))
  const name = head.slice(0, Math.max(0, head.indexOf(':'))).trim().toLowerCase()
  part.fields.push({ start, end: next, name, value: '' })
}

/**
 * Reads the values of the fields the repair needs, once the header is complete: decoding only
 * those keeps a header folded over 10,000 lines linear.
 */
function readValues(part: RawPart, bytes: Uint8Array, limit: number): void {
  for (const [i, field] of part.fields.entries()) {
    if (!READ_FIELDS.has(field.name)) continue
    const text = decoder.decode(bytes.subarray(field.start, Math.min(field.end, limit))).replace(/[\r\n]+/g, '')
    part.fields[i] = { ...field, value: text.slice(text.indexOf(':') + 1).trim() }
  }
}

/**
 * The MIME structure of a raw message, or `null` when it nests deeper than
 * {@link MAX_MIME_DEPTH} (postal-mime then refuses the message itself). Linear in the size of
 * the message: each line is read once and compared only with the open boundaries.
 *
 * @example
 * ```ts
 * const root = scanMime(bytes)
 * root?.children.map((part) => part.contentType) // ['text/plain', 'application/pdf']
 * ```
 */
export function scanMime(bytes: Uint8Array): RawPart | null {
  try {
    return scan(bytes)
  } catch (error) {
    if (error instanceof DepthError) return null
    throw error
  }
}

function scan(bytes: Uint8Array): RawPart {
  const root = newPart(0, 0)
  /** The open parts from the root down to the one receiving lines. */
  const path: RawPart[] = [root]
  const open: OpenBoundary[] = []
  /** Parts still reading their header; a part leaves it once, at its first non-header line. */
  const inHeader = new Set<RawPart>([root])
  let pos = 0
  while (pos < bytes.byteLength) {
    const found = bytes.indexOf(LF, pos)
    const newline = found === -1 ? bytes.byteLength : found
    const next = found === -1 ? bytes.byteLength : found + 1
    const end = contentEnd(bytes, pos, newline)
    let matched = false
    for (let i = open.length - 1; i >= 0 && !matched; i--) {
      const boundary = open[i]
      const kind = boundary === undefined ? null : delimiterKind(bytes, pos, end, boundary.delimiter)
      if (boundary === undefined || kind === null) continue
      matched = true
      const breakStart = pos > 0 && bytes[pos - 1] === LF ? (pos > 1 && bytes[pos - 2] === CR ? pos - 2 : pos - 1) : pos
      while (path.length > 0 && path.at(-1) !== boundary.part) closePart(bytes, path.pop(), breakStart, inHeader)
      open.length = kind === 'close' ? i : i + 1
      if (kind === 'next') {
        const child = newPart(next, boundary.part.depth + 1)
        boundary.part.children.push(child)
        path.push(child)
        inHeader.add(child)
      }
    }
    const current = path.at(-1)
    if (!matched && current !== undefined && inHeader.has(current)) {
      const first = current.fields.length === 0
      if (end === pos) {
        inHeader.delete(current)
        endHeader(bytes, current, pos, next, true, open)
      } else if (!first && (bytes[pos] === 0x20 || bytes[pos] === 0x09)) {
        addFieldLine(current, bytes, pos, next, true)
      } else if (
        FIELD.test(decoder.decode(bytes.subarray(pos, Math.min(end, pos + 1000)))) ||
        // An mbox separator line before the message's header is no body line.
        (first && current === root && decoder.decode(bytes.subarray(pos, Math.min(end, pos + 5))).startsWith('From '))
      ) {
        addFieldLine(current, bytes, pos, next, false)
      } else {
        inHeader.delete(current)
        endHeader(bytes, current, pos, pos, false, open)
        // The line is the body's first: read it again, now as a possible delimiter.
        continue
      }
    }
    pos = next
  }
  while (path.length > 0) closePart(bytes, path.pop(), bytes.byteLength, inHeader)
  return root
}

function closePart(bytes: Uint8Array, part: RawPart | undefined, at: number, inHeader: Set<RawPart>): void {
  if (part === undefined) return
  part.end = Math.max(part.start, at)
  if (inHeader.delete(part)) {
    readValues(part, bytes, part.end)
    const last = part.fields.at(-1)
    part.headerEnd = Math.min(part.end, last?.end ?? part.start)
    part.bodyStart = part.end
    const field = part.fields.find((f) => f.name === 'content-type')
    part.contentType = field === undefined ? null : mimeTypeOf(field.value)
  }
}
