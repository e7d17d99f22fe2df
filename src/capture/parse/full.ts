import type { GmailMessage, GmailMessagePart } from '../../gmail/types.js'
import type { ParsedAttachment, ParsedEmail, ParsedHeaders, ParseResult } from './parsed-email.js'
import { assembleEmail, makeAttachment, parseFailure } from './assemble.js'
import { partBytes, partInfo, type PartInfo } from './full-parts.js'
import { hasMessageHeaders, normalizeHeaders, toHeaderFields, toParsedHeaders } from './headers.js'
import { htmlToText } from './html-text.js'
import { MAX_MIME_DEPTH, MAX_RFC822_DEPTH } from './limits.js'
import { decodeCharset, decodeFlowed } from './text.js'

/*
 * Reads a Gmail `format=full` part tree the way postal-mime reads the same message raw, so both
 * give one canonical email: the same rules decide what is body text (text/plain and text/html
 * not marked as attachments, one representation per multipart/alternative), what is inline
 * (disposition inline, or a related part with a Content-ID), and when a nested message is read
 * inline. Two differences remain, both documented on parseFullMessage.
 */

type TextType = 'plain' | 'html'

interface WalkState {
  /** Text parts by the node that selects them (the enclosing alternative, or the part itself). */
  readonly texts: Map<GmailMessagePart, Partial<Record<TextType, string[]>>>
  readonly types: Set<TextType>
  readonly attachments: ParsedAttachment[]
  readonly rfc822AsAttachments: boolean
}

class DepthError extends Error {}

/** postal-mime keeps every nested message of a delivery or feedback report as an attachment. */
function hasReportParts(part: GmailMessagePart, depth: number): boolean {
  if (depth > MAX_MIME_DEPTH) return false
  const type = (part.mimeType ?? '').toLowerCase()
  if (type === 'message/delivery-status' || type === 'message/feedback-report') return true
  return (part.parts ?? []).some((child) => hasReportParts(child, depth + 1))
}

function addText(state: WalkState, selector: GmailMessagePart, type: TextType, text: string): void {
  const entry = state.texts.get(selector) ?? {}
  const list = entry[type] ?? []
  list.push(text)
  entry[type] = list
  state.texts.set(selector, entry)
  state.types.add(type)
}

function readText(info: PartInfo, bytes: Uint8Array): string {
  const text = decodeCharset(bytes, info.contentType.params.get('charset'))
  const format = info.contentType.params.get('format') ?? ''
  return /^flowed$/i.test(format) ? decodeFlowed(text, /^yes$/i.test(info.contentType.params.get('delsp') ?? '')) : text
}

function addAttachment(state: WalkState, part: GmailMessagePart, info: PartInfo, related: boolean): void {
  let content = partBytes(part)
  // postal-mime hands calendar parts over as UTF-8 text ending in one newline; do the same so
  // both readings store the same invite.
  if (content !== null && (info.mimeType === 'text/calendar' || info.mimeType === 'application/ics')) {
    const text = decodeCharset(content, info.contentType.params.get('charset')).replace(/\r?\n/g, '\n')
    // Counted, not `/\n+$/`, which is quadratic on a long run of newlines inside the text.
    let end = text.length
    while (end > 0 && text[end - 1] === '\n') end--
    content = new TextEncoder().encode(`${text.slice(0, end)}\n`)
  }
  state.attachments.push(
    makeAttachment({
      filename: info.filename,
      mimeType: info.mimeType,
      size: content?.byteLength ?? part.body?.size ?? 0,
      contentId: info.contentId,
      inline: info.disposition === 'inline' || (related && info.contentId !== null),
      content,
      gmailAttachmentId: part.body?.attachmentId ?? null,
      partId: part.partId ?? null,
    }),
  )
}

function walk(
  state: WalkState,
  part: GmailMessagePart,
  ctx: { alternative: GmailMessagePart | null; related: boolean; depth: number; rfc822Depth: number; digest: boolean },
): void {
  if (ctx.depth > MAX_MIME_DEPTH) throw new DepthError(`Maximum MIME nesting depth of ${MAX_MIME_DEPTH} levels exceeded`)
  const info = partInfo(part, ctx.digest ? 'message/rfc822' : 'text/plain')
  const children = part.parts ?? []
  if (info.mimeType.startsWith('multipart/')) {
    const subtype = info.mimeType.slice('multipart/'.length)
    const next = {
      alternative: subtype === 'alternative' ? part : ctx.alternative,
      related: ctx.related || subtype === 'related',
      depth: ctx.depth + 1,
      rfc822Depth: ctx.rfc822Depth,
      digest: subtype === 'digest',
    }
    for (const child of children) walk(state, child, next)
    return
  }
  const inlineMessage =
    info.mimeType === 'message/rfc822' && !state.rfc822AsAttachments && (info.disposition || 'inline') === 'inline'
  if (inlineMessage && ctx.rfc822Depth < MAX_RFC822_DEPTH && children.length > 0) {
    const next = { alternative: null, related: false, depth: ctx.depth + 1, rfc822Depth: ctx.rfc822Depth + 1, digest: false }
    for (const child of children) walk(state, child, next)
    return
  }
  const bytes = partBytes(part)
  const textType: TextType | null =
    info.mimeType === 'text/html' ? 'html' : info.mimeType === 'text/plain' ? 'plain' : null
  if (textType !== null && info.disposition !== 'attachment' && bytes !== null) {
    addText(state, ctx.alternative ?? part, textType, readText(info, bytes))
    return
  }
  addAttachment(state, part, info, ctx.related && !inlineMessage)
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Joins the text parts as postal-mime does: per selector, its own type or the other converted. */
function render(state: WalkState, type: TextType): string | null {
  if (!state.types.has(type)) return null
  const other: TextType = type === 'html' ? 'plain' : 'html'
  const out: string[] = []
  for (const entry of state.texts.values()) {
    const own = entry[type]
    if (own !== undefined) out.push(...own)
    else
      for (const text of entry[other] ?? []) {
        out.push(type === 'plain' ? htmlToText(text) : `<div>${escapeHtml(text).replace(/\n/g, '<br />')}</div>`)
      }
  }
  return out.join('\n')
}

/**
 * Parses a Gmail `format=full` message (the MIME part tree, used for messages too large to
 * fetch raw) into the canonical email. Headers, ids, date, participants, text and sanitising
 * follow exactly the rules of {@link parseRawMessage}. Attachments carry `content: null` and a
 * `gmailAttachmentId` when Gmail left their bytes out, else their bytes; `partId` and, for
 * fetched-later parts, Gmail's `body.size` are kept. `sizeBytes` is Gmail's sizeEstimate.
 *
 * Differences from the raw reading: an inline nested message contributes its text without
 * postal-mime's header block, and a text part that Gmail sends by attachment id (no inline
 * data) becomes an attachment, since its text is not in the tree. Never throws.
 *
 * @example
 * ```ts
 * const result = parseFullMessage(await gmail.getMessage(id, 'full'))
 * if (result.ok) for (const a of result.value.attachments) if (a.content === null) queue(a.gmailAttachmentId)
 * ```
 */
export function parseFullMessage(message: GmailMessage): ParseResult<ParsedEmail> {
  try {
    const payload = message.payload
    if (payload?.headers === undefined) return parseFailure('message has no payload headers (format=full expected)')
    const fields = toHeaderFields(payload.headers)
    if (!hasMessageHeaders(fields)) return parseFailure('no message header fields (not an email)')
    const state: WalkState = {
      texts: new Map(),
      types: new Set(),
      attachments: [],
      rfc822AsAttachments: hasReportParts(payload, 0),
    }
    walk(state, payload, { alternative: null, related: false, depth: 0, rfc822Depth: 0, digest: false })
    return assembleEmail({
      headers: normalizeHeaders(fields),
      text: render(state, 'plain'),
      html: render(state, 'html'),
      attachments: state.attachments,
      sizeBytes: message.sizeEstimate ?? null,
      internalDate: message.internalDate,
    })
  } catch (error) {
    return parseFailure(error instanceof DepthError ? 'mime parse failed' : 'parse failed', error)
  }
}

/**
 * Reads the headers of a `format=metadata` message (or any format with `payload.headers`),
 * to decide whether its content is worth fetching. Same rules as the full parse; no synthetic
 * Message-ID (`messageId` is `null` when the header is missing). Never throws.
 *
 * @example
 * ```ts
 * const headers = parseMetadataHeaders(await gmail.getMessage(id, 'metadata'))
 * if (headers.ok && matches(headers.value)) await fetchContent(id)
 * ```
 */
export function parseMetadataHeaders(message: GmailMessage): ParseResult<ParsedHeaders> {
  try {
    const headers = message.payload?.headers
    if (headers === undefined) return parseFailure('message has no payload headers (format=metadata expected)')
    return { ok: true, value: toParsedHeaders(normalizeHeaders(toHeaderFields(headers))) }
  } catch (error) {
    return parseFailure('parse failed', error)
  }
}
