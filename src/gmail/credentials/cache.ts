/**
 * What both credential providers share: the per-mailbox token cache with one request in flight
 * per mailbox, and the checks of their endpoint options. The POST to Google's token endpoint is
 * in `token-endpoint.ts`.
 */
import { ValidationError } from '../../errors.js'
import type { Clock } from '../../hooks.js'
import type { AccessToken } from './credentials.js'

/** Tokens are replaced this long before Google's expiry, so a token handed out outlives the call that uses it. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000
/** A token endpoint that has not answered in this long is treated as down (retryable). */
export const DEFAULT_TOKEN_TIMEOUT_MS = 10_000
/** Longer than this and a stuck token endpoint would stall every sync behind it. */
export const MAX_TOKEN_TIMEOUT_MS = 120_000
/**
 * Checks a `timeoutMs` option and returns it, or the default when absent. Zero, NaN and
 * non-integers are refused: they would switch the timeout off or mean nothing.
 *
 * @example
 * ```ts
 * const timeoutMs = resolveTimeoutMs(options.timeoutMs)
 * ```
 */
export function resolveTimeoutMs(value: number | undefined): number {
  if (value === undefined) return DEFAULT_TOKEN_TIMEOUT_MS
  if (!Number.isInteger(value) || value < 1 || value > MAX_TOKEN_TIMEOUT_MS) {
    throw new TypeError(`Expected \`timeoutMs\` to be an integer from 1 to ${MAX_TOKEN_TIMEOUT_MS}, got ${String(value)}`)
  }
  return value
}

/**
 * Checks a `tokenUrl` option: an absolute http(s) URL. Returns it as given.
 *
 * @example
 * ```ts
 * const tokenUrl = resolveTokenUrl(options.tokenUrl)
 * ```
 */
export function resolveTokenUrl(value: string): string {
  let url: URL | null = null
  try {
    url = new URL(value)
  } catch {
    url = null
  }
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError('Expected `tokenUrl` to be an absolute http(s) URL, such as https://oauth2.googleapis.com/token')
  }
  return value
}

/** Gives a fresh token for a mailbox; {@link createTokenCache} decides when to call it. */
export type FetchToken = (mailbox: string) => Promise<AccessToken>

/** The cache in front of a {@link FetchToken}. */
export interface TokenCache {
  /** A cached token with more than the margin left, or the result of the one fetch in flight. */
  get(mailbox: string, options?: { readonly forceRefresh?: boolean }): Promise<AccessToken>
}

/**
 * Caches tokens per mailbox (case-insensitive) until {@link TOKEN_REFRESH_MARGIN_MS} before they
 * expire, and lets every caller for a mailbox share the one fetch in flight. Failures are not
 * cached: the next call tries again.
 *
 * @example
 * ```ts
 * const cache = createTokenCache((mailbox) => grantFor(mailbox), clock)
 * const { token } = await cache.get('ann@fund.example')
 * ```
 */
export function createTokenCache(fetchToken: FetchToken, clock: Clock): TokenCache {
  const cached = new Map<string, AccessToken>()
  const inFlight = new Map<string, Promise<AccessToken>>()

  const fresh = (token: AccessToken): boolean =>
    token.expiresAt.getTime() - clock.now().getTime() > TOKEN_REFRESH_MARGIN_MS

  return {
    get(mailbox, options = {}) {
      if (typeof mailbox !== 'string' || !mailbox.includes('@')) {
        return Promise.reject(new ValidationError('mailbox: expected an email address'))
      }
      const key = mailbox.trim().toLowerCase()
      // After a 401 the cached token is known bad: drop it even if the fetch below fails.
      if (options.forceRefresh === true) cached.delete(key)
      const hit = cached.get(key)
      if (hit !== undefined && fresh(hit)) return Promise.resolve(hit)
      // A fetch already under way is fresh enough even for forceRefresh: it started after the 401.
      const pending = inFlight.get(key)
      if (pending !== undefined) return pending
      const request = fetchToken(mailbox.trim())
        .then((token) => {
          if (fresh(token)) cached.set(key, token)
          else cached.delete(key)
          return token
        })
        .finally(() => inFlight.delete(key))
      inFlight.set(key, request)
      return request
    },
  }
}
