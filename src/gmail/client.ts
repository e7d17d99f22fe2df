/**
 * The Gmail client: typed methods over gaxios for the calls the library makes (SPEC §5). Each
 * call goes through the account's limiter, is retried as Google advises, and counts the quota
 * units it spends.
 */
import { ValidationError } from '../errors.js'
import { SYSTEM_CLOCK } from '../hooks.js'
import { batchGet, partsPerBatch } from './batch-get.js'
import { checkBaseUrl, checkId, checkOptionalToken, checkPageSize, buildUrl, messageQuery, resolveClientLimits } from './client-params.js'
import type { QueryValue } from './client-params.js'
import { createGmailTransport } from './client-request.js'
import type {
  GetMessageOptions,
  GmailAttachmentData,
  GmailCallOptions,
  GmailClient,
  GmailClientOptions,
  ListHistoryParams,
  ListMessagesParams,
} from './client-types.js'
import { gmailProtocolError } from './gmail-errors.js'
import { resolveRetryPolicy, withGmailRetry } from './retry.js'
import type { GmailAttachment, GmailHistoryPage, GmailMessage, GmailMessageListPage, GmailProfile } from './types.js'

/** Reads a JSON answer as a resource, or `null` when it lacks the fields the library relies on. */
type Reader<T> = (value: Readonly<Record<string, unknown>>) => T | null

const hasStrings = (value: Readonly<Record<string, unknown>>, ...keys: string[]): boolean =>
  keys.every((key) => typeof value[key] === 'string')

const readProfile: Reader<GmailProfile> = (v) => (hasStrings(v, 'emailAddress', 'historyId') ? (v as unknown as GmailProfile) : null)
const readListPage: Reader<GmailMessageListPage> = (v) => v as GmailMessageListPage
const readMessage: Reader<GmailMessage> = (v) => (hasStrings(v, 'id') ? (v as unknown as GmailMessage) : null)
const readHistoryPage: Reader<GmailHistoryPage> = (v) => v as unknown as GmailHistoryPage
const readAttachment: Reader<GmailAttachment> = (v) => (hasStrings(v, 'data') ? (v as unknown as GmailAttachment) : null)

/** Whether `value` has a method `name` (options may come from plain JavaScript). */
function hasMethod(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function'
}

/**
 * Walks a paged Gmail list from `start` to the last page. A page token that repeats the one
 * just used would loop forever, so it fails instead.
 */
async function* paginate<P extends { readonly nextPageToken?: string }>(
  operation: string,
  start: string | undefined,
  fetchPage: (pageToken: string | undefined) => Promise<P>,
): AsyncGenerator<P, void, undefined> {
  let token = start
  for (;;) {
    const page = await fetchPage(token)
    yield page
    const next = page.nextPageToken
    if (next === undefined || next === '') return
    if (next === token) throw gmailProtocolError(operation, 'Gmail gave the same page token twice', false, 'paginationLoop')
    token = next
  }
}

/**
 * Creates the Gmail client of one mailbox.
 *
 * @throws {@link ValidationError} for an invalid option (naming it).
 *
 * @example
 * ```ts
 * import { QUOTA_COSTS_2026 } from 'crm-email-integration'
 *
 * const limiter = createQuotaLimiter({ rateUnitsSec: 90 })    // one per account
 * const gmail = createGmailClient({
 *   baseUrl: 'https://gmail.googleapis.com',
 *   mailbox: 'ann@fund.example',
 *   credentials,                                               // an AccessTokenProvider
 *   limiter,
 *   costs: QUOTA_COSTS_2026,
 *   retryMax: 5,
 * })
 * const { historyId } = await gmail.getProfile()
 * for await (const page of gmail.listMessagePages({ q: 'after:2026/01/01', maxResults: 500 })) {
 *   const ids = (page.messages ?? []).map((m) => m.id)
 *   const results = await gmail.batchGetMessages(ids, { format: 'metadata', metadataHeaders: ['From', 'To'] })
 * }
 * console.log(`spent ${gmail.unitsSpent} quota units`)
 * ```
 */
export function createGmailClient(options: GmailClientOptions): GmailClient {
  const baseUrl = checkBaseUrl(options.baseUrl)
  const mailbox = checkId('mailbox', options.mailbox)
  if (!hasMethod(options.credentials, 'getAccessToken')) {
    throw new ValidationError('credentials: expected an AccessTokenProvider (with getAccessToken)')
  }
  if (!hasMethod(options.limiter, 'acquire')) {
    throw new ValidationError('limiter: expected a QuotaLimiter (see createQuotaLimiter)')
  }
  const { timeoutMs, batchSize, costs } = resolveClientLimits(options)
  const policy = resolveRetryPolicy({ ...options.backoff, retryMax: options.retryMax })
  const { limiter, logger } = options
  const clock = options.clock ?? SYSTEM_CLOCK
  const transport = createGmailTransport({ mailbox, credentials: options.credentials, limiter, timeoutMs, clock, logger })
  const userUrl = `${baseUrl}/gmail/v1/users/${encodeURIComponent(mailbox)}`
  const onRetry = (): void => {
    transport.usage.retries++
  }

  async function getJson<T>(operation: string, url: string, units: number, signal: AbortSignal | undefined, read: Reader<T>): Promise<T> {
    return withGmailRetry(
      async () => {
        const { body } = await transport.send({ operation, url, units, signal })
        let value: unknown
        try {
          value = JSON.parse(body)
        } catch {
          value = null
        }
        const resource = typeof value === 'object' && value !== null && !Array.isArray(value) ? read(value as Record<string, unknown>) : null
        if (resource === null) throw gmailProtocolError(operation, 'the answer is not the JSON resource Gmail documents', false)
        return resource
      },
      { policy, limiter, clock, logger, operation, signal, onRetry },
    )
  }

  function messageUrl(id: string, options: GetMessageOptions): string {
    return buildUrl(`${userUrl}/messages/${encodeURIComponent(id)}`, messageQuery(options))
  }

  const listMessages = async (params: ListMessagesParams = {}): Promise<GmailMessageListPage> => {
    const query: Record<string, QueryValue> = {
      q: params.q,
      labelIds: params.labelIds,
      includeSpamTrash: params.includeSpamTrash,
      maxResults: checkPageSize('maxResults', params.maxResults),
      pageToken: checkOptionalToken('pageToken', params.pageToken),
    }
    return getJson('messages.list', buildUrl(`${userUrl}/messages`, query), costs.list, params.signal, readListPage)
  }

  const listHistory = async (params: ListHistoryParams): Promise<GmailHistoryPage> => {
    const query: Record<string, QueryValue> = {
      startHistoryId: checkId('startHistoryId', params.startHistoryId),
      historyTypes: params.historyTypes,
      labelId: checkOptionalToken('labelId', params.labelId),
      maxResults: checkPageSize('maxResults', params.maxResults),
      pageToken: checkOptionalToken('pageToken', params.pageToken),
    }
    return getJson('history.list', buildUrl(`${userUrl}/history`, query), costs.history, params.signal, readHistoryPage)
  }

  return {
    mailbox,
    get unitsSpent() {
      return transport.usage.unitsSpent
    },
    get requests() {
      return transport.usage.requests
    },
    get retries() {
      return transport.usage.retries
    },

    getProfile: async (callOptions: GmailCallOptions = {}) =>
      getJson('getProfile', `${userUrl}/profile`, costs.profile, callOptions.signal, readProfile),

    listMessages,

    listMessagePages: (params: ListMessagesParams = {}) =>
      paginate('messages.list', params.pageToken, (pageToken) =>
        listMessages({ ...params, ...(pageToken === undefined ? {} : { pageToken }) }),
      ),

    getMessage: async (id: string, getOptions: GetMessageOptions) =>
      getJson('messages.get', messageUrl(checkId('id', id), getOptions), costs.get, getOptions.signal, readMessage),

    batchGetMessages: async (ids: readonly string[], getOptions: GetMessageOptions) => {
      if (!Array.isArray(ids)) throw new ValidationError('ids: expected an array of message ids')
      ids.forEach((id, index) => checkId(`ids[${index}]`, id))
      messageQuery(getOptions)
      if (ids.length === 0) return []
      return batchGet(
        {
          transport,
          limiter,
          policy,
          clock,
          logger,
          batchUrl: `${baseUrl}/batch/gmail/v1`,
          unitCost: costs.get,
          // What the limiter grants at once (its bucket, or a smaller minute's budget), not the
          // option alone, bounds what one batch may cost.
          batchSize: partsPerBatch(batchSize, Math.min(limiter.rateUnitsSec, limiter.unitsPerMinute), costs.get),
          messageUrl: (id) => messageUrl(id, getOptions),
          signal: getOptions.signal,
        },
        ids,
      )
    },

    listHistory,

    historyPages: (params: ListHistoryParams) =>
      paginate('history.list', params.pageToken, (pageToken) =>
        listHistory({ ...params, ...(pageToken === undefined ? {} : { pageToken }) }),
      ),

    getAttachment: async (messageId: string, attachmentId: string, callOptions: GmailCallOptions = {}): Promise<GmailAttachmentData> => {
      const url = `${userUrl}/messages/${encodeURIComponent(checkId('messageId', messageId))}/attachments/${encodeURIComponent(checkId('attachmentId', attachmentId))}`
      const attachment = await getJson('attachments.get', url, costs.attachment, callOptions.signal, readAttachment)
      const data = Buffer.from(attachment.data, 'base64url')
      return { size: typeof attachment.size === 'number' ? attachment.size : data.length, data }
    },
  }
}
