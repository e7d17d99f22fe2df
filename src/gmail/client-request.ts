/**
 * Sends one Gmail HTTP request: takes a slot and the call's quota units from the account's
 * limiter, adds the bearer token, applies the per-request timeout, and turns any error answer
 * into an `UpstreamError`. A 401 is answered by asking for a fresh token once and sending
 * again. Retrying other failures is the caller's business (`withGmailRetry`).
 */
import { Gaxios, GaxiosError } from 'gaxios'
import type { Clock, Logger } from '../hooks.js'
import type { AccessTokenProvider } from './credentials/credentials.js'
import { gmailHttpError, gmailNetworkError } from './gmail-errors.js'
import type { QuotaLimiter } from './quota.js'

/** What the transport needs. */
export interface GmailTransportOptions {
  readonly mailbox: string
  readonly credentials: AccessTokenProvider
  readonly limiter: QuotaLimiter
  readonly timeoutMs: number
  readonly clock: Clock
  readonly logger?: Logger | undefined
}

/** One HTTP request to Gmail. */
export interface GmailHttpRequest {
  /** The Gmail method, for messages and logs (`messages.get`, `batch`). */
  readonly operation: string
  readonly url: string
  readonly method?: 'GET' | 'POST'
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** Quota units the request spends (a batch: the sum of its parts). */
  readonly units: number
  readonly signal?: AbortSignal | undefined
}

/** A successful (2xx) answer. */
export interface GmailHttpResponse {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  readonly body: string
}

/** Counters of what the transport sent, for the sync reports. */
export interface GmailUsage {
  /** Quota units charged for requests actually sent. */
  unitsSpent: number
  /** HTTP requests sent (a batch counts once). */
  requests: number
  /** Retries made by the retry loops. */
  retries: number
}

/** Sends requests for one mailbox; see the module comment. */
export interface GmailTransport {
  readonly usage: GmailUsage
  send(request: GmailHttpRequest): Promise<GmailHttpResponse>
}

/**
 * Creates the transport of one mailbox.
 *
 * @example
 * ```ts
 * const transport = createGmailTransport({ mailbox, credentials, limiter, timeoutMs: 60_000, clock })
 * const { body } = await transport.send({ operation: 'getProfile', url, units: 1 })
 * ```
 */
export function createGmailTransport(options: GmailTransportOptions): GmailTransport {
  const { mailbox, credentials, limiter, timeoutMs, clock, logger } = options
  // gaxios retries nothing here: one retry loop (p-retry) decides, by Google's error reasons.
  const http = new Gaxios({ retry: false })
  const usage: GmailUsage = { unitsSpent: 0, requests: 0, retries: 0 }

  async function exchange(request: GmailHttpRequest, forceRefresh: boolean): Promise<GmailHttpResponse> {
    const { signal } = request
    // The token comes first so that a token failure spends no quota and holds no slot; a
    // token that expires while the call waits for quota is caught by the 401 path below.
    const token = await credentials.getAccessToken(mailbox, forceRefresh ? { forceRefresh: true } : undefined)
    const permit = await limiter.acquire(request.units, signal)
    try {
      const timeout = AbortSignal.timeout(timeoutMs)
      usage.unitsSpent += request.units
      usage.requests++
      try {
        const response = await http.request<string>({
          url: request.url,
          method: request.method ?? 'GET',
          headers: { ...request.headers, Authorization: `Bearer ${token.token}` },
          ...(request.body === undefined ? {} : { data: request.body }),
          responseType: 'text',
          validateStatus: () => true,
          retry: false,
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        })
        const body = typeof response.data === 'string' ? response.data : ''
        return { status: response.status, headers: response.headers, body }
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason
        // The GaxiosError holds the request options (and so the token); keep only its cause.
        const cause = error instanceof GaxiosError ? (error.cause ?? new Error(error.message)) : error
        throw gmailNetworkError(request.operation, cause, timeout.aborted ? timeoutMs : null)
      }
    } finally {
      permit.release()
    }
  }

  async function send(request: GmailHttpRequest): Promise<GmailHttpResponse> {
    let refreshed = false
    for (;;) {
      const response = await exchange(request, refreshed)
      if (response.status >= 200 && response.status < 300) return response
      if (response.status === 401 && !refreshed) {
        // The cached token was revoked or expired early: one fresh token, one more try.
        refreshed = true
        logger?.info?.({ operation: request.operation, mailbox }, 'Gmail answered 401; refreshing the access token once')
        continue
      }
      throw gmailHttpError({
        operation: request.operation,
        status: response.status,
        headers: response.headers,
        body: response.body,
        now: clock.now(),
      })
    }
  }

  return { usage, send }
}
