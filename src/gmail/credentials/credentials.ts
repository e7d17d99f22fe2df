/**
 * Where the Gmail client gets its access tokens. Two providers implement it: domain-wide
 * delegation (`dwd.ts`, a service account acting for each mailbox) and OAuth
 * (`oauth.ts`, each user's own refresh token).
 */

/** The one scope the library asks for: it only ever reads mail. */
export const GMAIL_READONLY_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly'

/** An access token and when it stops being valid. */
export interface AccessToken {
  /** The bearer token. Never logged. */
  readonly token: string
  /** When Google said it expires. */
  readonly expiresAt: Date
}

/**
 * Gives access tokens for mailboxes. Implementations cache tokens per mailbox and make at most
 * one request to the token endpoint per mailbox at a time.
 *
 * Errors: `UpstreamError` with reason `invalid_grant` when the grant was revoked or the
 * mailbox is unknown (the account needs attention; other accounts go on), `ConfigurationError`
 * when the client is not authorized (`unauthorized_client`: delegation is not set up), another
 * `UpstreamError` (retryable or not) when the token endpoint fails.
 */
export interface AccessTokenProvider {
  /**
   * A valid token for `mailbox`: from the cache while it has more than five minutes left,
   * otherwise a new one. `forceRefresh` skips the cache (after Gmail answered 401).
   */
  getAccessToken(mailbox: string, options?: { readonly forceRefresh?: boolean }): Promise<AccessToken>
}
