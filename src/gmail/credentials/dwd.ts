/**
 * Domain-wide delegation: the service account signs a JWT naming the mailbox (`sub`) and
 * trades it at Google's token endpoint for an access token to that mailbox (the jwt-bearer
 * grant of RFC 7523, as Google's service-account guide describes it).
 */
import { SignJWT, importPKCS8, type CryptoKey } from 'jose'
import type { ServiceAccountKey } from '../../config/index.js'
import { ConfigurationError, UpstreamError } from '../../errors.js'
import { SYSTEM_CLOCK, type Clock, type Logger } from '../../hooks.js'
import { Secret } from '../../secrets/secret.js'
import { createTokenCache, resolveTimeoutMs, resolveTokenUrl } from './cache.js'
import { describe, genericFailure, grantedToken, requestGrant, type TokenFailure } from './token-endpoint.js'
import { GMAIL_READONLY_SCOPE, type AccessToken, type AccessTokenProvider } from './credentials.js'

/** Google refuses assertions that live longer than an hour. */
export const MAX_ASSERTION_LIFETIME_S = 3600
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
/** The variable that names the service account key, where delegation problems are reported. */
const KEY_VARIABLE = 'CRM_GMAIL_SA_KEY_PATH'
const ADMIN_CONSOLE_PATH = 'Google Admin console → Security → Access and data control → API controls → Domain-wide delegation'

/** Options of {@link createDwdCredentials}. */
export interface DwdCredentialsOptions {
  /** The service account (from `CRM_GMAIL_SA_KEY_PATH`). */
  readonly serviceAccount: ServiceAccountKey
  /** Google's token endpoint (`CRM_GMAIL_TOKEN_URL`); also the JWT's `aud`. */
  readonly tokenUrl: string
  /** The scopes asked for. Default: {@link GMAIL_READONLY_SCOPE} only. */
  readonly scopes?: readonly string[]
  /** What time it is, for `iat` and the cache. Default: the system clock. */
  readonly clock?: Clock
  /** Where grants and refusals are logged (never a key, assertion or token). */
  readonly logger?: Logger
  /** How long to wait for the token endpoint, in ms. Default 10 000. */
  readonly timeoutMs?: number
}

/**
 * An {@link AccessTokenProvider} for domain-wide delegation. Per mailbox it signs an RS256 JWT
 * (`kid` = the key id when known; `iss` = the service account, `sub` = the mailbox, `scope`,
 * `aud` = the token URL, `exp` = `iat` + 1 h), posts the jwt-bearer grant, and caches the token
 * until 5 minutes before it expires; concurrent calls for a mailbox share one request.
 *
 * Errors: `unauthorized_client` is a `ConfigurationError` on `CRM_GMAIL_SA_KEY_PATH` (delegation
 * is not set up for this client id and scope); `invalid_grant` an `UpstreamError` with reason
 * `invalid_grant` (the mailbox is unknown or delegation was revoked: the account needs
 * attention, others go on); other 4xx a non-retryable `UpstreamError`; 5xx, 429 and connection
 * errors are retried twice within about a second, then (like a timeout) are a retryable one. The
 * PEM key is imported once, on first use; a key that does not import is a `ConfigurationError`.
 *
 * @example
 * ```ts
 * const credentials = createDwdCredentials({ serviceAccount: config.serviceAccount, tokenUrl: config.tokenUrl })
 * const { token } = await credentials.getAccessToken('ann@fund.example')
 * ```
 */
export function createDwdCredentials(options: DwdCredentialsOptions): AccessTokenProvider {
  const { serviceAccount } = options
  const tokenUrl = resolveTokenUrl(options.tokenUrl)
  const timeoutMs = resolveTimeoutMs(options.timeoutMs)
  const scope = resolveScopes(options.scopes)
  const clock = options.clock ?? SYSTEM_CLOCK
  const logger = options.logger ?? {}
  if (typeof serviceAccount.clientEmail !== 'string' || serviceAccount.clientEmail === '') {
    throw new TypeError('Expected `serviceAccount.clientEmail` to be the service account address')
  }

  let signingKey: Promise<CryptoKey> | undefined
  // Imported on first use, once: a bad key fails the first grant with a config error, not creation.
  const key = (): Promise<CryptoKey> =>
    (signingKey ??= importPKCS8(serviceAccount.privateKey.reveal(), 'RS256').catch(() => {
      throw new ConfigurationError([
        { variable: KEY_VARIABLE, message: 'the private_key of the service account key is not an RSA private key in PKCS#8 PEM form' },
      ])
    }))

  const grant = async (mailbox: string): Promise<AccessToken> => {
    const sentAt = clock.now()
    const iat = Math.floor(sentAt.getTime() / 1000)
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader(
        serviceAccount.privateKeyId === null
          ? { alg: 'RS256', typ: 'JWT' }
          : { alg: 'RS256', typ: 'JWT', kid: serviceAccount.privateKeyId },
      )
      .setIssuer(serviceAccount.clientEmail)
      .setSubject(mailbox)
      .setAudience(tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + MAX_ASSERTION_LIFETIME_S)
      .sign(await key())
    const log = { mailbox, mode: 'dwd', logger } as const
    const granted = await requestGrant(
      { tokenUrl, form: { grant_type: JWT_BEARER_GRANT, assertion: new Secret(assertion) }, timeoutMs },
      log,
      (failure) => dwdFailure(failure, mailbox, scope, serviceAccount),
    )
    return grantedToken(granted, sentAt, log)
  }

  const cache = createTokenCache(grant, clock)
  return { getAccessToken: (mailbox, getOptions) => cache.get(mailbox, getOptions) }
}

function resolveScopes(scopes: readonly string[] | undefined): string {
  if (scopes === undefined) return GMAIL_READONLY_SCOPE
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s))) {
    throw new TypeError('Expected `scopes` to be a non-empty array of scope URLs without spaces')
  }
  return scopes.join(' ')
}

function dwdFailure(failure: TokenFailure, mailbox: string, scope: string, account: ServiceAccountKey): Error {
  if (failure.error === 'unauthorized_client') {
    const client = account.clientId === null ? `of ${account.clientEmail} (its client_id is in the key file)` : `with client id ${account.clientId}`
    return new ConfigurationError([
      {
        variable: KEY_VARIABLE,
        message:
          `domain-wide delegation is not set up for the service account ${client} and the scope ${scope}: ` +
          `Google answered unauthorized_client. A Workspace super admin must add that client id with exactly that scope in the ` +
          `${ADMIN_CONSOLE_PATH} (changes can take a few minutes, sometimes hours, to apply)`,
      },
    ])
  }
  if (failure.error === 'invalid_grant') {
    return new UpstreamError(
      `Google refused a token for ${mailbox} (invalid_grant): the mailbox is unknown or suspended, or delegation was revoked; ` +
        `the account needs attention${describe(failure)}`,
      { upstreamStatus: failure.status, reason: 'invalid_grant', retryable: false },
    )
  }
  return genericFailure(failure, `for ${mailbox}`)
}
