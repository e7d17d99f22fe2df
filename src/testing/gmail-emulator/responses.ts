/**
 * The answers the emulator gives, in the shapes Google uses: the JSON error envelope of the
 * Gmail API (`{ error: { code, message, errors: [{ message, domain, reason }], status } }`) and
 * the flat OAuth error of the token endpoint (`{ error, error_description }`).
 */

/** An answer, before it is written to a socket or into a batch part. */
export interface EmulatorResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Buffer
  /** Send the headers and half of the body, then destroy the socket (an injected reset). */
  readonly reset?: boolean
}

const JSON_TYPE = 'application/json; charset=UTF-8'

/**
 * Google pretty-prints JSON unless `prettyPrint=false`; answering the same way keeps byte
 * counts and parsers honest.
 */
export function jsonResponse(status: number, value: unknown, extraHeaders: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, vary: 'Origin, X-Origin, Referer', ...extraHeaders },
    body: `${JSON.stringify(value, null, 2)}\n`,
  }
}

/** Optional fields of one entry of Google's `errors` array. */
interface ErrorDetail {
  readonly domain?: string
  readonly location?: string
  readonly locationType?: string
}

/** Google's API error envelope. */
export function googleError(
  code: number,
  message: string,
  reason: string,
  status: string,
  detail: ErrorDetail = {},
  extraHeaders: Record<string, string> = {},
): EmulatorResponse {
  const entry: Record<string, string> = { message, domain: detail.domain ?? 'global', reason }
  if (detail.location !== undefined) entry.location = detail.location
  if (detail.locationType !== undefined) entry.locationType = detail.locationType
  return jsonResponse(code, { error: { code, message, errors: [entry], status } }, extraHeaders)
}

/** 404 for an unknown message, attachment owner or expired history id. */
export function notFound(): EmulatorResponse {
  return googleError(404, 'Requested entity was not found.', 'notFound', 'NOT_FOUND')
}

/** 400 for an argument Gmail rejects. */
export function invalidArgument(message: string): EmulatorResponse {
  return googleError(400, message, 'invalidArgument', 'INVALID_ARGUMENT')
}

/** 400 for a query value that does not parse as its declared type, worded as Google words it. */
export function invalidValue(field: string, type: string, value: string): EmulatorResponse {
  return googleError(400, `Invalid value at '${field}' (${type}), ${JSON.stringify(value)}`, 'invalid', 'INVALID_ARGUMENT')
}

/** 400 for a required parameter that is missing. */
export function requiredParameter(name: string): EmulatorResponse {
  return googleError(400, `Required parameter: ${name}`, 'required', 'INVALID_ARGUMENT')
}

const WWW_AUTHENTICATE = 'Bearer realm="https://accounts.google.com/"'

/** 401: no credentials at all (`required`) or a bad, expired or revoked token (`authError`). */
export function unauthenticated(missing: boolean): EmulatorResponse {
  const expected = 'Expected OAuth 2 access token, login cookie or other valid authentication credential. ' +
    'See https://developers.google.com/identity/sign-in/web/devconsole-project.'
  const location = { location: 'Authorization', locationType: 'header' }
  return missing
    ? googleError(401, `Request is missing required authentication credential. ${expected}`, 'required', 'UNAUTHENTICATED',
      location, { 'www-authenticate': WWW_AUTHENTICATE })
    : googleError(401, `Request had invalid authentication credentials. ${expected}`, 'authError', 'UNAUTHENTICATED',
      location, { 'www-authenticate': `${WWW_AUTHENTICATE}, error="invalid_token"` })
}

/** 403 when a token for one mailbox asks for another. */
export function delegationDenied(userId: string): EmulatorResponse {
  return googleError(403, `Delegation denied for ${userId}`, 'forbidden', 'PERMISSION_DENIED')
}

/** 403 when the token lacks every Gmail read scope. */
export function insufficientScope(): EmulatorResponse {
  return googleError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED',
    {}, { 'www-authenticate': `${WWW_AUTHENTICATE}, error="insufficient_scope"` })
}

/** 400 when a service-account token without `sub` (no mailbox) calls Gmail, as Gmail answers it. */
export function failedPrecondition(): EmulatorResponse {
  return googleError(400, 'Precondition check failed.', 'failedPrecondition', 'FAILED_PRECONDITION')
}

/** 403: the per-user quota bucket is empty; `retryAt` is when enough units are back. */
export function userRateLimitExceeded(retryAt: number): EmulatorResponse {
  // Gmail puts two spaces after the first sentence; clients parse this text.
  const message = `User-rate limit exceeded.  Retry after ${new Date(retryAt).toISOString()}`
  return googleError(403, message, 'rateLimitExceeded', 'PERMISSION_DENIED', { domain: 'usageLimits' })
}

/** 429: more requests in flight for one user than Gmail allows. */
export function tooManyConcurrentRequests(): EmulatorResponse {
  return googleError(429, 'Too many concurrent requests for user', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED')
}

/** An injected 429. */
export function rateLimitExceeded(): EmulatorResponse {
  return googleError(429, 'Rate Limit Exceeded', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED', { domain: 'usageLimits' })
}

/** An injected 500 or 503 with Google's `backendError`. */
export function backendError(code: 500 | 503): EmulatorResponse {
  return code === 500
    ? googleError(500, 'Backend Error', 'backendError', 'INTERNAL')
    : googleError(503, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE')
}

/** The token endpoint's flat error (`{ error, error_description }`). */
export function oauthError(status: number, error: string, description: string): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
    body: `${JSON.stringify({ error, error_description: description }, null, 2)}\n`,
  }
}

/** A small HTML page, as Google's consent and 404 pages are. */
export function htmlResponse(status: number, title: string, text: string): EmulatorResponse {
  const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return {
    status,
    headers: { 'content-type': 'text/html; charset=UTF-8' },
    body: `<!DOCTYPE html>\n<html lang=en><title>${escape(title)}</title><p>${escape(text)}</p></html>\n`,
  }
}

/** A 302 to `location`. */
export function redirect(location: string): EmulatorResponse {
  return { status: 302, headers: { location, 'content-type': 'text/html; charset=UTF-8' }, body: '' }
}
