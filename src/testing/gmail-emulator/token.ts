import { compactVerify } from 'jose'
import type { EmulatorContext } from './context.js'
import { withRolledReset } from './faults.js'
import { authorizationCodeGrant, refreshTokenGrant, tokenResponse } from './oauth.js'
import { oauthError } from './responses.js'
import type { EmulatorResponse } from './responses.js'

/** Google refuses assertions that live longer than an hour. */
const MAX_ASSERTION_LIFETIME_S = 3600
/** Clock skew tolerated between the signer and the token endpoint. */
const CLOCK_SKEW_S = 300
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const TIMEFRAME_MESSAGE = 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. ' +
  'Check your iat and exp values in the JWT claim.'

/** A request to the token endpoint. */
export interface TokenRequest {
  readonly method: string
  readonly contentType: string
  readonly body: Buffer
}

function invalidGrant(description: string): EmulatorResponse {
  return oauthError(400, 'invalid_grant', description)
}

/** The claims the assertion carries, once its signature checked out. */
type Claims = Readonly<Record<string, unknown>>

async function verifiedClaims(ctx: EmulatorContext, assertion: string): Promise<{ claims: Claims } | { refused: EmulatorResponse }> {
  try {
    const { payload, protectedHeader } = await compactVerify(assertion, ctx.serviceAccount.publicKey, { algorithms: ['RS256'] })
    const kid = protectedHeader.kid
    if (kid !== undefined && kid !== ctx.serviceAccount.keyFile.private_key_id) return { refused: invalidGrant('Invalid JWT Signature.') }
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload))
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      return { refused: invalidGrant('Invalid JWT: the claim set is not a JSON object.') }
    }
    return { claims: claims as Claims }
  } catch {
    // A wrong key, another algorithm (none, HS256) and a malformed assertion all look the same to Google's client.
    return { refused: invalidGrant('Invalid JWT Signature.') }
  }
}

function timeframeOk(claims: Claims, nowMs: number): boolean {
  const { iat, exp } = claims
  if (typeof iat !== 'number' || typeof exp !== 'number') return false
  const now = nowMs / 1000
  return exp > iat && exp - iat <= MAX_ASSERTION_LIFETIME_S && exp > now - CLOCK_SKEW_S && iat <= now + CLOCK_SKEW_S
}

/**
 * The jwt-bearer grant (service account, domain-wide delegation), checked the way Google
 * checks it: signature (RS256, the emulator's key), `iss`, `aud`, lifetime, `scope`, `sub`,
 * and whether delegation covers the scopes for that user.
 */
async function jwtBearerGrant(ctx: EmulatorContext, params: URLSearchParams): Promise<EmulatorResponse> {
  const assertion = params.get('assertion')
  if (assertion === null || assertion === '') return oauthError(400, 'invalid_request', 'Missing required parameter: assertion')
  const verified = await verifiedClaims(ctx, assertion)
  if ('refused' in verified) return verified.refused
  const { claims } = verified
  if (claims.iss !== ctx.serviceAccount.keyFile.client_email) return invalidGrant('Invalid grant: account not found')
  const aud = claims.aud
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.includes(ctx.tokenUrl)) return invalidGrant('Invalid JWT: Failed audience check.')
  if (!timeframeOk(claims, ctx.now())) return invalidGrant(TIMEFRAME_MESSAGE)
  const scope = typeof claims.scope === 'string' ? claims.scope.trim() : ''
  if (scope === '') return oauthError(400, 'invalid_scope', 'Empty or missing scope not allowed.')
  const scopes = scope.split(/\s+/)
  let mailbox: string | null = null
  if (claims.sub !== undefined) {
    const box = typeof claims.sub === 'string' ? ctx.mailboxes.get(claims.sub) : undefined
    if (box === undefined) return invalidGrant('Invalid email or User ID')
    if (!scopes.every((s) => ctx.options.authorizedScopes.has(s))) {
      return oauthError(401, 'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.')
    }
    mailbox = box.address
  }
  ctx.stats.tokenIssued(mailbox)
  return tokenResponse(ctx.credentials.issueAccess(mailbox, scopes, ctx.now()))
}

function formParams(request: TokenRequest): URLSearchParams {
  const text = request.body.toString('utf8')
  if (!request.contentType.toLowerCase().startsWith('application/json')) return new URLSearchParams(text)
  // Google's endpoint also takes JSON; only flat string values mean anything here.
  try {
    const value: unknown = JSON.parse(text)
    const entries = typeof value === 'object' && value !== null ? Object.entries(value) : []
    return new URLSearchParams(entries.filter((e): e is [string, string] => typeof e[1] === 'string'))
  } catch {
    return new URLSearchParams()
  }
}

async function grant(ctx: EmulatorContext, request: TokenRequest): Promise<EmulatorResponse> {
  if (request.method !== 'POST') return oauthError(405, 'invalid_request', 'The token endpoint only accepts POST.')
  const fault = ctx.faults.roll('token', 'POST /token', true)
  if (fault.failure === 'serverError500' || fault.failure === 'serverError503') {
    ctx.stats.fault('serverError')
    return oauthError(fault.failure === 'serverError500' ? 500 : 503, 'internal_failure', 'Backend Error')
  }
  if (fault.failure === 'rateLimit') {
    ctx.stats.fault('rateLimit')
    return oauthError(429, 'rate_limit_exceeded', 'Rate Limit Exceeded')
  }
  const params = formParams(request)
  const type = params.get('grant_type') ?? ''
  let response: EmulatorResponse
  if (type === JWT_BEARER) response = await jwtBearerGrant(ctx, params)
  else if (type === 'refresh_token') response = refreshTokenGrant(ctx, params)
  else if (type === 'authorization_code') response = authorizationCodeGrant(ctx, params)
  else if (type === '') response = oauthError(400, 'invalid_request', 'Missing required parameter: grant_type')
  else response = oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${type}`)
  return withRolledReset(ctx.stats, fault, response)
}

/** `POST /token`: Google's OAuth 2.0 token endpoint. */
export async function serveToken(ctx: EmulatorContext, request: TokenRequest): Promise<EmulatorResponse> {
  return ctx.stats.counted('token', () => grant(ctx, request))
}
