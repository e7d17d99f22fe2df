import { decodeWords } from 'postal-mime'
import type { ParsedHeaders, ParsedParties } from './parsed-email.js'
import { parseAddressList, parseMailbox } from './addresses.js'
import { parseDateHeader } from './date.js'
import { parseMessageId, parseMessageIdList } from './ids.js'
import { repairC1 } from './text.js'

/*
 * The one place header fields become canonical values. Both readings of a message end here:
 * postal-mime's header list for `raw`, and Gmail's `payload.headers` for `full` and `metadata`,
 * so the same message gives the same Message-ID, date and participants either way.
 */

/** A header field: the name lower-cased, the value unfolded. */
export interface HeaderField {
  readonly key: string
  readonly value: string
}

/** Everything the pipeline reads from a message's top-level header fields. */
export interface NormalizedHeaders extends ParsedHeaders {
  readonly inReplyTo: string | null
  readonly references: readonly string[]
}

/** Header names whose presence tells a message from arbitrary bytes. */
const MESSAGE_HEADERS = new Set(['from', 'sender', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'received'])

/**
 * Unfolds a header value the way postal-mime does: a line break followed by a space or tab is
 * removed (the whitespace stays), any other line break becomes a space, and surrounding blanks
 * are trimmed. Gmail's header values may or may not arrive unfolded; this is safe on both.
 *
 * @example
 * ```ts
 * unfoldHeaderValue(' <a@x>\r\n <b@x>') // '<a@x> <b@x>'
 * ```
 */
export function unfoldHeaderValue(value: string): string {
  const unfolded = value.replace(/\r?\n(?=[ \t])/g, '').replace(/[\r\n]+/g, ' ')
  // An index scan: `/[ \t]+$/` retries at every blank of an inner run and is quadratic on it.
  let start = 0
  let end = unfolded.length
  while (start < end && (unfolded[start] === ' ' || unfolded[start] === '\t')) start++
  while (end > start && (unfolded[end - 1] === ' ' || unfolded[end - 1] === '\t')) end--
  return unfolded.slice(start, end)
}

/**
 * Header fields from `{ name, value }` pairs (Gmail's shape), names lower-cased and values
 * unfolded.
 *
 * @example
 * ```ts
 * toHeaderFields([{ name: 'Subject', value: 'Hi' }]) // [{ key: 'subject', value: 'Hi' }]
 * ```
 */
export function toHeaderFields(headers: readonly { readonly name: string; readonly value: string }[]): HeaderField[] {
  return headers.map((h) => ({ key: h.name.trim().toLowerCase(), value: unfoldHeaderValue(h.value) }))
}

/**
 * Whether the fields include at least one that every email has some of (From, To, Subject,
 * Date, Message-ID, ...), which tells a message apart from arbitrary bytes.
 *
 * @example
 * ```ts
 * hasMessageHeaders([{ key: 'subject', value: 'Hi' }]) // true
 * ```
 */
export function hasMessageHeaders(fields: readonly HeaderField[]): boolean {
  return fields.some((f) => MESSAGE_HEADERS.has(f.key))
}

/**
 * Canonical values from top-level header fields: ids without brackets, the Date as ISO UTC,
 * participants decoded and validated, the subject RFC 2047-decoded (`''` when missing). When a
 * single-valued header occurs twice the first occurrence wins, as in postal-mime; address
 * headers that occur twice are concatenated.
 *
 * @example
 * ```ts
 * normalizeHeaders([{ key: 'message-id', value: '<a@x>' }, { key: 'subject', value: '=?UTF-8?B?SMOp?=' }])
 * // { messageId: 'a@x', subject: 'Hé', from: null, to: [], ... }
 * ```
 */
export function normalizeHeaders(fields: readonly HeaderField[]): NormalizedHeaders {
  const first = (key: string): string | undefined => fields.find((f) => f.key === key)?.value
  const all = (key: string): string[] => fields.filter((f) => f.key === key).map((f) => f.value)
  const subject = first('subject')
  return {
    messageId: parseMessageId(first('message-id')),
    inReplyTo: parseMessageId(first('in-reply-to')),
    references: parseMessageIdList(first('references')),
    headerDate: parseDateHeader(first('date')),
    from: parseMailbox(first('from')),
    sender: parseMailbox(first('sender')),
    replyTo: parseAddressList(all('reply-to')),
    to: parseAddressList(all('to')),
    cc: parseAddressList(all('cc')),
    bcc: parseAddressList(all('bcc')),
    subject: subject === undefined ? '' : repairC1(safeDecodeWords(subject).replace(/\0/g, '')).trim(),
  }
}

/**
 * RFC 2047 decoding that never throws: an unknown charset falls back inside postal-mime, and
 * anything unexpected leaves the text as it was.
 *
 * @example
 * ```ts
 * safeDecodeWords('=?ISO-8859-1?Q?caf=E9?=') // 'café'
 * ```
 */
export function safeDecodeWords(value: string): string {
  try {
    return decodeWords(value)
  } catch {
    return value
  }
}

/**
 * Only the fields of {@link ParsedHeaders}, for the headers-first capture decision.
 *
 * @example
 * ```ts
 * toParsedHeaders(normalizeHeaders(fields)).messageId
 * ```
 */
export function toParsedHeaders(h: NormalizedHeaders): ParsedHeaders {
  return { messageId: h.messageId, ...partiesOf(h), subject: h.subject, headerDate: h.headerDate }
}

/**
 * Only the participants of a message's headers (a copy, without the other fields).
 *
 * @example
 * ```ts
 * partiesOf(normalizeHeaders(fields)).to.map((a) => a.address)
 * ```
 */
export function partiesOf(h: ParsedParties): ParsedParties {
  return { from: h.from, sender: h.sender, replyTo: h.replyTo, to: h.to, cc: h.cc, bcc: h.bcc }
}
