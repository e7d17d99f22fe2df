/**
 * A stand-in for Google's token endpoint (https://oauth2.googleapis.com/token) on 127.0.0.1,
 * checking what Google checks and answering as Google answers: the jwt-bearer grant of
 * domain-wide delegation (RS256 signature, iss, aud, sub, scope, exp - iat <= 3600), the
 * refresh-token grant and the authorization-code grant with PKCE (S256).
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeProtectedHeader, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose'
import type { ServiceAccountKey } from '../../src/config/index.js'
import { Secret } from '../../src/secrets/secret.js'

/** A generated service account: the key the library is given, and the public half the server checks with. */
export interface TestServiceAccount {
  readonly key: ServiceAccountKey
  readonly privateKeyPem: string
  readonly publicKey: KeyObject
}

/** Generates an RSA-2048 service account key, PKCS#8 PEM as Google's key files carry it. */
export function generateServiceAccount(clientEmail = 'crm-sync@crm-project.iam.gserviceaccount.com'): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return {
    key: { clientEmail, privateKey: new Secret(privateKeyPem), privateKeyId: randomBytes(20).toString('hex'), clientId: '109876543210987654321' },
    privateKeyPem,
    publicKey,
  }
}

/** An answer forced ahead of the normal handling (a 503, an odd 400, ...), given the form received. */
export type Fault = (form: URLSearchParams) => { status: number; body: unknown }

/** Options of {@link startTokenServer}. */
export interface TokenServerOptions {
  /** The service account whose assertions are accepted (DWD). */
  readonly serviceAccount?: TestServiceAccount
  /** Mailboxes a service account may act for (`sub`). */
  readonly mailboxes?: readonly string[]
  /** The scopes delegation was granted for, in the Admin console. Default: gmail.readonly. */
  readonly delegatedScopes?: readonly string[]
  /** The OAuth client accepted for the refresh-token and code grants. */
  readonly oauthClient?: { readonly clientId: string; readonly clientSecret: string }
  /** Issue a new refresh token with each refresh (and revoke the old one). */
  readonly rotateRefreshTokens?: boolean
  /** The server's clock (checks `exp`; default the system clock). */
  readonly now?: () => Date
  /** `expires_in` of every access token. Default 3599, as Google sends. */
  readonly expiresIn?: number
  /** Milliseconds to wait before answering. */
  readonly delayMs?: number
}

/** What the server was asked and what it gave, for assertions. */
export interface TokenServer {
  readonly tokenUrl: string
  /** Successful grants per mailbox (DWD `sub`, or the owner of the refresh token). */
  readonly grants: Map<string, number>
  /** Every form received, in order. */
  readonly forms: URLSearchParams[]
  /** The header and claims of every jwt-bearer assertion that verified. */
  readonly assertions: { header: JWTHeaderParameters; claims: JWTPayload }[]
  /** Every access and refresh token handed out (to check that none leaks). */
  readonly issued: string[]
  /** Forced answers, consumed one per request before normal handling. */
  readonly faults: Fault[]
  /** Whether delegation is granted in the Admin console; false answers unauthorized_client. */
  delegated: boolean
  /** Total successful grants. */
  totalGrants(): number
  /** A refresh token for `mailbox`, as consent would have stored it. */
  issueRefreshToken(mailbox: string): string
  /** An authorization code that consent for `mailbox` returned, bound to the PKCE challenge. */
  issueCode(mailbox: string, codeVerifier: string, redirectUri: string, options?: { omitRefreshToken?: boolean }): string
  close(): Promise<void>
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const GMAIL_READONLY = 'https://www.googleapis.com/auth/gmail.readonly'
const MAX_ASSERTION_LIFETIME_S = 3600

type Answer = { status: number; body: unknown }
const refuse = (status: number, error: string, description: string): Answer => ({ status, body: { error, error_description: description } })

/** Starts the token server on a free port of 127.0.0.1. */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const now = options.now ?? (() => new Date())
  const mailboxes = new Set((options.mailboxes ?? []).map((m) => m.toLowerCase()))
  const delegatedScopes = new Set(options.delegatedScopes ?? [GMAIL_READONLY])
  const refreshTokens = new Map<string, string>()
  const codes = new Map<string, { mailbox: string; challenge: string; redirectUri: string; omitRefreshToken: boolean }>()
  let tokenUrl = ''

  const grant = (mailbox: string, extra: Record<string, string> = {}): Answer => {
    const accessToken = `ya29.${randomBytes(24).toString('base64url')}`
    state.issued.push(accessToken)
    state.grants.set(mailbox, (state.grants.get(mailbox) ?? 0) + 1)
    return { status: 200, body: { access_token: accessToken, expires_in: options.expiresIn ?? 3599, token_type: 'Bearer', ...extra } }
  }
  const newRefreshToken = (mailbox: string): string => {
    const token = `1//0${randomBytes(32).toString('base64url')}`
    refreshTokens.set(token, mailbox)
    state.issued.push(token)
    return token
  }

  const jwtBearer = async (form: URLSearchParams): Promise<Answer> => {
    const account = options.serviceAccount
    const assertion = form.get('assertion') ?? ''
    if (account === undefined) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.')
    let header: JWTHeaderParameters
    let claims: JWTPayload
    try {
      header = decodeProtectedHeader(assertion) as JWTHeaderParameters
      ;({ payload: claims } = await jwtVerify(assertion, account.publicKey, {
        algorithms: ['RS256'],
        issuer: account.key.clientEmail,
        audience: tokenUrl,
        currentDate: now(),
        requiredClaims: ['iat', 'exp', 'sub', 'scope'],
      }))
    } catch (error) {
      const signature = (error as { code?: unknown }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
      return refuse(400, 'invalid_grant', signature ? 'Invalid JWT Signature.' : `Invalid JWT: ${(error as Error).message}`)
    }
    const { iat = 0, exp = 0, sub = '', scope } = claims
    if (exp - iat > MAX_ASSERTION_LIFETIME_S || exp <= iat) {
      return refuse(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.')
    }
    if (header.kid !== undefined && header.kid !== account.key.privateKeyId) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.')
    const scopes = typeof scope === 'string' ? scope.split(' ') : []
    if (!state.delegated || scopes.length === 0 || !scopes.every((s) => delegatedScopes.has(s))) {
      return refuse(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.')
    }
    if (!mailboxes.has(sub.toLowerCase())) return refuse(400, 'invalid_grant', 'Invalid email or User ID')
    state.assertions.push({ header, claims })
    return grant(sub.toLowerCase())
  }

  const clientOk = (form: URLSearchParams): boolean =>
    form.get('client_id') === options.oauthClient?.clientId && form.get('client_secret') === options.oauthClient.clientSecret

  const refresh = (form: URLSearchParams): Answer => {
    if (!clientOk(form)) return refuse(401, 'invalid_client', 'Unauthorized')
    const presented = form.get('refresh_token') ?? ''
    const mailbox = refreshTokens.get(presented)
    if (mailbox === undefined) return refuse(400, 'invalid_grant', 'Token has been expired or revoked.')
    if (options.rotateRefreshTokens !== true) return grant(mailbox, { scope: GMAIL_READONLY })
    refreshTokens.delete(presented)
    return grant(mailbox, { scope: GMAIL_READONLY, refresh_token: newRefreshToken(mailbox) })
  }

  const authorizationCode = (form: URLSearchParams): Answer => {
    if (!clientOk(form)) return refuse(401, 'invalid_client', 'Unauthorized')
    const code = codes.get(form.get('code') ?? '')
    if (code === undefined) return refuse(400, 'invalid_grant', 'Malformed auth code.')
    codes.delete(form.get('code') ?? '')
    if (form.get('redirect_uri') !== code.redirectUri) return refuse(400, 'redirect_uri_mismatch', 'Bad Request')
    const verifier = form.get('code_verifier') ?? ''
    if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return refuse(400, 'invalid_grant', 'Invalid code verifier.')
    const extra: Record<string, string> = { scope: GMAIL_READONLY }
    if (!code.omitRefreshToken) extra.refresh_token = newRefreshToken(code.mailbox)
    return grant(code.mailbox, extra)
  }

  const answer = async (req: IncomingMessage, form: URLSearchParams): Promise<Answer> => {
    if (req.method !== 'POST') return refuse(405, 'invalid_request', 'Method not allowed')
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse(400, 'invalid_request', 'Bad Request')
    const fault = state.faults.shift()
    if (fault !== undefined) return fault(form)
    switch (form.get('grant_type')) {
      case JWT_BEARER:
        return jwtBearer(form)
      case 'refresh_token':
        return refresh(form)
      case 'authorization_code':
        return authorizationCode(form)
      default:
        return refuse(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''))
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    state.forms.push(form)
    const { status, body } = await answer(req, form)
    if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
    if (res.destroyed) return
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json; charset=utf-8' })
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`

  const state: TokenServer = {
    tokenUrl,
    grants: new Map(),
    forms: [],
    assertions: [],
    issued: [],
    faults: [],
    delegated: true,
    totalGrants: () => [...state.grants.values()].reduce((a, b) => a + b, 0),
    issueRefreshToken: (mailbox) => newRefreshToken(mailbox.toLowerCase()),
    issueCode(mailbox, codeVerifier, redirectUri, codeOptions = {}) {
      const code = `4/0${randomBytes(24).toString('base64url')}`
      const challenge = createHash('sha256').update(codeVerifier).digest('base64url')
      codes.set(code, { mailbox: mailbox.toLowerCase(), challenge, redirectUri, omitRefreshToken: codeOptions.omitRefreshToken === true })
      return code
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => {
          if (error) reject(error)
          else resolve()
        })
      }),
  }
  return state
}
