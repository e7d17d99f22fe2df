/**
 * The records the capture hands to the store (`store.ts`): a message of one mailbox as a new
 * email with its copy, or as a copy of an email another mailbox stored, and what storing did.
 */
import type { AttachmentStatus, IdentityType } from '../db/database.js'
import type { ParsedAddress, ParsedEmail } from './parse/parsed-email.js'

/** A link to a CRM identity, found by matching one participant address. */
export interface LinkInput {
  readonly identityKey: string
  readonly type: Exclude<IdentityType, 'addr'>
  readonly id: string
  readonly address: string
  readonly matchKind: 'exact' | 'domain'
}

/** An attachment's row as the capture decided it; the blob, when stored, is already on disk. */
export interface AttachmentInput {
  readonly filename: string
  readonly mimeType: string
  readonly size: number
  readonly contentId: string | null
  readonly inline: boolean
  readonly status: AttachmentStatus
  readonly sha256: string | null
  readonly gmailAttachmentId: string | null
  readonly partId: string | null
  readonly error: string | null
}

/** A message of one mailbox, as far as storing its copy needs. */
export interface CopyRecord {
  readonly accountId: number
  readonly gmailId: string
  readonly gmailThreadId: string
  readonly labelIds: readonly string[]
  /** Gmail's internalDate as ISO, or `null`. */
  readonly internalDate: string | null
  readonly links: readonly LinkInput[]
  /**
   * The Bcc of this mailbox's copy: only the sender's copy shows it, so a copy stored after the
   * email adds the Bcc addresses the email does not have yet (the same participants, whichever
   * mailbox came first).
   */
  readonly bcc: readonly ParsedAddress[]
  /** The stored email this message is a copy of. */
  readonly emailId: number
}

/** Everything the capture knows about one message of one mailbox, ready to store. */
export interface CaptureRecord extends Omit<CopyRecord, 'emailId' | 'bcc'> {
  readonly email: ParsedEmail
  readonly fingerprint: string
  readonly isDraft: boolean
  readonly attachments: readonly AttachmentInput[]
}

/** What storing one message did. */
export interface StoreOutcome {
  readonly emailId: number
  readonly threadId: number
  /** A new `emails` row (false: another mailbox's copy of a stored email, or a repeat). */
  readonly createdEmail: boolean
  /** A new copy row (false: this mailbox's message was already stored; nothing changed). */
  readonly createdCopy: boolean
}
