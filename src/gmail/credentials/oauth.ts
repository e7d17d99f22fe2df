/**
 * OAuth mode: each mailbox owner consented once; their refresh token (stored sealed, see
 * `oauth/token-store.ts`) is traded for access tokens. Also the authorization-code exchange that
 * ends the consent flow (with the PKCE verifier).
 */
import { ConfigurationError, UpstreamError, ValidationError } from '../../errors.js'
import { SYSTEM_CLOCK, type Clock, type Logger } from '../../hooks.js'
import { Secret } from '../../secrets/secret.js'
import { createTokenCache, resolveTimeoutMs, resolveTokenUrl } from './cache.js'
import { describe, genericFailure, grantedToken, postTokenForm, requestGrant, type TokenFailure } from './token-endpoint.js'
import type { AccessToken, AccessTokenProvider } from './credentials.js'

/** RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters. */
const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** The OAuth client, as `CRM_GMAIL_OAUTH_CLIENT_ID` / `_SECRET` give it. */
export interface OAuthClient {
  readonly clientId: string
  readonly clientSecret: Secret
  /** Google's token endpoint (`CRM_GMAIL_TOKEN_URL`). */
  readonly tokenUrl: string
  /** How long to wait for the token endpoint, in ms. Default 10 000. */
  readonly timeoutMs?: number
}

/** Options of {@link createOAuthCredentials}. */
export interface OAuthCredentialsOptions extends OAuthClient {
  /**
   * The mailbox's refresh token, or `null` when its owner has not consented. Kept apart from the
   * database so the provider is testable alone; the integration builds it from
   * `loadRefreshToken(context, box, account)`, which opens the sealed envelope (and re-seals it
   * under the current key during a rotation).
   */
  readonly refreshTokenFor: (mailbox: string) => Promise<Secret | null>
  /**
   * Called when Google sends a new refresh token with an access token; store it (for example
   * with `saveRefreshToken`). A failure is logged and the access token still returned: the old
   * refresh token usually keeps working.
   */
  readonly onRefreshTokenRotated?: (mailbox: string, refreshToken: Secret) => Promise<void>
  /** What time it is, for the cache. Default: the system clock. */
  readonly clock?: Clock
  /** Where grants and refusals are logged (never a token or secret). */
  readonly logger?: Logger
}

/**
 * An {@link AccessTokenProvider} for OAuth mode: trades the mailbox's refresh token for an
 * access token (`grant_type=refresh_token`), cached until 5 minutes before expiry, one request
 * in flight per mailbox.
 *
 * Errors: no stored refresh token, or Google's `invalid_grant` (revoked or expired), is an
 * `UpstreamError` with reason `invalid_grant` (the owner must consent again; other accounts go
 * on); `invalid_client` / `unauthorized_client` a `ConfigurationError` on the OAuth client
 * variables; other 4xx a non-retryable `UpstreamError`; 5xx, 429 and connection errors are
 * retried twice within about a second, then (like a timeout) are a retryable one. Errors of
 * `refreshTokenFor` (such as a `DecryptionError`) pass through unchanged.
 *
 * @example
 * ```ts
 * const credentials = createOAuthCredentials({
 *   clientId: config.oauth.clientId,
 *   clientSecret: config.oauth.clientSecret,
 *   tokenUrl: config.tokenUrl,
 *   refreshTokenFor: async (mailbox) => {
 *     const row = await findAccountRow(context, mailbox)
 *     return row === undefined ? null : loadRefreshToken(context, box, row)
 *   },
 *   onRefreshTokenRotated: async (mailbox, token) => {
 *     const row = await findAccountRow(context, mailbox)
 *     if (row !== undefined) await saveRefreshToken(context, box, row, token, null)
 *   },
 * })
 * const { token } = await credentials.getAccessToken('ann@fund.example')
 * ```
 */
export function createOAuthCredentials(options: OAuthCredentialsOptions): AccessTokenProvider {
  const client = resolveClient(options)
  const clock = options.clock ?? SYSTEM_CLOCK
  const logger = options.logger ?? {}
  const { refreshTokenFor, onRefreshTokenRotated } = options

  const grant = async (mailbox: string): Promise<AccessToken> => {
    const refreshToken = await refreshTokenFor(mailbox)
    if (refreshToken === null) {
      throw new UpstreamError(
        `No refresh token is stored for ${mailbox}: its owner must grant access (OAuth consent) before it can sync`,
        { reason: 'invalid_grant', retryable: false },
      )
    }
    const sentAt = clock.now()
    const log = { mailbox, mode: 'oauth', logger } as const
    const form = { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: refreshToken }
    const granted = await requestGrant({ tokenUrl: client.tokenUrl, form, timeoutMs: client.timeoutMs }, log, (failure) =>
      oauthFailure(failure, client.clientId, `for ${mailbox}`, () =>
        `the refresh token for ${mailbox} was revoked or has expired (invalid_grant): its owner must grant access again (OAuth consent)`),
    )
    const rotated = granted.refreshToken
    if (rotated !== null && rotated !== refreshToken.reveal() && onRefreshTokenRotated !== undefined) {
      try {
        await onRefreshTokenRotated(mailbox, new Secret(rotated))
        logger.info?.({ mailbox }, 'gmail refresh token rotated')
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error'
        logger.error?.({ mailbox, error: name }, 'gmail refresh token rotated but not stored')
      }
    }
    return grantedToken(granted, sentAt, log)
  }

  const cache = createTokenCache(grant, clock)
  return { getAccessToken: (mailbox, getOptions) => cache.get(mailbox, getOptions) }
}

/** What {@link exchangeAuthorizationCode} needs: the code from the callback and the consent's PKCE verifier. */
export interface AuthorizationCodeExchange extends OAuthClient {
  /** The `code` query parameter of the consent callback. */
  readonly code: string
  /** The PKCE verifier whose S256 challenge started the consent. */
  readonly codeVerifier: Secret | string
  /** The redirect URI the consent used (`CRM_GMAIL_OAUTH_REDIRECT_URI`), exactly. */
  readonly redirectUri: string
  /** What time it is, for `expiresAt`. Default: the system clock. */
  readonly clock?: Clock
}

/** What the consent callback gets: the tokens to store and use. */
export interface AuthorizationCodeGrant {
  /** The access token, to read the profile (and so the mailbox address) right away. */
  readonly accessToken: Secret
  /** The refresh token, to seal and store with `saveRefreshToken`. */
  readonly refreshToken: Secret
  /** When the access token expires. */
  readonly expiresAt: Date
  /** The scopes granted, space-separated as Google sends them, or `null` when not said. */
  readonly scope: string | null
}

/**
 * Ends the OAuth consent: trades the callback's authorization code (with the PKCE verifier,
 * S256) for an access token and a refresh token. Same errors as the provider; `invalid_grant`
 * here means the code is wrong, expired or used, or the verifier does not match. No refresh
 * token in the answer is an `UpstreamError` with reason `missing_refresh_token`: the consent
 * must ask for `access_type=offline` and `prompt=consent`.
 *
 * @example
 * ```ts
 * const grant = await exchangeAuthorizationCode({
 *   code: url.searchParams.get('code') ?? '',
 *   codeVerifier: state.verifier,
 *   redirectUri: config.oauth.redirectUri,
 *   clientId: config.oauth.clientId,
 *   clientSecret: config.oauth.clientSecret,
 *   tokenUrl: config.tokenUrl,
 * })
 * await saveRefreshToken(context, box, account, grant.refreshToken, grant.scope)
 * ```
 */
export async function exchangeAuthorizationCode(exchange: AuthorizationCodeExchange): Promise<AuthorizationCodeGrant> {
  const client = resolveClient(exchange)
  const verifier = exchange.codeVerifier instanceof Secret ? exchange.codeVerifier : new Secret(exchange.codeVerifier)
  if (typeof exchange.code !== 'string' || exchange.code === '') throw new ValidationError('code: expected the authorization code of the consent callback')
  if (!PKCE_VERIFIER.test(verifier.reveal())) throw new ValidationError('codeVerifier: expected 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)')
  const sentAt = (exchange.clock ?? SYSTEM_CLOCK).now()
  const result = await postTokenForm({
    tokenUrl: client.tokenUrl,
    form: {
      grant_type: 'authorization_code',
      code: new Secret(exchange.code),
      code_verifier: verifier,
      redirect_uri: exchange.redirectUri,
      client_id: client.clientId,
      client_secret: client.clientSecret,
    },
    timeoutMs: client.timeoutMs,
  })
  if (!result.ok) {
    throw oauthFailure(result.failure, client.clientId, 'for the authorization code', () =>
      'the authorization code is invalid, expired or already used, or the PKCE verifier or redirect URI does not match (invalid_grant): start the consent again')
  }
  const { accessToken, expiresIn, refreshToken, scope } = result.grant
  if (refreshToken === null) {
    throw new UpstreamError('Google granted access but sent no refresh token: start the consent with access_type=offline and prompt=consent', {
      upstreamStatus: 200,
      reason: 'missing_refresh_token',
      retryable: false,
    })
  }
  return {
    accessToken: new Secret(accessToken),
    refreshToken: new Secret(refreshToken),
    expiresAt: new Date(sentAt.getTime() + expiresIn * 1000),
    scope,
  }
}

function resolveClient(client: OAuthClient): Required<OAuthClient> {
  if (typeof client.clientId !== 'string' || client.clientId === '') throw new TypeError('Expected `clientId` to be the OAuth client id')
  if (!(client.clientSecret instanceof Secret)) throw new TypeError('Expected `clientSecret` to be a Secret')
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    tokenUrl: resolveTokenUrl(client.tokenUrl),
    timeoutMs: resolveTimeoutMs(client.timeoutMs),
  }
}

function oauthFailure(failure: TokenFailure, clientId: string, what: string, invalidGrant: () => string): Error {
  if (failure.error === 'invalid_client' || failure.error === 'unauthorized_client') {
    const said = `Google's token endpoint answered ${failure.error}`
    return new ConfigurationError([
      { variable: 'CRM_GMAIL_OAUTH_CLIENT_ID', message: `${said}: check that the OAuth client ${clientId} exists, is enabled and is a Web application client` },
      { variable: 'CRM_GMAIL_OAUTH_CLIENT_SECRET', message: `${said}: check that the secret belongs to that client and was not reset` },
    ])
  }
  if (failure.error === 'invalid_grant') {
    return new UpstreamError(`${invalidGrant()}${describe(failure)}`, {
      upstreamStatus: failure.status,
      reason: 'invalid_grant',
      retryable: false,
    })
  }
  return genericFailure(failure, what)
}
