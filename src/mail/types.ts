/**
 * The shapes the read API and the routes answer (SPEC §8). The programmatic API returns the
 * same objects the routes send as JSON.
 */
import type { Access, WithheldField } from '../sharing/levels.js'

/** A CRM identity an email is linked to, resolved by precedence fund -> org -> contact -> addr. */
export interface Identity {
  /** The typed key: `fund:7`, `org:o-1`, `contact:c-1` or `addr:someone@example.com`. */
  readonly key: string
  readonly type: 'fund' | 'org' | 'contact' | 'addr'
  readonly id: string
  /** The directory's name, or the address for `addr:` identities. */
  readonly name: string
}

/** An address in a header. */
export interface Address {
  readonly address: string
  readonly name: string | null
}

/** An attachment as listed with its email. */
export interface AttachmentSummary {
  readonly id: string
  readonly filename: string
  readonly mimeType: string
  readonly size: number
  readonly sha256: string | null
  readonly status: 'stored' | 'pending' | 'skipped' | 'failed'
}

/** An email in a list or a thread: headers, snippet and links, never the body. */
export interface EmailSummary {
  readonly id: string
  readonly messageId: string
  readonly threadId: string
  readonly subject: string
  /** ISO-8601. */
  readonly date: string
  readonly from: Address
  readonly to: readonly Address[]
  readonly cc: readonly Address[]
  readonly snippet: string
  readonly identities: readonly Identity[]
  /** The teammates whose mailboxes hold a copy (copies deleted in Gmail are left out). */
  readonly mailboxes: readonly string[]
  readonly attachments: readonly AttachmentSummary[]
  /**
   * The reader's access to this email (SPEC §12): `owner` when it is in their own mailbox,
   * otherwise the most permissive sharing level among the mailboxes holding it.
   */
  readonly access: Access
  /** The fields this reader may not see: emptied here (a withheld subject reads `(private)`). */
  readonly withheld: readonly WithheldField[]
}

/** An email with its text body (never the remote HTML). */
export interface EmailDetail extends EmailSummary {
  readonly bodyText: string
}

/** A conversation in the thread list. */
export interface ThreadSummary {
  readonly id: string
  readonly subject: string
  readonly firstAt: string
  readonly lastAt: string
  readonly messageCount: number
  readonly participants: readonly Address[]
  readonly identities: readonly Identity[]
  /** The snippet of its newest visible email whose snippet the reader may see (SPEC §12), else `''`. */
  readonly snippet: string
  /**
   * The fields of this summary the reader may not see: `subject` when no visible email lets
   * them read its subject (it reads `(private)`), `snippet` when none lets them read its snippet.
   */
  readonly withheld: readonly ThreadWithheldField[]
  /** Whether an owner of one of its mailboxes marked the thread private (others see it as metadata). */
  readonly private: boolean
}

/** A field of a thread's summary a reader may be refused. */
export type ThreadWithheldField = Extract<WithheldField, 'subject' | 'snippet'>

/** A page of the thread list. */
export interface ThreadPage {
  readonly items: readonly ThreadSummary[]
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  readonly nextCursor: string | null
}

/** A thread with its visible emails, oldest first. */
export interface ThreadDetail {
  readonly id: string
  /** The subject of its oldest visible email whose subject the reader may see, else `(private)`. */
  readonly subject: string
  /** `['subject']` when the reader may see no email's subject, else `[]`. */
  readonly withheld: readonly ThreadWithheldField[]
  /** Whether an owner of one of its mailboxes marked the thread private. */
  readonly private: boolean
  readonly emails: readonly EmailSummary[]
}

/** A thread's privacy after `threads.setPrivate`: the thread (the one a merged id joined) and its state. */
export interface ThreadPrivacy {
  readonly id: string
  readonly private: boolean
}

/** The identity facet of the current filter. */
export interface IdentityFacet {
  readonly items: readonly (Identity & { readonly count: number })[]
}

/** Filters of the thread list, the facet and search. */
export interface MailFilter {
  /** A typed identity key (`fund:7`); a bare id means `fund:`; an unknown prefix matches nothing. */
  readonly identity?: string | undefined
  /** Emails sent at or after this date (ISO date or date-time). */
  readonly from?: string | undefined
  /** Emails sent before the end of this date (a date) or before this instant (a date-time). */
  readonly to?: string | undefined
}

/** Options of the thread list. */
export interface ThreadListOptions extends MailFilter {
  /**
   * Content search within the list: only threads with a visible email that the search route
   * finds for this text (subject, participants, body; every word, the last one as a prefix).
   * Empty means no such filter.
   */
  readonly q?: string | undefined
  /** Threads per page, 1 to 100 (default 25). */
  readonly limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | undefined
}

/** A hidden email, as the admin's list of hidden mail shows it. */
export interface HiddenEmail {
  readonly id: string
  readonly threadId: string
  /** Its subject, or `(private)` when the reader's access withholds it (admins included). */
  readonly subject: string
  /** `['subject']` when the reader may not see its subject, else `[]`. */
  readonly withheld: readonly ThreadWithheldField[]
  readonly from: Address
  /** When it was sent, ISO-8601. */
  readonly date: string
  /** When it was hidden, ISO-8601. */
  readonly hiddenAt: string
  /** Who hid it, as given to `emails.hide`; `null` when not recorded. */
  readonly hiddenBy: string | null
}

/** A page of hidden mail, most recently hidden first. */
export interface HiddenPage {
  readonly items: readonly HiddenEmail[]
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  readonly nextCursor: string | null
}

/** Options of the list of hidden mail. */
export interface HiddenListOptions {
  /** Emails per page, 1 to 100 (default 25). */
  readonly limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | undefined
}
