import { createHash } from 'node:crypto'
import type { ParsedAttachment, ParsedEmail, ParsedHeaders, ParseResult } from './parsed-email.js'
import { partiesOf } from './headers.js'
import type { NormalizedHeaders } from './headers.js'
import { internalDateToIso } from './date.js'
import { sanitizeEmailHtml } from './html.js'
import { htmlToText } from './html-text.js'
import { MAX_FILENAME_LENGTH, MAX_REASON_LENGTH } from './limits.js'
import { canonicalText, repairC1, snippetOf } from './text.js'

/*
 * The last step both readings share: from normalised headers and body parts to the canonical
 * ParsedEmail, so the rules for dates, synthetic ids, text fallback and sanitising exist once.
 */

/** Domain of synthetic Message-IDs; `.invalid` (RFC 2606) can never collide with a real one. */
export const SYNTHETIC_MESSAGE_ID_DOMAIN = 'synthetic.crm-email-integration.invalid'

/** What a reading of a message found, before the shared rules are applied. */
export interface EmailContent {
  readonly headers: NormalizedHeaders
  /** The text body as the source gave it, or `null`. */
  readonly text: string | null
  /** The HTML body as the source gave it (unsanitised), or `null`. */
  readonly html: string | null
  readonly attachments: readonly ParsedAttachment[]
  readonly sizeBytes: number | null
  /** Gmail's internalDate (ms since the epoch), the fallback when the Date header is unusable. */
  readonly internalDate: string | null | undefined
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

/**
 * The failure result of a parse, with a short reason that carries no message content: only
 * the parser's own error text, cut short and stripped of control characters.
 *
 * @example
 * ```ts
 * parseFailure('mime parse failed', new Error('Maximum MIME nesting depth of 50 levels exceeded'))
 * ```
 */
export function parseFailure(reason: string, cause?: unknown): { readonly ok: false; readonly reason: string } {
  const detail = cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : ': unknown error'
  // eslint-disable-next-line no-control-regex -- a reason is one line of log text
  const text = `${reason}${detail}`.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return { ok: false, reason: text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text }
}

/**
 * A deterministic Message-ID for a message that has none, built from what every copy of it
 * carries (From, Date header, Subject, To, text), so the same message in two mailboxes gets
 * the same id and is stored once.
 *
 * @example
 * ```ts
 * syntheticMessageId({ fromAddress: 'a@x.example', headerDate: null, subject: '', to: [], text: 'hi' })
 * // '3f1c...@synthetic.crm-email-integration.invalid'
 * ```
 */
export function syntheticMessageId(parts: {
  fromAddress: string | null
  headerDate: string | null
  subject: string
  to: readonly string[]
  text: string | null
}): string {
  const key = JSON.stringify([parts.fromAddress ?? '', parts.headerDate ?? '', parts.subject, parts.to, parts.text ?? ''])
  return `${sha256Hex(key)}@${SYNTHETIC_MESSAGE_ID_DOMAIN}`
}

/**
 * Tells apart two different messages that share a Message-ID (a broken mailer, a resend) while
 * giving every copy of one message the same value: sha256 hex of the From address and the Date
 * header, or, when the Date header is unusable, of the From address, the subject and a hash of
 * the text. Gmail's internalDate is never used, since it differs between mailboxes.
 *
 * @example
 * ```ts
 * fingerprintOf(email) === fingerprintOf(sameMessageFromAnotherMailbox) // true
 * ```
 */
export function fingerprintOf(email: ParsedEmail): string {
  return fingerprintOfHeaders(email) ?? sha256Hex(`${email.from?.address ?? ''}\n${email.subject}\n${sha256Hex(email.text ?? '')}`)
}

/**
 * The fingerprint an email will have, from its headers alone, when they decide it (a readable
 * Date header); `null` when the body is needed. Lets the pipeline recognise a message another
 * mailbox already stored without downloading its content again.
 *
 * @example
 * ```ts
 * const fp = fingerprintOfHeaders(headers) // equals fingerprintOf(email) when not null
 * ```
 */
export function fingerprintOfHeaders(headers: Pick<ParsedHeaders, 'from' | 'headerDate'>): string | null {
  if (headers.headerDate === null) return null
  return sha256Hex(`${headers.from?.address ?? ''}\n${headers.headerDate}`)
}

/** A file name as metadata: control characters (NUL included) removed, absurd lengths cut. */
function cleanFilename(name: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex -- control characters have no place in a name
  const clean = repairC1((name ?? '').replace(/[\u0000-\u001f\u007f]+/g, '')).trim()
  if (clean.length <= MAX_FILENAME_LENGTH) return clean
  // Keep the extension: it is what tells a reader what the file is.
  const extension = /\.[^.\s]{1,16}$/.exec(clean)?.[0] ?? ''
  return clean.slice(0, MAX_FILENAME_LENGTH - extension.length) + extension
}

function cleanContentId(value: string | null | undefined): string | null {
  const trimmed = (value ?? '').replace(/\0/g, '').trim()
  const id = (/^<([^>]*)>$/.exec(trimmed)?.[1] ?? trimmed).trim()
  return id === '' ? null : id
}

/**
 * An attachment with the shared clean-ups applied: file name, MIME type (lower-case,
 * `application/octet-stream` when missing) and Content-ID without brackets.
 *
 * @example
 * ```ts
 * makeAttachment({ filename: '../x.pdf', mimeType: 'Application/PDF', size: 3, contentId: null, inline: false, content: null })
 * ```
 */
export function makeAttachment(a: {
  filename: string | null | undefined
  mimeType: string | null | undefined
  size: number
  contentId: string | null | undefined
  inline: boolean
  content: Uint8Array | null
  gmailAttachmentId?: string | null | undefined
  partId?: string | null | undefined
}): ParsedAttachment {
  // eslint-disable-next-line no-control-regex -- control characters (NUL above all: PostgreSQL text refuses it) are no part of a type
  const mimeType = (a.mimeType ?? '').replace(/[\u0000-\u001f\u007f]+/g, '').trim().toLowerCase()
  return {
    filename: cleanFilename(a.filename),
    mimeType: mimeType === '' ? 'application/octet-stream' : mimeType,
    size: a.size,
    contentId: cleanContentId(a.contentId),
    inline: a.inline,
    content: a.content,
    gmailAttachmentId: a.gmailAttachmentId ?? null,
    partId: a.partId ?? null,
  }
}

/**
 * Applies the shared rules to what a reading found: the HTML is sanitised, the text falls back
 * to the HTML's text, the date to internalDate, a missing Message-ID becomes a synthetic one.
 * Fails only when the message has no usable date at all.
 *
 * @example
 * ```ts
 * const result = assembleEmail({ headers, text, html, attachments, sizeBytes, internalDate })
 * ```
 */
export function assembleEmail(content: EmailContent): ParseResult<ParsedEmail> {
  const h = content.headers
  const date = h.headerDate ?? internalDateToIso(content.internalDate)
  if (date === null) return parseFailure('no readable Date header and no internalDate')
  const html = content.html === null ? null : repairC1(content.html)
  const sanitized = html === null ? '' : sanitizeEmailHtml(html).trim()
  const text = canonicalText(content.text) ?? (html === null ? null : canonicalText(htmlToText(html)))
  const messageId =
    h.messageId ??
    syntheticMessageId({
      fromAddress: h.from?.address ?? null,
      headerDate: h.headerDate,
      subject: h.subject,
      to: h.to.map((a) => a.address),
      text,
    })
  return {
    ok: true,
    value: {
      messageId,
      messageIdSynthetic: h.messageId === null,
      inReplyTo: h.inReplyTo,
      references: h.references,
      date,
      headerDate: h.headerDate,
      ...partiesOf(h),
      subject: h.subject,
      text,
      html: sanitized === '' ? null : sanitized,
      snippet: snippetOf(text),
      attachments: content.attachments,
      sizeBytes: content.sizeBytes,
    },
  }
}
