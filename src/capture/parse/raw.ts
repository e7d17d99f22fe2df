import PostalMime, { type Attachment, type Email } from 'postal-mime'
import type { ParsedAttachment, ParsedEmail, ParseResult } from './parsed-email.js'
import { assembleEmail, makeAttachment, parseFailure } from './assemble.js'
import { hasMessageHeaders, normalizeHeaders } from './headers.js'
import { MAX_HEADER_BYTES, MAX_MIME_DEPTH, MAX_RAW_MESSAGE_BYTES, MAX_RFC822_DEPTH } from './limits.js'
import { repairRawMessage } from './raw-repair.js'

/** Gmail metadata that travels with a raw message. */
export interface RawMessageMeta {
  /** Milliseconds since the epoch (Gmail's `internalDate`): the date when the header has none. */
  readonly internalDate?: string | null
  /** Accepted for symmetry with the Gmail message; `sizeBytes` is the raw length. */
  readonly sizeEstimate?: number | null
  /** Accepted for symmetry with the Gmail message; parsing does not depend on labels. */
  readonly labelIds?: readonly string[]
}

const encoder = new TextEncoder()

function toBytes(content: Attachment['content']): Uint8Array {
  if (typeof content === 'string') return encoder.encode(content)
  return content instanceof Uint8Array ? content : new Uint8Array(content)
}

function toAttachment(a: Attachment): ParsedAttachment {
  const content = toBytes(a.content)
  return makeAttachment({
    filename: a.filename,
    mimeType: a.mimeType,
    size: content.byteLength,
    contentId: a.contentId,
    // A related part with a Content-ID is shown in the HTML even when its disposition says
    // nothing; postal-mime flags exactly those as `related`.
    inline: a.disposition === 'inline' || a.related === true,
    content,
  })
}

async function readWithPostalMime(bytes: Uint8Array): Promise<Email> {
  return PostalMime.parse(repairRawMessage(bytes), {
    maxNestingDepth: MAX_MIME_DEPTH,
    maxHeadersSize: MAX_HEADER_BYTES,
    maxRfc822NestingDepth: MAX_RFC822_DEPTH,
    attachmentEncoding: 'arraybuffer',
  })
}

/**
 * Parses a whole RFC 822 message (Gmail `format=raw`, already decoded from base64url) into the
 * canonical email, through postal-mime. A string is taken as the message's text and encoded as
 * UTF-8. Never throws: a message that cannot be read gives `{ ok: false, reason }`.
 *
 * Where postal-mime would read real-world mail wrongly, the message is repaired first
 * ({@link repairRawMessage}): a Content-Type without a subtype is text/plain, a header without
 * a blank line after it ends at its first non-header line, and attachments keep the sender's
 * exact bytes whatever their transfer encoding. `sizeBytes` is always the length as received.
 *
 * Nested `message/rfc822` parts follow postal-mime: a part marked `Content-Disposition:
 * attachment` (the usual "forward as attachment"), one inside a delivery or feedback report, or
 * one nested deeper than {@link MAX_RFC822_DEPTH} is an attachment (its bytes are the whole
 * nested message); any other is read inline: its text and HTML join the body after a header
 * block, and its attachments join the message's.
 *
 * @example
 * ```ts
 * const result = await parseRawMessage(bytes, { internalDate: message.internalDate })
 * if (result.ok) console.log(result.value.messageId, result.value.subject)
 * else console.warn('unparseable message', result.reason)
 * ```
 */
export async function parseRawMessage(
  raw: Uint8Array | string,
  meta: RawMessageMeta = {},
): Promise<ParseResult<ParsedEmail>> {
  try {
    const bytes = typeof raw === 'string' ? encoder.encode(raw) : raw
    if (bytes.byteLength > MAX_RAW_MESSAGE_BYTES) {
      return parseFailure(`message of ${bytes.byteLength} bytes exceeds the ${MAX_RAW_MESSAGE_BYTES}-byte limit`)
    }
    let email: Email
    try {
      email = await readWithPostalMime(bytes)
    } catch (error) {
      return parseFailure('mime parse failed', error)
    }
    const fields = email.headers.map((h) => ({ key: h.key, value: h.value }))
    if (!hasMessageHeaders(fields)) return parseFailure('no message header fields (not an email)')
    return assembleEmail({
      headers: normalizeHeaders(fields),
      text: email.text ?? null,
      html: email.html ?? null,
      attachments: email.attachments.map(toAttachment),
      sizeBytes: bytes.byteLength,
      internalDate: meta.internalDate,
    })
  } catch (error) {
    return parseFailure('parse failed', error)
  }
}
