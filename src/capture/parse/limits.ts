/**
 * The limits of the parser, in one place so that the raw (postal-mime) and the `full` (Gmail
 * part tree) readings of a message refuse and cap the same things. Each is generous enough
 * for any message a person sent and exists only to bound the work a hostile message can cause.
 */

/**
 * Gmail refuses messages over 50 MB (encoding included, the sending limit is 25 MB of
 * attachments), so a larger raw message is not one Gmail delivered: refuse it instead of
 * buffering it.
 */
export const MAX_RAW_MESSAGE_BYTES = 64 * 1024 * 1024

/**
 * MIME nesting depth. Real mail (mixed > alternative > related, forwarded a few times) stays
 * under 20 levels; deeper trees are parser bombs. postal-mime's own default is 256, and the
 * part-tree walker recurses, so this also bounds its stack.
 */
export const MAX_MIME_DEPTH = 50

/**
 * Depth of `message/rfc822` parts parsed inline. Each level is a nested parser holding its own
 * copy of the part; a forward of a forward of a forward is already more than anyone reads, so
 * deeper messages stay attachments.
 */
export const MAX_RFC822_DEPTH = 5

/**
 * Header bytes across every part of a message. A To line of 10,000 recipients with display
 * names is about 1 MB and must parse; 8 MiB leaves room for several such lines while a
 * header-only bomb still cannot make the parser hold much more than that.
 */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024

/**
 * Mailboxes kept per address field. Only an absurd list is cut: 50,000 is five times the largest
 * real distribution list we design for and already far beyond what Gmail lets a message carry;
 * past it each extra address would only be another participant row nobody can use.
 */
export const MAX_ADDRESSES_PER_FIELD = 50_000

/**
 * Message-IDs kept from References. Long threads keep appending ids; RFC 5322 §3.6.4 lets a
 * client trim them, and threading needs only the root (kept first) and the recent parents (kept
 * last), while each id becomes a row.
 */
export const MAX_REFERENCES = 500

/** RFC 5322's line limit: a longer id cannot have come from a conforming header line. */
export const MAX_MESSAGE_ID_LENGTH = 998

/**
 * A Date header longer than this is not a date. Bounding the input keeps the date patterns'
 * work constant whatever a header holds.
 */
export const MAX_DATE_LENGTH = 256

/**
 * Attachment file name length, in UTF-16 code units. Names are metadata only (never a path), so
 * a 1,000-character name is kept whole; only names long enough to be abuse are shortened.
 */
export const MAX_FILENAME_LENGTH = 2048

/**
 * Tags of an HTML body that are parsed. htmlparser2 (under sanitize-html) keeps its open-element
 * stack with `unshift`, so deeply nested markup costs time quadratic in its depth: 200,000
 * nested tags take half a minute. Heavy newsletters have a few thousand tags; the HTML after
 * this many is dropped, which bounds the worst case to a fraction of a second.
 */
export const MAX_HTML_TAGS = 25_000

/** Length of the snippet, in characters (code points), like Gmail's own preview. */
export const SNIPPET_LENGTH = 200

/** A failure reason is for logs and the failed-message record: short, and never the content. */
export const MAX_REASON_LENGTH = 160
