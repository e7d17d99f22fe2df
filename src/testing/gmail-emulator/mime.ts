import { decodeHeaderValue, parseRawHeaders, parseStructured, splitHeaders } from './mime-headers.js'
import type { MimeHeader } from './mime-headers.js'

/** Deeper nesting is kept as an opaque leaf: real mail rarely nests past a handful of levels. */
const MAX_MIME_DEPTH = 32
/** A bound on parts per message, so a hostile message cannot make the tree explode. */
const MAX_MIME_PARTS = 2000

/** One node of a parsed message, numbered the way Gmail numbers `partId`s. */
export interface MimeNode {
  /** `''` for the message itself, `'0'`, `'1'` for its children, `'0.1'` below them. */
  readonly partId: string
  /** Lowercase `type/subtype`. */
  readonly mimeType: string
  /** From `Content-Disposition: filename`, else `Content-Type: name`; `''` when neither. */
  readonly filename: string
  /** The part's own headers, unfolded and decoded, in order. */
  readonly headers: readonly MimeHeader[]
  /** The transfer-decoded bytes of a leaf; empty for a multipart. */
  readonly body: Buffer
  /** The children of a multipart; empty for a leaf. */
  readonly children: readonly MimeNode[]
  /** The `charset` parameter, when given. */
  readonly charset: string | undefined
  /** Whether Gmail would treat this as an attachment (a filename or `Content-Disposition: attachment`). */
  readonly isAttachment: boolean
}

/** Blanks at the end of a line were added in transport and are no part of the data (RFC 2045 6.7). */
function dropTransportPadding(latin1: string): string {
  return latin1
    .split('\n')
    .map((line) => {
      const cr = line.endsWith('\r') ? 1 : 0
      let end = line.length - cr
      while (end > 0 && (line.charAt(end - 1) === ' ' || line.charAt(end - 1) === '\t')) end--
      return line.slice(0, end) + (cr === 1 ? '\r' : '')
    })
    .join('\n')
}

function decodeQuotedPrintable(latin1: string): Buffer {
  const text = dropTransportPadding(latin1).replace(/=\r?\n/g, '').replace(/=([0-9a-fA-F]{2})/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)))
  return Buffer.from(text, 'latin1')
}

function decodeTransfer(latin1: string, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(latin1.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(latin1)
  return Buffer.from(latin1, 'latin1')
}

/** The bodies of a multipart, as latin1 strings, or `null` when the boundary never appears. */
export function splitMultipart(latin1: string, boundary: string): string[] | null {
  const delimiter = `--${boundary}`
  const starts: { lineStart: number; contentStart: number; close: boolean }[] = []
  let from = 0
  for (;;) {
    const at = latin1.indexOf(delimiter, from)
    if (at === -1) break
    from = at + delimiter.length
    if (at !== 0 && latin1.charAt(at - 1) !== '\n') continue
    const close = latin1.startsWith('--', from)
    const eol = latin1.indexOf('\n', from)
    const rest = latin1.slice(close ? from + 2 : from, eol === -1 ? latin1.length : eol)
    if (rest.trim() !== '') continue
    // The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
    const lineStart = at >= 2 && latin1.charAt(at - 2) === '\r' ? at - 2 : at > 0 ? at - 1 : 0
    starts.push({ lineStart, contentStart: eol === -1 ? latin1.length : eol + 1, close })
    if (close) break
  }
  if (starts.length === 0) return null
  const parts: string[] = []
  for (let i = 0; i < starts.length - 1; i++) {
    const start = starts[i]
    const end = starts[i + 1]
    if (start === undefined || end === undefined || start.close) break
    parts.push(latin1.slice(start.contentStart, Math.max(start.contentStart, end.lineStart)))
  }
  const last = starts.at(-1)
  if (last !== undefined && !last.close) parts.push(latin1.slice(last.contentStart))
  return parts
}

interface ParseState { parts: number }

function parseNode(latin1: string, partId: string, depth: number, defaultType: string, state: ParseState): MimeNode {
  state.parts++
  const { header, bodyStart } = splitHeaders(latin1)
  const raw = parseRawHeaders(header)
  const headers = raw.map((h) => ({ name: h.name, value: decodeHeaderValue(h.value) }))
  const find = (name: string): string | undefined => raw.find((h) => h.name.toLowerCase() === name)?.value
  const type = parseStructured(find('content-type') ?? defaultType)
  const mimeType = /^[\w.+-]+\/[\w.+-]+$/.test(type.value) ? type.value : 'text/plain'
  const disposition = parseStructured(find('content-disposition') ?? '')
  const filename = disposition.params.get('filename') ?? type.params.get('name') ?? ''
  const charset = type.params.get('charset')
  const content = latin1.slice(bodyStart)
  const boundary = type.params.get('boundary')
  const base = { partId, mimeType, filename, headers, charset, isAttachment: filename !== '' || disposition.value === 'attachment' }
  const pieces = mimeType.startsWith('multipart/') && boundary !== undefined && depth < MAX_MIME_DEPTH
    ? splitMultipart(content, boundary)
    : null
  if (pieces !== null) {
    const childType = mimeType === 'multipart/digest' ? 'message/rfc822' : 'text/plain'
    const children: MimeNode[] = []
    for (const [i, piece] of pieces.entries()) {
      if (state.parts >= MAX_MIME_PARTS) break
      children.push(parseNode(piece, partId === '' ? String(i) : `${partId}.${i}`, depth + 1, childType, state))
    }
    return { ...base, body: Buffer.alloc(0), children }
  }
  const encoding = (find('content-transfer-encoding') ?? '7bit').trim().toLowerCase()
  return { ...base, body: decodeTransfer(content, encoding), children: [] }
}

/**
 * Parses an RFC 822 message into the MIME tree Gmail shows in `format=full`. Lenient like
 * Gmail: a multipart without its boundary becomes a leaf, unknown encodings pass through.
 */
export function parseMime(raw: Buffer): MimeNode {
  return parseNode(raw.toString('latin1'), '', 0, 'text/plain', { parts: 0 })
}

/** Every node of the tree, depth first. */
export function walkMime(node: MimeNode): MimeNode[] {
  return [node, ...node.children.flatMap(walkMime)]
}
