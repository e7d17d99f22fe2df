import { MAX_RFC822_DEPTH } from './limits.js'
import { parseStructured } from './full-parts.js'
import { scanMime, type RawField, type RawPart } from './raw-scan.js'
import { stripComments, transferEncodingOf } from './mime-type.js'
import { base64Body, decodeQuotedPrintable } from './transfer.js'

/*
 * Rewrites a raw message, before postal-mime reads it, where postal-mime would lose text or
 * alter bytes; a message that needs none of it is handed back as it came.
 *
 * - A Content-Type that is not `type/subtype` becomes `text/plain` (RFC 2045 §5.2), keeping a
 *   charset it names, so the part is read as text instead of becoming a nameless attachment.
 * - A header with no blank line after it gets one before its first non-header line (RFC 5322),
 *   so that line and the rest of the body are not read as header fields.
 * - An attachment sent 7bit, 8bit, binary, quoted-printable or without an encoding is
 *   re-encoded as base64 of its exact bytes: postal-mime reads such bodies line by line and
 *   hands back LF for every CRLF plus a newline that belongs to the next boundary (RFC 2046
 *   §5.1.1), so the file's sha256 would no longer be the sender's.
 * - A message/rfc822 part that postal-mime reads inline is repaired the same way, inside.
 *
 * Text and HTML body parts keep their bytes: their line endings do not survive canonical text
 * anyway, and postal-mime's reading of them is what both readings agree on.
 */

const CRLF = new Uint8Array([0x0d, 0x0a])
const encoder = new TextEncoder()

/** The part types postal-mime reads as the body when not marked as attachments. */
const BODY_TEXT = new Set(['text/plain', 'text/html'])
/** A nested message inside one of these is evidence, kept as an attachment (as postal-mime does). */
const REPORT_TYPES = new Set(['message/delivery-status', 'message/feedback-report'])

interface MessageContext {
  readonly bytes: Uint8Array
  /** Nested messages are attachments here (the message is a delivery or feedback report). */
  readonly reportParts: boolean
  /** How deep inside inline-read nested messages this message is. */
  readonly rfc822Depth: number
}

function firstField(part: RawPart, name: string): RawField | undefined {
  return part.fields.find((f) => f.name === name)
}

/** The type postal-mime will give a leaf part, once its Content-Type is repaired. */
function effectiveType(part: RawPart, parentType: string | null): string {
  if (firstField(part, 'content-type') !== undefined) return part.contentType ?? 'text/plain'
  return parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain'
}

function hasReportParts(part: RawPart, parentType: string | null): boolean {
  if (part.children.length > 0) return part.children.some((child) => hasReportParts(child, part.contentType))
  return REPORT_TYPES.has(effectiveType(part, parentType))
}

/** A Content-Type field for a part whose own was invalid: text/plain, and its charset if any. */
function repairedContentType(field: RawField): string {
  const charset = parseStructured(stripComments(field.value)).params.get('charset')
  const safe = charset !== undefined && /^[\w.:+-]+$/.test(charset) ? `; charset=${charset}` : ''
  return `Content-Type: text/plain${safe}\r\n`
}

interface HeaderEdit {
  /** Replacement lines per field (an empty string drops the field). */
  readonly replace: Map<RawField, string>
  readonly append: string[]
}

/** The part's header with its edits, always ending in a line break, plus the blank line. */
function rebuildHeader(bytes: Uint8Array, part: RawPart, edit: HeaderEdit, hasBody: boolean): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const field of part.fields) {
    const replacement = edit.replace.get(field)
    if (replacement !== undefined) {
      if (replacement !== '') out.push(encoder.encode(replacement))
      continue
    }
    const end = Math.min(field.end, part.end)
    out.push(bytes.subarray(field.start, end))
    if (bytes[end - 1] !== 0x0a) out.push(CRLF)
  }
  for (const line of edit.append) out.push(encoder.encode(line))
  if (hasBody) out.push(CRLF)
  return out
}

/** The repaired bytes of a part, or `null` when it needs no change. */
function repairPart(ctx: MessageContext, part: RawPart, parentType: string | null): Uint8Array[] | null {
  const { bytes } = ctx
  const bodyStart = Math.min(part.bodyStart, part.end)
  const hasBody = bodyStart < part.end
  const edit: HeaderEdit = { replace: new Map(), append: [] }
  const contentTypeField = firstField(part, 'content-type')
  if (contentTypeField !== undefined && part.contentType === null) {
    edit.replace.set(contentTypeField, repairedContentType(contentTypeField))
  }
  let body: Uint8Array[] | null = null
  if (part.contentType?.startsWith('multipart/') === true) {
    body = repairChildren(ctx, part)
  } else {
    body = repairLeaf(ctx, part, parentType, edit)
  }
  const headerChanged = edit.replace.size > 0 || edit.append.length > 0 || (hasBody && !part.blankLine)
  if (!headerChanged && body === null) return null
  const header = headerChanged ? rebuildHeader(bytes, part, edit, hasBody) : [bytes.subarray(part.start, bodyStart)]
  return [...header, ...(body ?? [bytes.subarray(bodyStart, part.end)])]
}

function repairChildren(ctx: MessageContext, part: RawPart): Uint8Array[] | null {
  let at = Math.min(part.bodyStart, part.end)
  let changed = false
  const out: Uint8Array[] = []
  for (const child of part.children) {
    const repaired = repairPart(ctx, child, part.contentType)
    if (repaired === null) continue
    changed = true
    out.push(ctx.bytes.subarray(at, child.start), ...repaired)
    at = child.end
  }
  if (!changed) return null
  out.push(ctx.bytes.subarray(at, part.end))
  return out
}

function repairLeaf(ctx: MessageContext, part: RawPart, parentType: string | null, edit: HeaderEdit): Uint8Array[] | null {
  const type = effectiveType(part, parentType)
  const disposition = parseStructured(stripComments(firstField(part, 'content-disposition')?.value ?? '')).value
  if (BODY_TEXT.has(type) && disposition !== 'attachment') return null
  const encodingField = firstField(part, 'content-transfer-encoding')
  const encoding = transferEncodingOf(encodingField?.value ?? null)
  if (encoding === 'base64') return null
  const raw = ctx.bytes.subarray(Math.min(part.bodyStart, part.end), part.end)
  const content = encoding === 'quoted-printable' ? decodeQuotedPrintable(raw) : raw
  const inlineMessage =
    type === 'message/rfc822' && !ctx.reportParts && (disposition || 'inline') === 'inline' && ctx.rfc822Depth < MAX_RFC822_DEPTH
  if (inlineMessage) {
    // postal-mime parses it as a message of its own; only a repair inside is worth a change.
    const inner = repairMessageAt(content, ctx.rfc822Depth + 1)
    if (inner === content) return null
    return encodeBase64(part, edit, inner)
  }
  return encodeBase64(part, edit, content)
}

function encodeBase64(part: RawPart, edit: HeaderEdit, content: Uint8Array): Uint8Array[] {
  for (const field of part.fields) if (field.name === 'content-transfer-encoding') edit.replace.set(field, '')
  edit.append.push('Content-Transfer-Encoding: base64\r\n')
  return [base64Body(content)]
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

function repairMessageAt(bytes: Uint8Array, rfc822Depth: number): Uint8Array {
  const root = scanMime(bytes)
  if (root === null) return bytes
  const ctx: MessageContext = { bytes, reportParts: hasReportParts(root, null), rfc822Depth }
  const repaired = repairPart(ctx, root, null)
  return repaired === null ? bytes : concat([...repaired, bytes.subarray(root.end)])
}

/**
 * The raw message as postal-mime must see it to read what the sender sent (see the rules at
 * the top of this file); the same array when nothing needed repair.
 *
 * @example
 * ```ts
 * const email = await PostalMime.parse(repairRawMessage(bytes))
 * ```
 */
export function repairRawMessage(bytes: Uint8Array): Uint8Array {
  return repairMessageAt(bytes, 0)
}
