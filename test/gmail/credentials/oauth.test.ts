import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, DecryptionError, UpstreamError, ValidationError } from '../../../src/errors.js'
import {
  createOAuthCredentials,
  exchangeAuthorizationCode,
  type OAuthCredentialsOptions,
} from '../../../src/gmail/credentials/oauth.js'
import { GMAIL_READONLY_SCOPE } from '../../../src/gmail/credentials/credentials.js'
import type { LogFields, Logger } from '../../../src/hooks.js'
import { Secret } from '../../../src/secrets/secret.js'
import { startTokenServer, type TokenServer } from '../../helpers/token-server.js'

const ANN = 'ann@fund.example'
const BOB = 'bob@fund.example'
const CLIENT_ID = '123456789012-abc.apps.googleusercontent.com'
const CLIENT_SECRET = 'GOCSPX-client-secret-do-not-print'
const REDIRECT_URI = 'https://crm.example/email/oauth/callback'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

function shown(error: unknown): string {
  return [(error as Error).message, String(error), JSON.stringify(error), inspect(error, { depth: 8 })].join('\n')
}

describe('createOAuthCredentials', () => {
  let server: TokenServer
  let stored: Map<string, Secret>
  const lines: string[] = []
  const keep = (level: string) => (fields: LogFields, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`)
  const logger: Logger = { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }

  const provider = (options: Partial<OAuthCredentialsOptions> = {}) =>
    createOAuthCredentials({
      clientId: CLIENT_ID,
      clientSecret: new Secret(CLIENT_SECRET),
      tokenUrl: server.tokenUrl,
      refreshTokenFor: (mailbox) => Promise.resolve(stored.get(mailbox) ?? null),
      logger,
      ...options,
    })

  const start = async (rotateRefreshTokens = false) => {
    server = await startTokenServer({ oauthClient: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, rotateRefreshTokens })
    stored = new Map([
      [ANN, new Secret(server.issueRefreshToken(ANN))],
      [BOB, new Secret(server.issueRefreshToken(BOB))],
    ])
  }
  beforeEach(async () => {
    lines.length = 0
    await start()
  })
  afterEach(async () => {
    await server.close()
  })

  it('trades the stored refresh token for an access token, once per mailbox in parallel', async () => {
    const refreshTokenFor = vi.fn((mailbox: string) => Promise.resolve(stored.get(mailbox) ?? null))
    const credentials = provider({ refreshTokenFor })
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => credentials.getAccessToken(i % 2 === 0 ? ANN : BOB)))
    expect(Object.fromEntries(server.grants)).toEqual({ [ANN]: 1, [BOB]: 1 })
    expect(refreshTokenFor).toHaveBeenCalledTimes(2)
    expect(new Set(tokens.map((t) => t.token)).size).toBe(2)
    const form = server.forms[0]!
    expect([...form.keys()].sort()).toEqual(['client_id', 'client_secret', 'grant_type', 'refresh_token'])
    expect(Object.fromEntries(form)).toMatchObject({ grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET })
    expect([stored.get(ANN)!.reveal(), stored.get(BOB)!.reveal()]).toContain(form.get('refresh_token'))
    expect(await credentials.getAccessToken(ANN)).toBe(tokens[0])
    await credentials.getAccessToken(ANN, { forceRefresh: true })
    expect(server.grants.get(ANN)).toBe(2)
  })

  it('says the owner must consent when no refresh token is stored, without calling Google', async () => {
    const error = await rejection(provider().getAccessToken('new@fund.example'))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error).toMatchObject({ reason: 'invalid_grant', retryable: false, upstreamStatus: null })
    expect((error as Error).message).toMatch(/new@fund\.example.*grant access.*consent/)
    expect(server.forms).toHaveLength(0)
  })

  it('surfaces a revoked refresh token as invalid_grant', async () => {
    stored.set(ANN, new Secret('1//0revoked-refresh-token-value'))
    const error = await rejection(provider().getAccessToken(ANN))
    expect(error).toMatchObject({ reason: 'invalid_grant', retryable: false, upstreamStatus: 400 })
    expect((error as Error).message).toMatch(/revoked or has expired.*consent/)
  })

  it('reports invalid_client as a configuration error on the OAuth client variables', async () => {
    const error = await rejection(provider({ clientSecret: new Secret('GOCSPX-wrong-secret-value') }).getAccessToken(ANN))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as ConfigurationError).issues.map((i) => i.variable)).toEqual(['CRM_GMAIL_OAUTH_CLIENT_ID', 'CRM_GMAIL_OAUTH_CLIENT_SECRET'])
    expect(shown(error)).not.toContain('GOCSPX-wrong-secret-value')
  })

  it('passes errors of refreshTokenFor through, and maps 5xx to retryable', async () => {
    const broken = provider({ refreshTokenFor: () => Promise.reject(new DecryptionError('sealed under an unknown key')) })
    expect(await rejection(broken.getAccessToken(ANN))).toBeInstanceOf(DecryptionError)
    const badGateway = () => ({ status: 502, body: 'Bad Gateway' })
    server.faults.push(badGateway, badGateway, badGateway)
    expect(await rejection(provider().getAccessToken(ANN))).toMatchObject({ retryable: true, upstreamStatus: 502 })
  })

  it('hands a rotated refresh token to the hook, and still works when the hook fails', async () => {
    await server.close()
    await start(true)
    const before = stored.get(ANN)!.reveal()
    const onRefreshTokenRotated = vi.fn((mailbox: string, token: Secret) => {
      stored.set(mailbox, token)
      return Promise.resolve()
    })
    const credentials = provider({ onRefreshTokenRotated })
    await credentials.getAccessToken(ANN)
    expect(onRefreshTokenRotated).toHaveBeenCalledTimes(1)
    const rotated = stored.get(ANN)!.reveal()
    expect(rotated).not.toBe(before)
    expect(server.issued).toContain(rotated)
    await credentials.getAccessToken(ANN, { forceRefresh: true })
    expect(server.forms[1]!.get('refresh_token')).toBe(rotated)

    const failing = provider({ onRefreshTokenRotated: () => Promise.reject(new Error('database is down')) })
    expect((await failing.getAccessToken(BOB)).token).toMatch(/^ya29\./)
    expect(lines.some((l) => l.startsWith('error gmail refresh token rotated but not stored'))).toBe(true)
  })

  it('never puts the client secret, a refresh token or an access token in an error or a log line', async () => {
    const credentials = provider()
    const token = await credentials.getAccessToken(ANN)
    const errors: unknown[] = []
    server.faults.push((form) => ({ status: 400, body: { error: 'invalid_request', error_description: `refresh_token ${form.get('refresh_token') ?? ''} is odd` } }))
    server.faults.push((form) => ({ status: 401, body: { error: 'invalid_client', error_description: `secret ${form.get('client_secret') ?? ''}` } }))
    errors.push(await rejection(credentials.getAccessToken(BOB)))
    errors.push(await rejection(credentials.getAccessToken(BOB)))
    stored.set(BOB, new Secret('1//0revoked-refresh-token-value'))
    errors.push(await rejection(credentials.getAccessToken(BOB)))
    const secrets = [CLIENT_SECRET, token.token, '1//0revoked-refresh-token-value', ...server.issued]
    for (const error of errors) for (const secret of secrets) expect(shown(error)).not.toContain(secret)
    expect((errors[0] as Error).message).toContain('withheld')
    const logged = lines.join('\n')
    expect(logged).toContain(ANN)
    for (const secret of secrets) expect(logged).not.toContain(secret)
  })
})

describe('exchangeAuthorizationCode', () => {
  let server: TokenServer
  const verifier = randomBytes(48).toString('base64url')
  const client = { clientId: CLIENT_ID, clientSecret: new Secret(CLIENT_SECRET) }

  beforeEach(async () => {
    server = await startTokenServer({ oauthClient: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } })
  })
  afterEach(async () => {
    await server.close()
  })

  const exchange = (code: string, codeVerifier: string | Secret = verifier) =>
    exchangeAuthorizationCode({ ...client, code, codeVerifier, redirectUri: REDIRECT_URI, tokenUrl: server.tokenUrl })

  it('trades the code and the PKCE verifier for an access and a refresh token', async () => {
    const before = Date.now()
    const grant = await exchange(server.issueCode(ANN, verifier, REDIRECT_URI), new Secret(verifier))
    const form = server.forms[0]!
    expect(form.get('grant_type')).toBe('authorization_code')
    expect(form.get('code_verifier')).toBe(verifier)
    expect(form.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(grant.accessToken).toBeInstanceOf(Secret)
    expect(grant.refreshToken).toBeInstanceOf(Secret)
    expect(server.issued).toEqual([grant.refreshToken.reveal(), grant.accessToken.reveal()])
    expect(grant.scope).toBe(GMAIL_READONLY_SCOPE)
    expect(grant.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3599_000)
    expect(JSON.stringify(grant)).not.toContain(grant.refreshToken.reveal())
  })

  it('maps a wrong verifier or a used code to invalid_grant, and leaks neither', async () => {
    const code = server.issueCode(ANN, verifier, REDIRECT_URI)
    const wrong = randomBytes(48).toString('base64url')
    const error = await rejection(exchange(code, wrong))
    expect(error).toMatchObject({ reason: 'invalid_grant', retryable: false })
    expect((error as Error).message).toMatch(/start the consent again/)
    const again = await rejection(exchange(code))
    expect(again).toMatchObject({ reason: 'invalid_grant' })
    for (const e of [error, again]) for (const secret of [code, wrong, verifier, CLIENT_SECRET]) expect(shown(e)).not.toContain(secret)
  })

  it('refuses a malformed verifier before calling Google, and a grant without a refresh token', async () => {
    expect(await rejection(exchange('4/0code', 'too-short'))).toBeInstanceOf(ValidationError)
    expect(await rejection(exchange(''))).toBeInstanceOf(ValidationError)
    expect(server.forms).toHaveLength(0)
    const error = await rejection(exchange(server.issueCode(ANN, verifier, REDIRECT_URI, { omitRefreshToken: true })))
    expect(error).toMatchObject({ reason: 'missing_refresh_token', retryable: false })
    expect((error as Error).message).toContain('access_type=offline')
  })

  it('reports a wrong client secret as a configuration error', async () => {
    const error = await rejection(
      exchangeAuthorizationCode({
        ...client,
        clientSecret: new Secret('GOCSPX-not-it'),
        code: server.issueCode(ANN, verifier, REDIRECT_URI),
        codeVerifier: verifier,
        redirectUri: REDIRECT_URI,
        tokenUrl: server.tokenUrl,
      }),
    )
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(shown(error)).not.toContain('GOCSPX-not-it')
  })
})
