import type { UpstreamError } from '../errors.js'

/** A message that could not be captured this time. */
export interface CaptureFailure {
  readonly gmailId: string
  readonly reason: string
  /**
   * Whether a later attempt may succeed: Gmail, the network, the disk or the database was
   * unavailable. `false` when the message itself is at fault (too deep, too large, unparseable,
   * refused by Gmail as a bad request): a scheduled sync never fetches it again.
   */
  readonly retryable: boolean
}

/**
 * Gmail statuses that refuse the message for good: 400 is the request's own fault (an id Gmail
 * cannot serve) and fails the same way every time. Not 401 or 403, which speak of the account's
 * access and come right once an administrator fixes it; 404 is not a failure (the message is
 * gone, and skipped).
 */
const PERMANENT_GMAIL_STATUSES: ReadonlySet<number> = new Set([400])

/** A message Gmail would not serve, classified: only a refusal of the message itself is permanent. */
export function gmailFailure(gmailId: string, error: UpstreamError): CaptureFailure {
  const permanent = !error.retryable && error.upstreamStatus !== null && PERMANENT_GMAIL_STATUSES.has(error.upstreamStatus)
  return { gmailId, reason: error.message, retryable: !permanent }
}
