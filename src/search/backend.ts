/**
 * The search backend interface (SPEC §9): a backend turns a query into ranked email ids with a
 * highlight. Backends never return emails themselves: the search API hydrates the ids from the
 * SQL tables, which are canonical, so a backend cannot leak hidden mail.
 */
import type { MailFilter } from '../mail/types.js'
import type { ReadScope } from '../sharing/access.js'

/** What a backend is asked. */
export interface SearchQuery {
  /** The user's text as typed; each backend splits it into words and never treats it as syntax. */
  readonly text: string
  /** Identity and date filters, as the thread list reads them. */
  readonly filter: MailFilter
  /** The most hits wanted. */
  readonly limit: number
  /**
   * Whose search it is: a word matches, and the score and highlight read, only the fields the
   * reader's access to each email shows (`search/visibility.ts`).
   */
  readonly scope: ReadScope
}

/** One ranked result. */
export interface SearchHit {
  readonly emailId: number
  /** Higher is better; comparable only within one answer of one backend. */
  readonly score: number
  /**
   * Plain text around the match, matched words between {@link MARK_OPEN} and {@link MARK_CLOSE}
   * (`«` `»`); escape it before putting it in HTML.
   */
  readonly highlight: string
  /**
   * The attached file the highlight quotes, when the match is in an attachment's text rather
   * than the email's own (the reader may read bodies: attachment text is body-level).
   */
  readonly attachment?: MatchedAttachment | undefined
}

/** The attached file a hit was found in. */
export interface MatchedAttachment {
  /** `email_attachments.id` (download: `GET /api/email/attachments/:id`). */
  readonly id: number
  /** The name as the sender gave it. */
  readonly filename: string
}

/**
 * A search backend.
 *
 * @example
 * ```ts
 * const hits = await backend.search({ text: 'term sheet', filter: { identity: 'fund:7' }, limit: 20, scope })
 * ```
 */
export interface SearchBackend {
  /** `fts5`, `postgres` or `hybrid`: reported with every answer. */
  readonly name: string
  search(query: SearchQuery): Promise<SearchHit[]>
}

/** Opens a match in a highlight. */
export const MARK_OPEN = '«'
/** Closes a match in a highlight. */
export const MARK_CLOSE = '»'
