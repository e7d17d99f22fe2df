/**
 * OAuth mode's consent flow: a signed-in user connects their own mailbox. `start` records a
 * state and gives Google's consent URL (PKCE S256, offline access, read-only scope); `finish`
 * takes the callback, consumes the state once, trades the code for tokens, checks that the
 * Google account that consented is the user's own, and stores the refresh token sealed while
 * enrolling the account, in one transaction.
 */
import { isWorkspaceAddress, normalizeAddress } from '../address.js'
import type { IntegrationContext } from '../context.js'
import { createSecretBox, type SecretBox } from '../secrets/crypto.js'
import { findAccountRow, insertAccount, toAccount, type EmailAccount } from '../db/accounts.js'
import { consumeOAuthState, insertOAuthState, type OAuthStateConsumeRefusal } from './state-store.js'
import { saveRefreshToken } from './token-store.js'
import { ConfigurationError, UpstreamError, ValidationError } from '../errors.js'
import { createGmailClient } from '../gmail/client.js'
import { exchangeAuthorizationCode, type AuthorizationCodeGrant } from '../gmail/credentials/oauth.js'
import { GMAIL_READONLY_SCOPE } from '../gmail/credentials/credentials.js'
import { createQuotaLimiter } from '../gmail/quota.js'
import type { Principal } from '../hooks.js'
import { createOAuthStateSigner, createPkcePair, MAX_STATE_LENGTH, OAUTH_STATE_TTL_MS, type OAuthStateRefusal, type OAuthStateSigner } from './state.js'
import type { GmailClientTuning } from '../sync/gmail-access.js'
import type { OAuthClientConfig } from '../config/index.js'

/** Google's codes are about 75 characters; a far longer `code` is not one, and is not sent on. */
export const MAX_AUTHORIZATION_CODE_LENGTH = 2048
/** OAuth error codes (RFC 6749 §4.1.2.1) are short snake_case words; anything else is not echoed. */
const OAUTH_ERROR_CODE = /^[a-z_]{1,64}$/
/** Binds a sealed verifier to its state row: an envelope copied to another row does not open. */
const VERIFIER_CONTEXT = 'oauth-state:'

/** Where a consent starts: the URL to send the user's browser to. */
export interface OAuthConsentStart {
  /** Google's consent page with the client, scope, state and PKCE challenge. */
  readonly url: string
  /** When the state expires (ISO); the user must finish before then. */
  readonly expiresAt: string
}

/** The query of the consent callback, as Google sends it. */
export interface OAuthCallbackParams {
  readonly code: string | undefined
  readonly state: string | undefined
  /** Google's `error` (`access_denied` when the user declined). */
  readonly error: string | undefined
}

/** The consent flow of one integration. */
export interface OAuthConsent {
  /** Starts a consent for the principal's own mailbox. */
  start(principal: Principal): Promise<OAuthConsentStart>
  /** Finishes it: the enrolled, active account. */
  finish(principal: Principal, callback: OAuthCallbackParams): Promise<EmailAccount>
}

interface OAuthSetup {
  readonly client: OAuthClientConfig
  readonly box: SecretBox
  readonly signer: OAuthStateSigner
}

const STATE_REFUSALS: Record<OAuthStateRefusal | OAuthStateConsumeRefusal, string> = {
  malformed: 'state: not a consent state of this integration; start the consent again',
  signature: 'state: the signature does not match (the state was altered, or the consent was started by another user); start the consent again',
  expired: `state: expired (a consent must be finished within ${OAUTH_STATE_TTL_MS / 60_000} minutes); start the consent again`,
  unknown: 'state: no such consent is open (it expired or was replaced by a newer one); start the consent again',
  used: 'state: already used; start the consent again',
  other_user: 'state: the consent was started by another user',
}

/** The host's user id, as text (JavaScript hosts may give a number). */
function userIdOf(principal: Principal): string {
  const id: unknown = principal.userId
  if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id))) return String(id)
  throw new ValidationError('principal: the sign-in has no user id, so a consent cannot be bound to it')
}

/**
 * Builds the consent flow over one integration's context.
 *
 * @example
 * ```ts
 * const consent = createOAuthConsent(context)
 * const { url } = await consent.start(principal)              // redirect the browser there
 * const account = await consent.finish(principal, { code, state, error: undefined })
 * ```
 */
export function createOAuthConsent(context: IntegrationContext, tuning: GmailClientTuning = {}): OAuthConsent {
  const { config } = context
  let setup: OAuthSetup | null = null

  // Built on first use: a dwd-mode integration never needs the OAuth client or the key.
  const oauth = (): OAuthSetup => {
    if (config.authMethod !== 'oauth') {
      throw new ValidationError(
        'OAuth consent is not used: this integration reads mailboxes through domain-wide delegation (CRM_GMAIL_AUTH_METHOD=dwd), so no user needs to grant access',
      )
    }
    const { oauth: client, secretKey, secretKeyPrevious } = config
    if (client === null || secretKey === null) {
      throw new ConfigurationError([
        ...(client === null ? [{ variable: 'CRM_GMAIL_OAUTH_CLIENT_ID', message: 'OAuth consent needs the OAuth client id, secret and redirect URI' }] : []),
        ...(secretKey === null ? [{ variable: 'CRM_GMAIL_SECRET_KEY', message: 'OAuth consent needs the key that seals refresh tokens' }] : []),
      ])
    }
    setup ??= {
      client,
      box: createSecretBox({ current: secretKey, previous: secretKeyPrevious }),
      signer: createOAuthStateSigner({ current: secretKey, previous: secretKeyPrevious }),
    }
    return setup
  }

  const ownAddress = (principal: Principal): string => {
    const email: unknown = principal.email
    const address = typeof email === 'string' ? normalizeAddress(email) : null
    if (address === null) throw new ValidationError('principal: your sign-in has no valid email address, so there is no mailbox to connect')
    const domains = config.workspaceDomains
    if (domains.length > 0 && !isWorkspaceAddress(address, domains)) {
      throw new ValidationError(`principal: ${address} is not in the workspace domains (${domains.join(', ')}), so its mailbox cannot be connected`)
    }
    return address
  }

  const profileAddress = async (grant: AuthorizationCodeGrant): Promise<string> => {
    // `me`: Gmail says whose token it is, rather than refusing a guessed address.
    const gmail = createGmailClient({
      baseUrl: config.apiBaseUrl,
      mailbox: 'me',
      credentials: { getAccessToken: () => Promise.resolve({ token: grant.accessToken.reveal(), expiresAt: grant.expiresAt }) },
      limiter: createQuotaLimiter({ rateUnitsSec: config.rateUnitsSec, clock: context.clock }),
      costs: config.quotaCosts,
      retryMax: config.retryMax,
      logger: context.logger,
      clock: context.clock,
      ...tuning,
    })
    const profile = await gmail.getProfile()
    return normalizeAddress(profile.emailAddress) ?? profile.emailAddress.toLowerCase()
  }

  return {
    async start(principal) {
      const { client, box, signer } = oauth()
      const address = ownAddress(principal)
      const now = context.clock.now()
      const userId = userIdOf(principal)
      const { state, nonce, expiresAt } = signer.issue(userId, now)
      const { verifier, challenge } = createPkcePair()
      await insertOAuthState(context, {
        nonce,
        userId,
        address,
        sealedVerifier: box.seal(verifier, `${VERIFIER_CONTEXT}${nonce}`),
        expiresAt: expiresAt.toISOString(),
        now: now.toISOString(),
      })
      const url = new URL(config.oauthAuthUrl)
      const params = {
        client_id: client.clientId,
        redirect_uri: client.redirectUri,
        response_type: 'code',
        scope: GMAIL_READONLY_SCOPE,
        // offline + consent: Google sends a refresh token only then, and again on every consent.
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: 'true',
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        login_hint: address,
      }
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
      context.logger.debug({ userId, account: address }, 'email oauth consent started')
      return { url: url.toString(), expiresAt: expiresAt.toISOString() }
    },

    async finish(principal, callback) {
      const { client, box, signer } = oauth()
      if (callback.error !== undefined) {
        const code = OAUTH_ERROR_CODE.test(callback.error) ? callback.error : 'unknown_error'
        throw new ValidationError(
          code === 'access_denied'
            ? 'consent: access was denied on Google\'s consent page (access_denied); start again and allow read access to Gmail'
            : `consent: Google refused the consent (${code}); start the consent again`,
        )
      }
      if (callback.state === undefined || callback.state === '') throw new ValidationError('state: required')
      if (callback.code === undefined || callback.code === '') throw new ValidationError('code: required')
      if (callback.state.length > MAX_STATE_LENGTH) throw new ValidationError(STATE_REFUSALS.malformed)
      if (callback.code.length > MAX_AUTHORIZATION_CODE_LENGTH) throw new ValidationError(`code: longer than ${MAX_AUTHORIZATION_CODE_LENGTH} characters`)

      const userId = userIdOf(principal)
      const refuse = (reason: OAuthStateRefusal | OAuthStateConsumeRefusal): never => {
        // The reason only: the state itself, the code and the verifier never reach a log.
        context.logger.warn({ userId, reason }, 'email oauth consent refused')
        throw new ValidationError(STATE_REFUSALS[reason])
      }
      const now = context.clock.now()
      const claims = signer.verify(callback.state, userId, now)
      if ('refused' in claims) return refuse(claims.refused)
      // Checked before the state is consumed, so a sign-in without a usable address does not burn it.
      const address = ownAddress(principal)
      const taken = await consumeOAuthState(context, { nonce: claims.nonce, userId, now: now.toISOString() })
      if ('refused' in taken) return refuse(taken.refused)
      if (taken.address !== address) {
        throw new ValidationError(`state: the consent was started for ${taken.address}, but you are signed in as ${address}; start the consent again`)
      }
      const codeVerifier = box.open(taken.sealedVerifier, `${VERIFIER_CONTEXT}${claims.nonce}`).value

      let grant: AuthorizationCodeGrant
      try {
        grant = await exchangeAuthorizationCode({
          code: callback.code,
          codeVerifier,
          redirectUri: client.redirectUri,
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          tokenUrl: config.tokenUrl,
          clock: context.clock,
        })
      } catch (error) {
        if (error instanceof UpstreamError && error.reason === 'invalid_grant') {
          throw new ValidationError('code: Google refused the authorization code (invalid, expired or already used); start the consent again', { cause: error })
        }
        throw error
      }
      if (grant.scope !== null && !grant.scope.split(/\s+/).includes(GMAIL_READONLY_SCOPE)) {
        throw new ValidationError('consent: read access to Gmail was not granted; start again and allow it')
      }
      const consented = await profileAddress(grant)
      if (consented !== address) {
        throw new ValidationError(`consent: the Google account ${consented} granted access, but you are signed in as ${address}; consent with your own account`)
      }

      const account = await context.db.transaction().execute(async (trx) => {
        const inTrx: IntegrationContext = { ...context, db: trx }
        const stamp = context.clock.now().toISOString()
        const { account: enrolled } = await insertAccount(inTrx, { address, authMethod: 'oauth', status: 'active', statusReason: null, now: stamp })
        const id = Number(enrolled.id)
        await saveRefreshToken(inTrx, box, { id, address }, grant.refreshToken, grant.scope)
        // A paused account stays paused: pausing is an admin's decision, consent is the user's.
        // An account being removed stays so: its removal finishes and deletes this token.
        await trx
          .updateTable('email_accounts')
          .set({ auth_method: 'oauth', status: 'active', status_reason: null, updated_at: stamp })
          .where('id', '=', id)
          .where('status', 'not in', ['paused', 'removing'])
          .execute()
        const row = await findAccountRow(inTrx, address)
        if (row === undefined) throw new Error(`account ${address} vanished while connecting it`)
        return toAccount(row, context.config.defaultSharing)
      })
      context.logger.info({ account: address, userId }, 'email account connected through OAuth consent')
      return account
    },
  }
}
