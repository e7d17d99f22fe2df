import type { GmailHistoryPage, GmailHistoryType } from '../../gmail/types.js'
import { toHistoryRecord } from './history.js'
import { decodePageToken, encodePageToken, pageSizeParam, rejectUnknownParams, uintParam } from './params.js'
import type { HandlerInput } from './params.js'
import { invalidArgument, invalidValue, jsonResponse, notFound, requiredParameter } from './responses.js'
import type { EmulatorResponse } from './responses.js'

const HISTORY_TYPES: readonly GmailHistoryType[] = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved']
const HISTORY_TYPE_TYPE = 'type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryType'

/** `messageAdded` as given, or its enum spelling `MESSAGE_ADDED`. */
function historyType(value: string): GmailHistoryType | undefined {
  const key = value.replace(/_/g, '').toLowerCase()
  return HISTORY_TYPES.find((t) => t.toLowerCase() === key)
}

/**
 * `users.history.list`: the records after `startHistoryId`, oldest first, filtered by
 * `historyTypes` and `labelId`, paged; 404 when records after the start have expired.
 */
export function listHistory({ ctx, mailbox, params }: HandlerInput): EmulatorResponse {
  const bad = rejectUnknownParams(params, ['startHistoryId', 'historyTypes', 'labelId', 'maxResults', 'pageToken'])
  if (bad !== null) return bad
  const start = uintParam(params, 'startHistoryId', 'start_history_id', 'TYPE_UINT64')
  if (typeof start === 'object') return start
  if (start === undefined) return requiredParameter('startHistoryId')
  const size = pageSizeParam(params)
  if (typeof size === 'object') return size
  const types = new Set<GmailHistoryType>()
  for (const value of params.getAll('historyTypes')) {
    const type = historyType(value)
    if (type === undefined) return invalidValue('history_types', HISTORY_TYPE_TYPE, value)
    types.add(type)
  }
  const labelId = params.get('labelId')
  const pageToken = params.get('pageToken')
  let from = start
  if (pageToken !== null && pageToken !== '') {
    const [position, ...rest] = decodePageToken(pageToken) ?? []
    if (position === undefined || rest.length > 0 || !/^\d+$/.test(position) || Number(position) < start) {
      return invalidArgument('Invalid pageToken')
    }
    from = Number(position)
  }
  const log = mailbox.history
  log.prune(ctx.now(), ctx.options.historyTtl)
  if (log.isExpired(start)) return notFound()
  const matching = log.after(from).filter((r) =>
    (types.size === 0 || types.has(r.type)) &&
    (labelId === null || r.message.labelIds.includes(labelId) || r.labels.includes(labelId)))
  const page = matching.slice(0, size)
  const last = page.at(-1)
  const body: GmailHistoryPage = {
    ...(page.length > 0 ? { history: page.map(toHistoryRecord) } : {}),
    ...(matching.length > size && last !== undefined ? { nextPageToken: encodePageToken([last.id]) } : {}),
    historyId: String(log.currentId),
  }
  return jsonResponse(200, body)
}
