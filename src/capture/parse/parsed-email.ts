/**
 * The canonical email the capture pipeline works with, whatever Gmail format it came from
 * (`raw` through postal-mime, or a `full` part tree). Everything downstream (matching, dedup,
 * threading, storage) reads only this shape.
 */

/** A mailbox in a header: address lower-cased, display name decoded (RFC 2047). */
export interface ParsedAddress {
  readonly address: string
  readonly name: string | null
}

/** An attachment as parsed; `content` is present only when its bytes came with the message. */
export interface ParsedAttachment {
  /** The sender's file name, decoded; never used as a path. Empty when the part had none. */
  readonly filename: string
  readonly mimeType: string
  /** Size in bytes (of the decoded content, or as Gmail reported it). */
  readonly size: number
  /** The Content-ID without angle brackets, or `null`. */
  readonly contentId: string | null
  /** Shown in the body (Content-Disposition inline, or a related part with a Content-ID). */
  readonly inline: boolean
  /** The decoded bytes, or `null` when they must be fetched later (`full` format). */
  readonly content: Uint8Array | null
  /** Gmail's attachment id, when the bytes must be fetched with attachments.get. */
  readonly gmailAttachmentId: string | null
  /** Gmail's part id (`0.1`), when parsed from a part tree. */
  readonly partId: string | null
}

/** Who a message is from and to, as its header fields name them. */
export interface ParsedParties {
  readonly from: ParsedAddress | null
  readonly sender: ParsedAddress | null
  readonly replyTo: readonly ParsedAddress[]
  readonly to: readonly ParsedAddress[]
  readonly cc: readonly ParsedAddress[]
  readonly bcc: readonly ParsedAddress[]
}

/** One email, parsed. */
export interface ParsedEmail extends ParsedParties {
  /** The Message-ID without angle brackets (a synthetic one when the message had none). */
  readonly messageId: string
  readonly messageIdSynthetic: boolean
  /** The In-Reply-To Message-ID without brackets, or `null`. */
  readonly inReplyTo: string | null
  /** The References Message-IDs without brackets, oldest first. */
  readonly references: readonly string[]
  /** ISO-8601 UTC: the Date header, or Gmail's internalDate when the header is missing or unreadable. */
  readonly date: string
  /** The Date header as ISO-8601 UTC when it was present and readable, else `null` (used in the fingerprint). */
  readonly headerDate: string | null
  /** Decoded subject, `''` when missing. */
  readonly subject: string
  /** The text body; from the HTML when the message has no text part; `null` when it has neither. */
  readonly text: string | null
  /** The HTML body after sanitising (no scripts, handlers, remote loads), or `null`. */
  readonly html: string | null
  /** The first characters of the text, whitespace collapsed. */
  readonly snippet: string
  readonly attachments: readonly ParsedAttachment[]
  /** Size of the message in bytes (raw length, or Gmail's sizeEstimate). */
  readonly sizeBytes: number | null
}

/** The headers needed to decide whether to capture a message, read before its content. */
export interface ParsedHeaders extends ParsedParties {
  readonly messageId: string | null
  readonly subject: string
  /** The Date header as ISO-8601 UTC, or `null` when missing or unreadable. */
  readonly headerDate: string | null
}

/** Parsing either succeeds or says why not; it never throws. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string }
