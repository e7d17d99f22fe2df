import { createHash } from 'node:crypto'
import { ACCESS_TOKEN_LIFETIME_S, AUTHORIZATION_CODE_LIFETIME_MS } from './credentials.js'
import type { OAuthClient } from './credentials.js'
import type { EmulatorContext, GmailEmulatorConsent } from './context.js'
import { htmlResponse, jsonResponse, oauthError, redirect } from './responses.js'
import type { EmulatorResponse } from './responses.js'

/** The token endpoint's success body. */
export function tokenResponse(accessToken: string, extra: Record<string, string> = {}): EmulatorResponse {
  return jsonResponse(200, { access_token: accessToken, expires_in: ACCESS_TOKEN_LIFETIME_S, ...extra, token_type: 'Bearer' },
    { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' })
}

/** What a grant that a client redeems starts from: the client, and the token or code it redeems. */
interface Redemption {
  readonly client: OAuthClient
  readonly credential: string
}

/**
 * The client authenticated by its id and secret, and the grant's own parameter (`refresh_token`
 * or `code`); or the error Google answers when the client is unknown or the parameter missing.
 */
function redemption(ctx: EmulatorContext, params: URLSearchParams, parameter: 'refresh_token' | 'code'): Redemption | EmulatorResponse {
  const client = ctx.credentials.clients.get(params.get('client_id') ?? '')
  if (client === undefined) return oauthError(401, 'invalid_client', 'The OAuth client was not found.')
  if (params.get('client_secret') !== client.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized')
  const credential = params.get(parameter)
  if (credential === null || credential === '') return oauthError(400, 'invalid_request', `Missing required parameter: ${parameter}`)
  return { client, credential }
}

function isResponse(value: Redemption | EmulatorResponse): value is EmulatorResponse {
  return 'status' in value
}

/** `grant_type=refresh_token`: a new access token for the refresh token's mailbox and scopes. */
export function refreshTokenGrant(ctx: EmulatorContext, params: URLSearchParams): EmulatorResponse {
  const request = redemption(ctx, params, 'refresh_token')
  if (isResponse(request)) return request
  const grant = ctx.credentials.lookupRefresh(request.credential)
  if (grant === undefined) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.')
  // A refresh token only works with the client it was issued to.
  if (grant.clientId !== request.client.clientId) return oauthError(401, 'unauthorized_client', 'Unauthorized')
  ctx.stats.tokenIssued(grant.mailbox)
  return tokenResponse(ctx.credentials.issueAccess(grant.mailbox, grant.scopes, ctx.now()), { scope: grant.scopes.join(' ') })
}

function challengeOf(verifier: string, method: 'S256' | 'plain'): string {
  return method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url')
}

/**
 * `grant_type=authorization_code`: exchanges a code from the consent page (single use,
 * ten minutes) for an access token, and a refresh token when consent asked for
 * `access_type=offline`, as Google does. PKCE is checked when the consent carried a challenge.
 */
export function authorizationCodeGrant(ctx: EmulatorContext, params: URLSearchParams): EmulatorResponse {
  const request = redemption(ctx, params, 'code')
  if (isResponse(request)) return request
  const grant = ctx.credentials.takeCode(request.credential)
  if (grant === undefined || grant.expiresAt <= ctx.now() || grant.clientId !== request.client.clientId) {
    return oauthError(400, 'invalid_grant', 'Bad Request')
  }
  if (params.get('redirect_uri') !== grant.redirectUri) return oauthError(400, 'redirect_uri_mismatch', 'Bad Request')
  if (grant.codeChallenge !== null) {
    const verifier = params.get('code_verifier')
    if (verifier === null || verifier === '') return oauthError(400, 'invalid_grant', 'Missing code verifier.')
    if (challengeOf(verifier, grant.codeChallengeMethod) !== grant.codeChallenge) {
      return oauthError(400, 'invalid_grant', 'Invalid code verifier.')
    }
  }
  ctx.stats.tokenIssued(grant.mailbox)
  const access = ctx.credentials.issueAccess(grant.mailbox, grant.scopes, ctx.now())
  const refresh = grant.offline
    ? { refresh_token: ctx.credentials.issueRefresh({ mailbox: grant.mailbox, clientId: grant.clientId, scopes: grant.scopes }) }
    : {}
  return tokenResponse(access, { ...refresh, scope: grant.scopes.join(' ') })
}

function redirectWith(base: URL, values: Record<string, string | null>): EmulatorResponse {
  const target = new URL(base)
  for (const [name, value] of Object.entries(values)) if (value !== null) target.searchParams.set(name, value)
  return redirect(target.toString())
}

function consentPage(ctx: EmulatorContext, params: URLSearchParams): EmulatorResponse {
  const get = (name: string): string | null => params.get(name)
  const record = (outcome: GmailEmulatorConsent['outcome'], mailbox: string | null): void => {
    ctx.consents.push({
      clientId: get('client_id') ?? '', redirectUri: get('redirect_uri') ?? '', scope: get('scope') ?? '', state: get('state'),
      codeChallenge: get('code_challenge'), codeChallengeMethod: get('code_challenge_method'), accessType: get('access_type'),
      mailbox, outcome,
    })
  }
  const client = ctx.credentials.clients.get(get('client_id') ?? '')
  if (client === undefined) {
    record('rejected', null)
    return htmlResponse(401, 'Error 401: invalid_client', 'The OAuth client was not found.')
  }
  const redirectUri = get('redirect_uri') ?? ''
  const target = URL.canParse(redirectUri) ? new URL(redirectUri) : null
  if (target === null || (client.redirectUris !== undefined && !client.redirectUris.includes(redirectUri))) {
    record('rejected', null)
    return htmlResponse(400, 'Error 400: redirect_uri_mismatch', `The redirect URI ${redirectUri} is not registered for this client.`)
  }
  const state = get('state')
  const method = get('code_challenge_method') ?? 'plain'
  const scope = (get('scope') ?? '').trim()
  if (get('response_type') !== 'code' || scope === '' || (method !== 'S256' && method !== 'plain')) {
    record('rejected', null)
    return redirectWith(target, { error: get('response_type') === 'code' ? 'invalid_request' : 'unsupported_response_type', state })
  }
  const hinted = ctx.mailboxes.get(get('login_hint') ?? '')
  const mailbox = ctx.consent.mailbox ?? hinted?.address ?? ctx.mailboxes.first()?.address ?? null
  if (ctx.consent.decision === 'deny' || mailbox === null) {
    record('denied', null)
    return redirectWith(target, { error: 'access_denied', state })
  }
  record('allowed', mailbox)
  const code = ctx.credentials.issueCode({
    mailbox, clientId: client.clientId, scopes: scope.split(/\s+/), redirectUri, codeChallenge: get('code_challenge'),
    codeChallengeMethod: method, offline: get('access_type') === 'offline', expiresAt: ctx.now() + AUTHORIZATION_CODE_LIFETIME_MS,
  })
  return redirectWith(target, { state, code, scope })
}

/**
 * `GET /o/oauth2/v2/auth`: Google's consent page, reduced to its outcome. It records the
 * request, picks the consenting mailbox (`emu.setConsent`, else `login_hint`, else the first
 * mailbox) and redirects to `redirect_uri` with a code, or with `error=access_denied`.
 */
export function serveConsent(ctx: EmulatorContext, url: URL): EmulatorResponse {
  ctx.stats.request('auth')
  const response = consentPage(ctx, url.searchParams)
  ctx.stats.response('auth', response.status)
  return response
}
