/**
 * The form-encoded POST to Google's token endpoint that both credential providers make: retries
 * of 5xx, 429 and connection errors, the reading of its grant and of its error answers, and the
 * messages those become (never with a secret in them).
 */
import { Gaxios } from 'gaxios'
import { UpstreamError } from '../../errors.js'
import type { Logger } from '../../hooks.js'
import { Secret } from '../../secrets/secret.js'
import type { AccessToken } from './credentials.js'

/**
 * Waits before each retry of a 5xx, 429 or connection error: two retries, over about a second,
 * enough for a blip of Google's front end without stalling the mailbox's sync for long.
 */
export const TOKEN_RETRY_DELAYS_MS: readonly number[] = [250, 1000]
/** Google's descriptions are one sentence; anything longer is not worth carrying into a message. */
const MAX_DESCRIPTION_CHARS = 300

/** One instance for the token endpoint only: no interceptors another user of gaxios may add. */
const http = new Gaxios()

/** A successful answer of the token endpoint, as Google sends it. */
export interface TokenGrant {
  readonly accessToken: string
  /** Seconds the access token lives, from when the request was sent. */
  readonly expiresIn: number
  readonly refreshToken: string | null
  readonly scope: string | null
}

/** An error answer of the token endpoint: `{ error, error_description }` with a 4xx status. */
export interface TokenFailure {
  readonly status: number
  /** Google's `error` (`invalid_grant`, `unauthorized_client`, ...), or `http_<status>` when the body had none. */
  readonly error: string
  /** Google's `error_description`, shortened and with every known secret removed; may be empty. */
  readonly description: string
}

/** What {@link postTokenForm} sends. */
export interface TokenRequest {
  readonly tokenUrl: string
  /** The form fields; the secret ones (assertion, client secret, refresh token, code, verifier) as {@link Secret}. */
  readonly form: Readonly<Record<string, string | Secret>>
  readonly timeoutMs: number
}

/** The result of {@link postTokenForm}: the grant, or a 4xx failure for the provider to map. */
export type TokenResult = { readonly ok: true; readonly grant: TokenGrant } | { readonly ok: false; readonly failure: TokenFailure }

/**
 * POSTs a form to the token endpoint. Gives the grant or the 4xx failure; throws a retryable
 * {@link UpstreamError} for a 5xx, a timeout or a network error, and a non-retryable one for a
 * 2xx that is not a token. Nothing of the form (the assertion, a secret, a code) can reach a
 * message: causes are rebuilt from the error code only, and a description that echoes a secret
 * field is withheld.
 *
 * Retries: a 5xx, a 429 or a connection error is tried again after {@link TOKEN_RETRY_DELAYS_MS}
 * (bounded, and shared by every caller behind the single-flight), because the Gmail client does
 * not retry token failures and one blip would otherwise fail a mailbox's whole sync run. A
 * timeout is not retried: the endpoint already had `timeoutMs`. What still fails is thrown as a
 * retryable {@link UpstreamError}, for the next run.
 *
 * @example
 * ```ts
 * const result = await postTokenForm({ tokenUrl, form: { grant_type: 'refresh_token', ... }, timeoutMs })
 * if (!result.ok) throw mapFailure(result.failure)
 * ```
 */
export async function postTokenForm(request: TokenRequest): Promise<TokenResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(request)
    } catch (error) {
      const delayMs = TOKEN_RETRY_DELAYS_MS[attempt]
      const again = error instanceof UpstreamError && error.retryable && error.reason !== 'timeout'
      if (!again || delayMs === undefined) throw error
      await new Promise((resolve) => setTimeout(resolve, delayMs))
    }
  }
}

/** Whose grant a provider asks for, for the lines it logs (never a token or secret). */
export interface GrantLog {
  readonly mailbox: string
  readonly mode: 'dwd' | 'oauth'
  readonly logger: Logger
}

/**
 * A mailbox's grant from the token endpoint ({@link postTokenForm}), logged as every provider
 * logs it: an endpoint failure is logged and thrown on, a refusal logged and thrown as the
 * provider's own error (`refused`).
 *
 * @example
 * ```ts
 * const grant = await requestGrant({ tokenUrl, form, timeoutMs }, { mailbox, mode: 'dwd', logger }, (failure) => genericFailure(failure, `for ${mailbox}`))
 * ```
 */
export async function requestGrant(request: TokenRequest, log: GrantLog, refused: (failure: TokenFailure) => Error): Promise<TokenGrant> {
  const { mailbox, mode, logger } = log
  const result = await postTokenForm(request).catch((error: unknown) => {
    if (error instanceof UpstreamError) logger.warn?.({ mailbox, mode, reason: error.reason }, 'gmail token endpoint failed')
    throw error
  })
  if (!result.ok) {
    logger.warn?.({ mailbox, mode, status: result.failure.status, reason: result.failure.error }, 'gmail token refused')
    throw refused(result.failure)
  }
  return result.grant
}

/**
 * The access token of a grant, expiring `expiresIn` seconds after the request was sent; logs it
 * granted (its expiry only).
 *
 * @example
 * ```ts
 * return grantedToken(grant, sentAt, { mailbox, mode: 'oauth', logger })
 * ```
 */
export function grantedToken(grant: TokenGrant, sentAt: Date, log: GrantLog): AccessToken {
  const expiresAt = new Date(sentAt.getTime() + grant.expiresIn * 1000)
  log.logger.debug?.({ mailbox: log.mailbox, mode: log.mode, expiresAt: expiresAt.toISOString() }, 'gmail token granted')
  return { token: grant.accessToken, expiresAt }
}

async function postOnce(request: TokenRequest): Promise<TokenResult> {
  let status: number
  let text: string
  try {
    const response = await http.request<string>({
      url: request.tokenUrl,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      data: formBody(request.form),
      timeout: request.timeoutMs,
      retry: false,
      responseType: 'text',
      validateStatus: () => true,
    })
    status = response.status
    text = typeof response.data === 'string' ? response.data : ''
  } catch (error) {
    const code = networkCode(error)
    throw new UpstreamError(`Google's token endpoint could not be reached (${code})`, {
      reason: code,
      retryable: true,
      cause: new Error(code),
    })
  }
  const body = parseJsonObject(text)
  if (status >= 500 || status === 429) {
    throw new UpstreamError(`Google's token endpoint answered ${status}; try again later`, {
      upstreamStatus: status,
      reason: typeof body.error === 'string' ? body.error : `http_${status}`,
      retryable: true,
    })
  }
  if (status >= 200 && status < 300) return { ok: true, grant: readGrant(body, status) }
  const secrets = Object.values(request.form).flatMap((v) => (v instanceof Secret ? [v.reveal()] : []))
  return {
    ok: false,
    failure: {
      status,
      error: typeof body.error === 'string' && body.error !== '' ? body.error : `http_${status}`,
      description: scrub(typeof body.error_description === 'string' ? body.error_description : '', secrets),
    },
  }
}

/**
 * The fallback mapping of a 4xx failure: a non-retryable {@link UpstreamError} with Google's reason.
 *
 * @example
 * ```ts
 * if (!result.ok) throw genericFailure(result.failure, 'for ann@fund.example')
 * ```
 */
export function genericFailure(failure: TokenFailure, what: string): UpstreamError {
  return new UpstreamError(`Google's token endpoint refused the grant ${what}: ${failure.status} ${failure.error}${describe(failure)}`, {
    upstreamStatus: failure.status,
    reason: failure.error,
    retryable: false,
  })
}

/**
 * Google's description as a message suffix (`: ...`), or nothing when it gave none.
 *
 * @example
 * ```ts
 * `the grant was refused${describe(failure)}`
 * ```
 */
export function describe(failure: TokenFailure): string {
  return failure.description === '' ? '' : ` (Google says: ${failure.description})`
}

function readGrant(body: Record<string, unknown>, status: number): TokenGrant {
  const accessToken = body.access_token
  const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in
  if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new UpstreamError(`Google's token endpoint answered ${status} without an access_token and expires_in; is the token URL right?`, {
      upstreamStatus: status,
      reason: 'invalid_response',
      retryable: false,
    })
  }
  const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null
  const scope = typeof body.scope === 'string' ? body.scope : null
  return { accessToken, expiresIn, refreshToken, scope }
}

function formBody(form: TokenRequest['form']): URLSearchParams {
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(form)) body.set(name, value instanceof Secret ? value.reveal() : value)
  return body
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function scrub(description: string, secrets: readonly string[]): string {
  let out = description.slice(0, MAX_DESCRIPTION_CHARS)
  // Checked against the full text, so a secret cut in half by the slice is still caught.
  for (const secret of secrets) if (secret !== '' && description.includes(secret)) out = '[description withheld: it echoed a secret]'
  return out
}

function networkCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'network_error'
  const { code, cause } = error as { code?: unknown; cause?: unknown }
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code
  const causeName = typeof cause === 'object' && cause !== null ? (cause as { name?: unknown }).name : undefined
  if (causeName === 'AbortError' || causeName === 'TimeoutError') return 'timeout'
  return 'network_error'
}
