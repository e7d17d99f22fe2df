import type { GmailMessagePart, GmailMessagePartBody } from '../../gmail/types.js'
import { decodeText } from './mime-headers.js'
import { walkMime } from './mime.js'
import type { MimeNode } from './mime.js'

/** Gmail's snippets are about this many characters of the message's text. */
const SNIPPET_MAX_CHARS = 200

/** `format=full`: the MIME tree with bodies inlined or given as an `attachmentId`. */
export function fullPayload(node: MimeNode, attachmentIdOf: (partId: string) => string, inlineLimit: number): GmailMessagePart {
  const size = node.body.length
  let body: GmailMessagePartBody
  if (node.children.length > 0 || node.mimeType.startsWith('multipart/')) body = { size: 0 }
  else if (node.isAttachment || size > inlineLimit) body = { attachmentId: attachmentIdOf(node.partId), size }
  else if (size === 0) body = { size: 0 }
  else body = { size, data: node.body.toString('base64url') }
  const part: GmailMessagePart = {
    partId: node.partId,
    mimeType: node.mimeType,
    filename: node.filename,
    headers: node.headers,
    body,
  }
  if (node.children.length === 0) return part
  return { ...part, parts: node.children.map((child) => fullPayload(child, attachmentIdOf, inlineLimit)) }
}

/**
 * `format=metadata`: the top part's type and headers only, filtered to `wanted` (matched
 * case-insensitively, kept in message order) when any are given.
 */
export function metadataPayload(node: MimeNode, wanted: readonly string[]): GmailMessagePart {
  const names = new Set(wanted.map((name) => name.toLowerCase()))
  const headers = names.size === 0 ? node.headers : node.headers.filter((h) => names.has(h.name.toLowerCase()))
  return { mimeType: node.mimeType, headers }
}

/** The leaves that carry the body of attachments whose content Gmail lets you fetch. */
export function attachmentParts(root: MimeNode, inlineLimit: number): MimeNode[] {
  return walkMime(root).filter((n) => n.children.length === 0 && !n.mimeType.startsWith('multipart/') &&
    (n.isAttachment || n.body.length > inlineLimit))
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/**
 * The text of an HTML body: scripts, styles and tags dropped, entities decoded.
 *
 * @example
 * ```ts
 * htmlToText('<p>Fish &amp; chips</p>') // ' Fish & chips '
 * ```
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, name: string) => {
      if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16))
      if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10))
      return ENTITIES[name.toLowerCase()] ?? match
    })
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}

/**
 * The snippet: the start of the first text/plain body (else the text of the first text/html
 * one), whitespace collapsed, cut at {@link SNIPPET_MAX_CHARS} characters and HTML-escaped
 * the way Gmail escapes it (`&#39;`, `&amp;`, ...).
 */
export function snippetOf(root: MimeNode): string {
  const leaves = walkMime(root).filter((n) => n.children.length === 0 && !n.isAttachment)
  const plain = leaves.find((n) => n.mimeType === 'text/plain')
  const html = leaves.find((n) => n.mimeType === 'text/html')
  let text = ''
  if (plain !== undefined) text = decodeText(plain.body, plain.charset)
  else if (html !== undefined) text = htmlToText(decodeText(html.body, html.charset))
  const collapsed = text.replace(/\s+/g, ' ').trim()
  return escapeHtml(Array.from(collapsed).slice(0, SNIPPET_MAX_CHARS).join('').trimEnd())
}
