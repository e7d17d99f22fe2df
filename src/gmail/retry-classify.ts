/**
 * Which Gmail failures are worth trying again. Google's guidance: retry 429, 5xx and the 403s
 * whose reason says a rate limit was hit; every other 4xx is the request's own fault and would
 * fail the same way again. The reason in the error body decides, not the status alone, because
 * Gmail answers 403 both for "slow down" and for "you may never do this".
 */

/**
 * 403 reasons (`error.errors[0].reason`) that mean "slow down", not "forbidden". The upper-case
 * one is the AIP-193 `ErrorInfo.reason` newer Google front ends send instead.
 */
export const RETRYABLE_403_REASONS: ReadonlySet<string> = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'backendError',
  'RATE_LIMIT_EXCEEDED',
])

/** Reasons that mean the account's quota (not the request) is at fault: slow the whole account. */
export const QUOTA_REASONS: ReadonlySet<string> = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'RATE_LIMIT_EXCEEDED',
])

/**
 * System error codes of a connection that broke before an answer came; the request may not
 * have reached Gmail, and reading mail is idempotent, so sending it again is safe.
 */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
])

/** How a failed answer from Gmail should be treated. */
export interface GmailFailureClass {
  /** Trying again later may succeed. */
  readonly retryable: boolean
  /** The account's rate limit was hit: every call of the account should slow down. */
  readonly quota: boolean
}

/**
 * Classifies an HTTP failure by its status and Google's reason.
 *
 * @param status - the HTTP status Gmail answered (a whole request's or one batch part's).
 * @param reason - `error.errors[0].reason` from the body, or `null` when it had none.
 * @returns whether to retry, and whether the account's quota is at fault.
 *
 * @example
 * ```ts
 * classifyGmailFailure(403, 'userRateLimitExceeded') // { retryable: true, quota: true }
 * classifyGmailFailure(403, 'insufficientPermissions') // { retryable: false, quota: false }
 * ```
 */
export function classifyGmailFailure(status: number, reason: string | null): GmailFailureClass {
  if (status === 429) return { retryable: true, quota: true }
  if (status >= 500) return { retryable: true, quota: false }
  if (status === 403 && reason !== null && RETRYABLE_403_REASONS.has(reason)) {
    return { retryable: true, quota: QUOTA_REASONS.has(reason) }
  }
  return { retryable: false, quota: false }
}

/**
 * Whether a transport error (no answer at all) is a broken connection worth retrying.
 *
 * @param code - the system error code (`ECONNRESET`, ...), when the error had one.
 * @param message - the error message, for the stacks that only say "socket hang up".
 *
 * @example
 * ```ts
 * isRetryableNetworkFailure('ECONNRESET', 'socket hang up') // true
 * isRetryableNetworkFailure('ENOTFOUND', 'getaddrinfo ENOTFOUND gmail.example') // false
 * ```
 */
export function isRetryableNetworkFailure(code: string | undefined, message: string): boolean {
  if (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) return true
  return /socket hang up|other side closed|premature close|network socket disconnected/i.test(message)
}
