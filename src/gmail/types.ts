/**
 * The Gmail API resources the library reads, as Google documents them (users.messages,
 * users.history, users.getProfile). Fields Gmail may leave out are optional; numbers that
 * Gmail sends as strings (historyId, internalDate, sizeEstimate in some places) stay strings
 * where Google types them as strings.
 */

/** `users.getProfile`. */
export interface GmailProfile {
  readonly emailAddress: string
  readonly messagesTotal?: number
  readonly threadsTotal?: number
  /** The mailbox's current history id (uint64 as a decimal string). */
  readonly historyId: string
}

/** A message id with its thread, as `messages.list` and history records give it. */
export interface GmailMessageRef {
  readonly id: string
  readonly threadId: string
  readonly labelIds?: readonly string[]
}

/** One page of `users.messages.list`. */
export interface GmailMessageListPage {
  readonly messages?: readonly GmailMessageRef[]
  readonly nextPageToken?: string
  readonly resultSizeEstimate?: number
}

/** A header of a message part. */
export interface GmailHeader {
  readonly name: string
  readonly value: string
}

/** The body of a message part: inline `data` (base64url) or an `attachmentId` to fetch. */
export interface GmailMessagePartBody {
  readonly attachmentId?: string
  readonly size: number
  readonly data?: string
}

/** A node of the MIME tree of `format=full` (or the top part of `format=metadata`). */
export interface GmailMessagePart {
  readonly partId?: string
  readonly mimeType?: string
  readonly filename?: string
  readonly headers?: readonly GmailHeader[]
  readonly body?: GmailMessagePartBody
  readonly parts?: readonly GmailMessagePart[]
}

/** The `format` of `users.messages.get`. */
export type GmailMessageFormat = 'minimal' | 'full' | 'raw' | 'metadata'

/** `users.messages.get`, in any format. */
export interface GmailMessage {
  readonly id: string
  readonly threadId: string
  readonly labelIds?: readonly string[]
  readonly snippet?: string
  readonly historyId?: string
  /** Milliseconds since the epoch, as a decimal string. */
  readonly internalDate?: string
  readonly sizeEstimate?: number
  /** The whole RFC 822 message, base64url (`format=raw`). */
  readonly raw?: string
  /** The MIME tree (`format=full`), or the top part with headers only (`format=metadata`). */
  readonly payload?: GmailMessagePart
}

/** A message whose labels changed, in a history record. */
export interface GmailLabelChange {
  readonly message: GmailMessageRef
  readonly labelIds: readonly string[]
}

/** One record of `users.history.list`. */
export interface GmailHistoryRecord {
  readonly id: string
  readonly messages?: readonly GmailMessageRef[]
  readonly messagesAdded?: readonly { readonly message: GmailMessageRef }[]
  readonly messagesDeleted?: readonly { readonly message: GmailMessageRef }[]
  readonly labelsAdded?: readonly GmailLabelChange[]
  readonly labelsRemoved?: readonly GmailLabelChange[]
}

/** The kinds of change `history.list` can be asked for. */
export type GmailHistoryType = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved'

/** One page of `users.history.list`. */
export interface GmailHistoryPage {
  readonly history?: readonly GmailHistoryRecord[]
  readonly nextPageToken?: string
  /** The mailbox's current history id when the page was read. */
  readonly historyId: string
}

/** `users.messages.attachments.get`. */
export interface GmailAttachment {
  readonly attachmentId?: string
  readonly size: number
  /** The bytes, base64url. */
  readonly data: string
}

/** Google's JSON error body (`{ error: { code, message, errors: [{ reason, ... }], status } }`). */
export interface GoogleErrorBody {
  readonly error: {
    readonly code: number
    readonly message: string
    readonly status?: string
    readonly errors?: readonly { readonly domain?: string; readonly reason?: string; readonly message?: string }[]
  }
}
