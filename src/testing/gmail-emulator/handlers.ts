import type { GmailMessage, GmailMessageListPage, GmailProfile } from '../../gmail/types.js'
import type { StoredMessage } from './mailbox.js'
import { walkMime } from './mime.js'
import {
  boolParam, decodePageToken, encodePageToken, metadataOnly, metadataScopeForbids, pageSizeParam, rejectUnknownParams,
} from './params.js'
import type { HandlerInput } from './params.js'
import { fullPayload, metadataPayload } from './payload.js'
import { parseSearchQuery } from './query.js'
import { invalidArgument, invalidValue, jsonResponse, notFound } from './responses.js'
import type { EmulatorResponse } from './responses.js'

const FORMATS = ['minimal', 'full', 'raw', 'metadata'] as const
type Format = (typeof FORMATS)[number]
const FORMAT_TYPE = 'type.googleapis.com/google.apps.gmail.v1.GetMessageRequest.Format'
/** Gmail ids are hex; anything else is refused before lookup with 400 "Invalid id value". */
const MESSAGE_ID = /^[0-9a-f]{1,16}$/i
const SPAM_AND_TRASH = ['SPAM', 'TRASH']

/** `users.getProfile`. */
export function getProfile({ mailbox, params }: HandlerInput): EmulatorResponse {
  const bad = rejectUnknownParams(params, [])
  if (bad !== null) return bad
  const profile: GmailProfile = {
    emailAddress: mailbox.address,
    messagesTotal: mailbox.messages.size,
    threadsTotal: mailbox.threadCount(),
    historyId: String(mailbox.history.currentId),
  }
  return jsonResponse(200, profile)
}

function newestFirst(a: StoredMessage, b: StoredMessage): number {
  return b.internalDate - a.internalDate || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

function listCursor(token: string | null): { date: number; id: string } | null | 'invalid' {
  if (token === null || token === '') return null
  const [date, id, ...rest] = decodePageToken(token) ?? []
  if (date === undefined || id === undefined || rest.length > 0 || !/^\d+$/.test(date)) return 'invalid'
  return { date: Number(date), id }
}

/** `users.messages.list`: newest first, filtered by `labelIds` (all), `q` and spam/trash. */
export function listMessages({ mailbox, grant, params }: HandlerInput): EmulatorResponse {
  const bad = rejectUnknownParams(params, ['maxResults', 'pageToken', 'labelIds', 'includeSpamTrash', 'q'])
  if (bad !== null) return bad
  const size = pageSizeParam(params)
  if (typeof size === 'object') return size
  const includeSpamTrash = boolParam(params, 'includeSpamTrash', 'include_spam_trash')
  if (typeof includeSpamTrash === 'object') return includeSpamTrash
  const q = params.get('q') ?? ''
  if (q.trim() !== '' && metadataOnly(grant)) return metadataScopeForbids("Metadata scope does not support 'q' parameter")
  const query = q.trim() === '' ? null : parseSearchQuery(q)
  if (query !== null && 'error' in query) return invalidArgument(query.error)
  const labelIds = params.getAll('labelIds')
  const cursor = listCursor(params.get('pageToken'))
  if (cursor === 'invalid') return invalidArgument('Invalid pageToken')
  // Naming SPAM or TRASH (labelIds, in:, label:) lifts their default exclusion, as in Gmail.
  const excludeSpamTrash = !includeSpamTrash && query?.namesSpamOrTrash !== true &&
    !labelIds.some((l) => SPAM_AND_TRASH.includes(l))
  const matching = [...mailbox.messages.values()]
    .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
    .filter((m) => !excludeSpamTrash || !m.labelIds.some((l) => SPAM_AND_TRASH.includes(l)))
    .filter((m) => query === null || query.matches(m))
    .sort(newestFirst)
  const after = cursor === null ? matching : matching.filter((m) =>
    m.internalDate < cursor.date || (m.internalDate === cursor.date && m.id < cursor.id))
  const page = after.slice(0, size)
  const last = page.at(-1)
  const body: GmailMessageListPage = {
    ...(page.length > 0 ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
    ...(after.length > size && last !== undefined ? { nextPageToken: encodePageToken([last.internalDate, last.id]) } : {}),
    resultSizeEstimate: matching.length,
  }
  return jsonResponse(200, body)
}

function findMessage({ mailbox, args }: HandlerInput): StoredMessage | EmulatorResponse {
  const id = args[0] ?? ''
  if (!MESSAGE_ID.test(id)) return invalidArgument('Invalid id value')
  return mailbox.messages.get(id.toLowerCase()) ?? notFound()
}

/** `users.messages.get` in any format. */
export function getMessage(input: HandlerInput): EmulatorResponse {
  const { ctx, grant, params } = input
  const bad = rejectUnknownParams(params, ['format', 'metadataHeaders'])
  if (bad !== null) return bad
  const formatParam = params.get('format') ?? 'full'
  const format = FORMATS.find((f) => f === formatParam.toLowerCase())
  if (format === undefined) return invalidValue('format', FORMAT_TYPE, formatParam)
  if ((format === 'full' || format === 'raw') && metadataOnly(grant)) {
    return metadataScopeForbids(`Metadata scope doesn't allow format ${format.toUpperCase()}`)
  }
  const message = findMessage(input)
  if ('status' in message) return message
  if (format === 'full' || format === 'raw') ctx.stats.download(message.id)
  return jsonResponse(200, renderMessage(input, message, format))
}

function renderMessage({ ctx, params }: HandlerInput, m: StoredMessage, format: Format): GmailMessage {
  const head = {
    id: m.id,
    threadId: m.threadId,
    ...(m.labelIds.length > 0 ? { labelIds: m.labelIds } : {}),
    snippet: m.snippet,
  }
  const tail = { sizeEstimate: m.raw.length, historyId: String(m.historyId), internalDate: String(m.internalDate) }
  const attachmentIdOf = (partId: string): string => m.attachmentIds.get(partId) ?? ''
  switch (format) {
    case 'minimal':
      return { ...head, ...tail }
    case 'metadata':
      return { ...head, payload: metadataPayload(m.root, params.getAll('metadataHeaders')), ...tail }
    case 'full':
      return { ...head, payload: fullPayload(m.root, attachmentIdOf, ctx.options.inlineBodyLimit), ...tail }
    case 'raw':
      return { ...head, sizeEstimate: m.raw.length, raw: m.raw.toString('base64url'), historyId: tail.historyId, internalDate: tail.internalDate }
  }
}

/** `users.messages.attachments.get`: the bytes of a part `format=full` gave an `attachmentId`. */
export function getAttachment(input: HandlerInput): EmulatorResponse {
  const { ctx, mailbox, grant, params, args } = input
  const bad = rejectUnknownParams(params, [])
  if (bad !== null) return bad
  if (metadataOnly(grant)) return metadataScopeForbids("Metadata scope doesn't allow format FULL")
  const message = findMessage(input)
  if ('status' in message) return message
  const owner = mailbox.attachments.get(args[1] ?? '')
  if (owner?.messageId !== message.id) return invalidArgument('Invalid attachment token')
  const part = walkMime(message.root).find((n) => n.partId === owner.partId)
  if (part === undefined) return invalidArgument('Invalid attachment token')
  ctx.stats.download(message.id)
  return jsonResponse(200, { size: part.body.length, data: part.body.toString('base64url') })
}
