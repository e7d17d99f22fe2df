/**
 * The Gmail client's public shapes: its options, the parameters of each method, and the
 * client itself. The implementation is in `client.ts`.
 */
import type { QuotaCosts } from '../config/index.js'
import type { UpstreamError } from '../errors.js'
import type { Clock, Logger } from '../hooks.js'
import type { AccessTokenProvider } from './credentials/credentials.js'
import type { QuotaLimiter } from './quota.js'
import type {
  GmailHistoryPage,
  GmailHistoryType,
  GmailMessage,
  GmailMessageFormat,
  GmailMessageListPage,
  GmailProfile,
} from './types.js'

/** Settings of {@link GmailClient}; see `createGmailClient`. */
export interface GmailClientOptions {
  /** The API root (`CRM_GMAIL_API_BASE_URL`), e.g. `https://gmail.googleapis.com`. */
  readonly baseUrl: string
  /** The mailbox the client reads (the `userId` of every path). */
  readonly mailbox: string
  /** Where access tokens come from; its errors reach the caller unchanged. */
  readonly credentials: AccessTokenProvider
  /** The account's limiter, shared by all of its calls. */
  readonly limiter: QuotaLimiter
  /** What each method costs (`CRM_GMAIL_QUOTA_COSTS`). */
  readonly costs: QuotaCosts
  /** Retries per call after the first attempt (`CRM_GMAIL_RETRY_MAX`). */
  readonly retryMax: number
  readonly logger?: Logger
  /** The time against which Retry-After dates are read; share the limiter's. */
  readonly clock?: Clock
  /** How long one HTTP request may take before it is abandoned (and retried); default 60 s. */
  readonly timeoutMs?: number
  /** Backoff tuning; tests shorten it. */
  readonly backoff?: {
    /** The first backoff delay (default 1 s); doubles per retry, with jitter. */
    readonly minDelayMs?: number
    /** The cap of one backoff delay (default 32 s). */
    readonly maxDelayMs?: number
    /** The furthest "Retry after" time waited out instead of failing (default 10 min). */
    readonly maxRetryWaitMs?: number
  }
  /**
   * Calls per batch request, 1 to 50 (the default, Gmail's recommendation). Batches are smaller
   * still when the limiter's bucket cannot pay for that many gets at once (`partsPerBatch`).
   */
  readonly batchSize?: number
}

/** Options every method takes. */
export interface GmailCallOptions {
  /** Stops waiting and retrying; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

/** Parameters of `users.messages.list` (one page). */
export interface ListMessagesParams extends GmailCallOptions {
  /** Gmail's search syntax, e.g. `after:2026/01/01 -in:chats`. */
  readonly q?: string
  /** Only messages with all of these labels. */
  readonly labelIds?: readonly string[]
  /** Include SPAM and TRASH (Gmail leaves them out by default). */
  readonly includeSpamTrash?: boolean
  /** Page size, 1 to 500 (Gmail's default is 100). */
  readonly maxResults?: number
  /** The page to read: a `nextPageToken` from an earlier page (or a checkpoint, to resume). */
  readonly pageToken?: string
}

/** How to read messages (`users.messages.get`). */
export interface GetMessageOptions extends GmailCallOptions {
  readonly format: GmailMessageFormat
  /** With `format: 'metadata'`: only these headers (e.g. From, To, Cc, Date, Message-ID). */
  readonly metadataHeaders?: readonly string[]
}

/** Parameters of `users.history.list` (one page). */
export interface ListHistoryParams extends GmailCallOptions {
  /** Changes after this history id (from a profile, a message or an earlier page). */
  readonly startHistoryId: string
  readonly historyTypes?: readonly GmailHistoryType[]
  /** Only changes to messages with this label. */
  readonly labelId?: string
  /** Page size, 1 to 500. */
  readonly maxResults?: number
  readonly pageToken?: string
}

/** One id's outcome in {@link GmailClient.batchGetMessages}. */
export type BatchGetResult =
  | { readonly id: string; readonly ok: true; readonly message: GmailMessage }
  | { readonly id: string; readonly ok: false; readonly error: UpstreamError }

/** A downloaded attachment. */
export interface GmailAttachmentData {
  /** The size Gmail reported, in bytes. */
  readonly size: number
  /** The decoded bytes. */
  readonly data: Buffer
}

/**
 * A Gmail client for one mailbox. Every call spends quota through the account's limiter,
 * retries what Google says may be retried, and fails with an `UpstreamError` carrying Google's
 * status and reason otherwise.
 */
export interface GmailClient {
  /** The mailbox this client reads. */
  readonly mailbox: string
  /** Quota units spent so far (a batch counts each of its parts at its method's cost). */
  readonly unitsSpent: number
  /** HTTP requests sent so far (a batch counts once; retries count). */
  readonly requests: number
  /** Retries made so far (whole requests, and rounds of re-sent batch parts). */
  readonly retries: number
  /** `users.getProfile`: the address, totals and current history id. */
  getProfile(options?: GmailCallOptions): Promise<GmailProfile>
  /** `users.messages.list`: one page. */
  listMessages(params?: ListMessagesParams): Promise<GmailMessageListPage>
  /** Every page of `users.messages.list` from `params.pageToken` (or the start) to the end. */
  listMessagePages(params?: ListMessagesParams): AsyncGenerator<GmailMessageListPage, void, undefined>
  /** `users.messages.get`. A missing message fails with status 404, reason `notFound`. */
  getMessage(id: string, options: GetMessageOptions): Promise<GmailMessage>
  /**
   * Gets many messages through batch requests of at most 50 calls (and at most what the
   * account's bucket can pay for at once), sent one after another.
   * Resolves to one result per id, in the order given; rejects only when a batch request as a
   * whole fails (after retries), or for a token error.
   */
  batchGetMessages(ids: readonly string[], options: GetMessageOptions): Promise<BatchGetResult[]>
  /** `users.history.list`: one page. An expired start id fails with status 404. */
  listHistory(params: ListHistoryParams): Promise<GmailHistoryPage>
  /** Every page of `users.history.list` from `params.pageToken` (or the start) to the end. */
  historyPages(params: ListHistoryParams): AsyncGenerator<GmailHistoryPage, void, undefined>
  /** `users.messages.attachments.get`, decoded. */
  getAttachment(messageId: string, attachmentId: string, options?: GmailCallOptions): Promise<GmailAttachmentData>
}
