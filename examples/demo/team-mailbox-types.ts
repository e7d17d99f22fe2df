/** The generated mailbox's public shapes, and the plan each message is rendered from. */
import type { DirectoryEntry } from 'crm-email-integration'
import type { MailAddress, MailContent } from './team-mailbox-mime.js'

/**
 * What a message is to the CRM. Only `crm` mail should be captured (in `matched` mode);
 * `spam` and `draft` involve CRM addresses but are excluded by their Gmail labels.
 */
export type MessageCategory = 'crm' | 'newsletter' | 'personal' | 'internal' | 'spam' | 'draft'

/** One teammate's copy of a message. */
export interface GeneratedCopy {
  /** The teammate's address. */
  readonly mailbox: string
  /** Gmail labels of this copy (`SENT`, `INBOX`, `UNREAD`, `CATEGORY_*`, `SPAM`, `DRAFT`, ...). */
  readonly labelIds: readonly string[]
  /** The conversation it belongs to; copies of one conversation share a Gmail thread per mailbox. */
  readonly threadKey: string
}

/** One distinct message (one Message-ID) and the mailboxes that hold it. */
export interface GeneratedMessage {
  /** The RFC 5322 Message-ID, without angle brackets. */
  readonly messageId: string
  /** The RFC 822 source: ASCII text with CRLF line ends. */
  readonly raw: string
  readonly date: Date
  readonly category: MessageCategory
  /** The conversation (same as each copy's `threadKey`). */
  readonly threadKey: string
  /** The decoded subject. */
  readonly subject: string
  readonly from: MailAddress
  readonly to: readonly MailAddress[]
  readonly cc: readonly MailAddress[]
  /** References, oldest first; the last is the parent named by In-Reply-To (empty for a first message). */
  readonly references: readonly string[]
  /** File names of the attachments. */
  readonly attachments: readonly string[]
  /** The teammates' mailboxes that hold it, with labels. */
  readonly copies: readonly GeneratedCopy[]
}

/** A generated team mailbox: the team, its CRM directory and its mail. */
export interface TeamMailbox {
  /** The team's workspace domain. */
  readonly domain: string
  readonly team: readonly { readonly address: string; readonly name: string }[]
  /** The CRM identities to match against (pass it as the integration's `directory`). */
  readonly directory: readonly DirectoryEntry[]
  /** Every message, oldest first. */
  readonly messages: readonly GeneratedMessage[]
}

/** A message before rendering: its content, what it is, and where its copies go. */
export interface MessagePlan extends MailContent {
  readonly category: MessageCategory
  readonly threadKey: string
  readonly copies: readonly GeneratedCopy[]
}
