/**
 * Turns Gmail's failures (an error answer, or no answer at all) into {@link UpstreamError}s
 * carrying Google's status, reason and message. The access token is never part of a message:
 * messages are built from the answer's body and the operation's name only.
 */
import { errorMessage, UpstreamError } from '../errors.js'
import { redactUrls } from '../secrets/redact.js'
import type { GoogleErrorBody } from './types.js'
import { classifyGmailFailure, isRetryableNetworkFailure } from './retry-classify.js'

/**
 * Longest piece of an error body quoted in a message: enough for Google's one-line messages,
 * short enough that an HTML page from a proxy does not flood the logs.
 */
const MAX_QUOTED_BODY_CHARS = 300

/** Gmail's quota messages end with "Retry after 2026-06-01T07:00:30.123Z". */
const RETRY_AFTER_TEXT = /retry after (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))/i

/** What the retry loop needs to know about a Gmail failure beyond the public error fields. */
export interface GmailFailureHint {
  /** The earliest time Gmail said to try again, or `null` when it did not say. */
  readonly retryAt: Date | null
  /** The account's rate limit was hit: the whole account should slow down. */
  readonly quota: boolean
}

/**
 * Hints kept beside the errors rather than on them, so what callers see is a plain
 * `UpstreamError` of the library's one taxonomy. Only errors made here have a hint, which is
 * also how the retry loop tells Gmail's failures from anything else (token errors, aborts).
 */
const hints = new WeakMap<object, GmailFailureHint>()

/**
 * The retry hint of an error made by the Gmail client, or `undefined` for any other error.
 *
 * @example
 * ```ts
 * const hint = gmailFailureHint(err)
 * if (hint?.retryAt) console.log('Gmail asked to wait until', hint.retryAt.toISOString())
 * ```
 */
export function gmailFailureHint(error: unknown): GmailFailureHint | undefined {
  return typeof error === 'object' && error !== null ? hints.get(error) : undefined
}

/** The parts of Google's error body the client uses. */
export interface GoogleErrorInfo {
  readonly message: string | null
  /** `error.errors[0].reason`, else the AIP-193 `ErrorInfo.reason`, else `error.status`. */
  readonly reason: string | null
}

function errorInfoReason(details: unknown): string | null {
  if (!Array.isArray(details)) return null
  for (const detail of details as unknown[]) {
    if (typeof detail !== 'object' || detail === null) continue
    const { '@type': type, reason } = detail as Record<string, unknown>
    if (typeof type === 'string' && type.endsWith('ErrorInfo') && typeof reason === 'string') return reason
  }
  return null
}

/**
 * Reads Google's JSON error body (`{ error: { code, message, errors: [{ reason }], status } }`).
 *
 * @returns the message and reason, or `null` when the body is not Google's error JSON.
 *
 * @example
 * ```ts
 * parseGoogleError('{"error":{"code":404,"message":"Not Found","errors":[{"reason":"notFound"}]}}')
 * // { message: 'Not Found', reason: 'notFound' }
 * ```
 */
export function parseGoogleError(body: string): GoogleErrorInfo | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  const error = (parsed as Partial<GoogleErrorBody>).error as unknown
  if (typeof error !== 'object' || error === null) return null
  const { message, errors, status, details } = error as Record<string, unknown>
  const first: unknown = Array.isArray(errors) ? (errors as unknown[])[0] : undefined
  const firstReason = typeof first === 'object' && first !== null ? (first as Record<string, unknown>).reason : undefined
  const reason =
    (typeof firstReason === 'string' ? firstReason : null) ??
    errorInfoReason(details) ??
    (typeof status === 'string' ? status : null)
  return { message: typeof message === 'string' ? message : null, reason }
}

/**
 * When Gmail said to try again: the `Retry-After` header (seconds or an HTTP date), or the
 * "Retry after <ISO time>" text of its quota messages; the later of the two when both are given.
 *
 * @param header - the `Retry-After` header value, or `null`.
 * @param message - Google's error message, searched for "Retry after <ISO time>".
 * @param now - the current time, for a header given in seconds.
 *
 * @example
 * ```ts
 * parseRetryAt('30', null, new Date('2026-06-01T07:00:00Z'))  // 2026-06-01T07:00:30Z
 * parseRetryAt(null, 'User-rate limit exceeded.  Retry after 2026-06-01T07:05:00.000Z', new Date())
 * ```
 */
export function parseRetryAt(header: string | null, message: string | null, now: Date): Date | null {
  const candidates: number[] = []
  const value = header?.trim() ?? ''
  if (/^\d+(?:\.\d+)?$/.test(value)) candidates.push(now.getTime() + Number(value) * 1000)
  else if (value !== '') {
    const date = Date.parse(value)
    if (Number.isFinite(date)) candidates.push(date)
  }
  const text = message === null ? null : RETRY_AFTER_TEXT.exec(message)
  if (text?.[1] !== undefined) {
    const date = Date.parse(text[1])
    if (Number.isFinite(date)) candidates.push(date)
  }
  return candidates.length === 0 ? null : new Date(Math.max(...candidates))
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > MAX_QUOTED_BODY_CHARS ? `${flat.slice(0, MAX_QUOTED_BODY_CHARS)}...` : flat
}

/** An error answer from Gmail: a whole request's, or one batch part's. */
export interface GmailHttpFailure {
  /** The Gmail method, for the message (`messages.get`, `batch`). */
  readonly operation: string
  readonly status: number
  /** The answer's headers (only `Retry-After` is read). */
  readonly headers: { get(name: string): string | null }
  readonly body: string
  /** The current time, to resolve a `Retry-After` given in seconds. */
  readonly now: Date
}

/**
 * The {@link UpstreamError} for an error answer: Google's status, reason and message, and
 * whether retrying may help (see `classifyGmailFailure`).
 *
 * @example
 * ```ts
 * const err = gmailHttpError({ operation: 'messages.get', status: 404, headers: new Headers(), body, now: new Date() })
 * err.reason // 'notFound'
 * ```
 */
export function gmailHttpError(failure: GmailHttpFailure): UpstreamError {
  const google = parseGoogleError(failure.body)
  const reason = google?.reason ?? null
  const detail = google?.message ?? (failure.body.trim() === '' ? 'no error body' : quote(failure.body))
  const { retryable, quota } = classifyGmailFailure(failure.status, reason)
  const message = `Gmail ${failure.operation} failed: ${failure.status}${reason === null ? '' : ` ${reason}`}: ${quote(detail)}`
  const error = new UpstreamError(message, {
    upstreamStatus: failure.status,
    ...(reason === null ? {} : { reason }),
    retryable,
  })
  const retryAt = retryable ? parseRetryAt(failure.headers.get('retry-after'), google?.message ?? null, failure.now) : null
  hints.set(error, { retryAt, quota })
  return error
}

/**
 * The {@link UpstreamError} for a request that got no answer: a timeout, or a connection that
 * broke. The cause is the underlying system error, never the request options (which hold the
 * Authorization header).
 *
 * @param operation - the Gmail method, for the message.
 * @param cause - the error the HTTP stack threw.
 * @param timeoutMs - set when the client's own timeout fired.
 *
 * @example
 * ```ts
 * throw gmailNetworkError('messages.list', err, null)
 * ```
 */
export function gmailNetworkError(operation: string, cause: unknown, timeoutMs: number | null): UpstreamError {
  if (timeoutMs !== null) {
    const error = new UpstreamError(`Gmail ${operation} failed: no answer within ${timeoutMs} ms`, {
      reason: 'timeout',
      retryable: true,
      cause,
    })
    hints.set(error, { retryAt: null, quota: false })
    return error
  }
  const { code, message } = systemErrorOf(cause)
  const retryable = isRetryableNetworkFailure(code, message)
  const error = new UpstreamError(`Gmail ${operation} failed: ${code ?? 'network error'} (${quote(message)})`, {
    ...(code === undefined ? {} : { reason: code }),
    retryable,
    cause,
  })
  hints.set(error, { retryAt: null, quota: false })
  return error
}

/**
 * The innermost error with a system `code`, and a message without the URL's query string
 * (fetch quotes the whole URL) and without credentials a configured base URL may carry.
 */
function systemErrorOf(error: unknown): { code: string | undefined; message: string } {
  let current: unknown = error
  let message = errorMessage(error)
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (typeof code === 'string') {
      if (current instanceof Error) message = current.message
      return { code, message: redactUrls(message).replace(/\?[^\s,]*/, '') }
    }
    current = cause
  }
  return { code: undefined, message: redactUrls(message).replace(/\?[^\s,]*/, '') }
}

/**
 * The {@link UpstreamError} for an answer that broke the protocol: a batch answer that is not
 * multipart, a part that is missing, a body that is not the JSON Gmail documents.
 *
 * @param operation - the Gmail method, for the message.
 * @param problem - what was wrong, for the operator.
 * @param retryable - whether sending the request again may help (a dropped part may; a
 *   consistently malformed answer will not).
 *
 * @example
 * ```ts
 * throw gmailProtocolError('batch', 'the answer has no multipart boundary', false)
 * ```
 */
export function gmailProtocolError(operation: string, problem: string, retryable: boolean, reason = 'malformedResponse'): UpstreamError {
  const error = new UpstreamError(`Gmail ${operation} failed: ${problem}`, { reason, retryable })
  hints.set(error, { retryAt: null, quota: false })
  return error
}
