import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/index.js'
import { startGmailEmulator } from '../../../src/testing/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'
import { JWT_BEARER, READONLY, accessToken, gmailGet, postToken, reasonOf, signAssertion } from '../../helpers/emulator-auth.js'
import type { ErrorBody } from '../../helpers/emulator-auth.js'

const ANN = 'ann@fund.example'
const BO = 'bo@fund.example'
const UNAUTHORIZED_CLIENT = 'Client is unauthorized to retrieve access tokens using this method, ' +
  'or client not authorized for any of the scopes requested.'

let emu: GmailEmulator
let now = Date.UTC(2026, 5, 1)
const clock = { now: () => now }
const nowS = (): number => Math.floor(now / 1000)

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 'token-tests', clock })
  emu.addMailbox(ANN)
  emu.addMailbox(BO)
})
afterAll(() => emu.close())

async function grant(claims: Record<string, unknown>, pem?: string): Promise<Awaited<ReturnType<typeof postToken>>> {
  const assertion = await signAssertion(emu, claims, pem === undefined ? { nowS: nowS() } : { pem, nowS: nowS() })
  return postToken(emu, { grant_type: JWT_BEARER, assertion })
}

describe('token endpoint: jwt-bearer grant', () => {
  it('issues a token for a valid assertion, bound to the subject mailbox', async () => {
    const answer = await grant({ sub: ANN })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ access_token: expect.stringMatching(/^ya29\./) as unknown, expires_in: 3599, token_type: 'Bearer' })
    const profile = await gmailGet(emu, answer.body.access_token as string, 'users/me/profile')
    expect(profile.status).toBe(200)
    expect(profile.body.emailAddress).toBe(ANN)
    expect(emu.stats.tokensIssued[ANN]).toBeGreaterThanOrEqual(1)
  })

  it('emulates the service-account key file shape', () => {
    const key = emu.serviceAccountKey
    expect(key.type).toBe('service_account')
    expect(key.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(key.private_key_id).toMatch(/^[0-9a-f]{40}$/)
    expect(key.client_id).toMatch(/^\d{21}$/)
    expect(key.client_email).toMatch(/@.+\.iam\.gserviceaccount\.com$/)
    expect(key.token_uri).toBe(emu.tokenUrl)
    expect(emu.tokenUrl).toBe(`${emu.url}/token`)
    const config = resolveConfig({ serviceAccountKey: key, apiBaseUrl: emu.url, tokenUrl: emu.tokenUrl, oauthAuthUrl: emu.authUrl })
    expect(config.serviceAccount?.clientEmail).toBe(key.client_email)
  })

  it('refuses an assertion signed with another key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const forged = await grant({ sub: ANN }, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    expect(forged.status).toBe(400)
    expect(forged.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' })
  })

  it('refuses an unsigned assertion (alg none)', async () => {
    const part = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')
    const claims = { iss: emu.serviceAccountKey.client_email, aud: emu.tokenUrl, scope: READONLY, sub: ANN, iat: nowS(), exp: nowS() + 60 }
    const answer = await postToken(emu, { grant_type: JWT_BEARER, assertion: `${part({ alg: 'none' })}.${part(claims)}.` })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_grant')
  })

  it.each([
    ['a wrong audience', { aud: 'https://oauth2.googleapis.com/token' }, 'Invalid JWT: Failed audience check.'],
    ['a wrong issuer', { iss: 'someone@else.iam.gserviceaccount.com' }, 'Invalid grant: account not found'],
    ['a lifetime over an hour', { exp: nowS() + 3601 }, /short-lived token \(60 minutes\)/],
    ['an expired assertion', { iat: nowS() - 7200, exp: nowS() - 3600 }, /short-lived token/],
    ['an assertion from the future', { iat: nowS() + 3600, exp: nowS() + 3700 }, /reasonable timeframe/],
    ['no iat', { iat: undefined }, /short-lived token/],
    ['an unknown subject', { sub: 'nobody@fund.example' }, 'Invalid email or User ID'],
  ])('refuses %s with invalid_grant', async (_name, claims, description) => {
    const answer = await grant({ sub: ANN, ...claims })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_grant')
    expect(answer.body.error_description).toEqual(typeof description === 'string' ? description : expect.stringMatching(description))
  })

  it('answers unauthorized_client (401) when delegation does not cover the scope', async () => {
    const answer = await grant({ sub: ANN, scope: `${READONLY} https://www.googleapis.com/auth/gmail.send` })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'unauthorized_client', error_description: UNAUTHORIZED_CLIENT })
  })

  it('answers invalid_scope when the scope is missing', async () => {
    const answer = await grant({ sub: ANN, scope: undefined })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_scope', error_description: 'Empty or missing scope not allowed.' })
  })

  it('gives a token without sub, which Gmail refuses with failedPrecondition', async () => {
    const answer = await grant({})
    expect(answer.status).toBe(200)
    const profile = await gmailGet(emu, answer.body.access_token as string, 'users/me/profile')
    expect(profile.status).toBe(400)
    expect(reasonOf(profile.body)).toBe('failedPrecondition')
  })

  it('rejects unknown grant types and missing assertions', async () => {
    expect((await postToken(emu, { grant_type: 'password' })).body.error).toBe('unsupported_grant_type')
    expect((await postToken(emu, { grant_type: JWT_BEARER })).body.error).toBe('invalid_request')
  })

  it('simulates delegation that was not set up (authorizedScopes)', async () => {
    const other = await startGmailEmulator({ authorizedScopes: ['https://www.googleapis.com/auth/gmail.modify'] })
    try {
      other.addMailbox(ANN)
      const assertion = await signAssertion(other, { sub: ANN })
      const answer = await postToken(other, { grant_type: JWT_BEARER, assertion })
      expect(answer.status).toBe(401)
      expect(answer.body.error).toBe('unauthorized_client')
    } finally {
      await other.close()
    }
  })
})

describe('token endpoint: OAuth grants', () => {
  const client = { clientId: 'crm-client.apps.googleusercontent.com', clientSecret: 'crm-secret', redirectUris: ['http://localhost:3000/cb'] }
  const otherClient = { clientId: 'other.apps.googleusercontent.com', clientSecret: 'other-secret' }
  beforeAll(() => {
    emu.registerOAuthClient(client)
    emu.registerOAuthClient(otherClient)
  })
  const refreshForm = (token: string, c: { clientId: string; clientSecret: string } = client): Record<string, string> =>
    ({ grant_type: 'refresh_token', refresh_token: token, client_id: c.clientId, client_secret: c.clientSecret })

  it('refreshes with a refresh token, bound to its mailbox', async () => {
    const token = emu.issueRefreshToken(BO, client.clientId)
    const answer = await postToken(emu, refreshForm(token))
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ expires_in: 3599, token_type: 'Bearer', scope: READONLY })
    const profile = await gmailGet(emu, answer.body.access_token as string, 'users/me/profile')
    expect(profile.body.emailAddress).toBe(BO)
  })

  it('refuses revoked tokens, wrong secrets, unknown and other clients', async () => {
    const token = emu.issueRefreshToken(BO, client.clientId)
    const wrongSecret = await postToken(emu, refreshForm(token, { ...client, clientSecret: 'nope' }))
    expect([wrongSecret.status, wrongSecret.body.error]).toEqual([401, 'invalid_client'])
    const unknown = await postToken(emu, refreshForm(token, { clientId: 'x', clientSecret: 'y' }))
    expect([unknown.status, unknown.body.error]).toEqual([401, 'invalid_client'])
    const other = await postToken(emu, refreshForm(token, otherClient))
    expect([other.status, other.body.error]).toEqual([401, 'unauthorized_client'])
    emu.revokeRefreshToken(token)
    const revoked = await postToken(emu, refreshForm(token))
    expect(revoked.status).toBe(400)
    expect(revoked.body).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' })
  })

  async function consent(params: Record<string, string>): Promise<URL> {
    const url = new URL(emu.authUrl)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    const res = await fetch(url, { redirect: 'manual' })
    expect(res.status).toBe(302)
    return new URL(res.headers.get('location') ?? '')
  }

  it('runs the authorization-code flow with PKCE (S256)', async () => {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const consentParams = {
      client_id: client.clientId, redirect_uri: 'http://localhost:3000/cb', response_type: 'code', scope: READONLY,
      state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256', access_type: 'offline', login_hint: BO,
    }
    const back = await consent(consentParams)
    expect(back.origin + back.pathname).toBe('http://localhost:3000/cb')
    expect(back.searchParams.get('state')).toBe('st-1')
    const code = back.searchParams.get('code') ?? ''
    expect(emu.consents.at(-1)).toMatchObject({ clientId: client.clientId, mailbox: BO, outcome: 'allowed', codeChallenge: challenge })
    const exchange = { grant_type: 'authorization_code', code, client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: 'http://localhost:3000/cb' }
    const wrong = await postToken(emu, { ...exchange, code_verifier: 'not-the-verifier' })
    expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid code verifier.' })
    // A failed exchange used the code up, as Google's codes are single-use.
    const again = await postToken(emu, { ...exchange, code_verifier: verifier })
    expect(again.body.error).toBe('invalid_grant')

    const fresh = (await consent(consentParams)).searchParams.get('code') ?? ''
    expect((await postToken(emu, { ...exchange, code: fresh })).body).toEqual({ error: 'invalid_grant', error_description: 'Missing code verifier.' })
    const third = (await consent(consentParams)).searchParams.get('code') ?? ''
    const ok = await postToken(emu, { ...exchange, code: third, code_verifier: verifier })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, refresh_token: expect.stringMatching(/^1\/\/0/) as unknown })
    expect((await gmailGet(emu, ok.body.access_token as string, 'users/me/profile')).body.emailAddress).toBe(BO)
    const refreshed = await postToken(emu, refreshForm(ok.body.refresh_token as string))
    expect(refreshed.status).toBe(200)
  })

  it('checks the redirect URI and reports denied consent', async () => {
    const base = { client_id: client.clientId, redirect_uri: 'http://localhost:3000/cb', response_type: 'code', scope: READONLY, state: 's' }
    const mismatch = await fetch(`${emu.authUrl}?${new URLSearchParams({ ...base, redirect_uri: 'http://evil.example/cb' }).toString()}`, { redirect: 'manual' })
    expect(mismatch.status).toBe(400)
    emu.setConsent({ decision: 'deny' })
    try {
      const denied = await consent(base)
      expect(denied.searchParams.get('error')).toBe('access_denied')
      expect(denied.searchParams.get('state')).toBe('s')
    } finally {
      emu.setConsent({ decision: 'allow' })
    }
    const code = (await consent(base)).searchParams.get('code') ?? ''
    const answer = await postToken(emu, { grant_type: 'authorization_code', code, client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: 'http://localhost:3000/other' })
    expect(answer.body.error).toBe('redirect_uri_mismatch')
    // Without access_type=offline Google gives no refresh token.
    const online = (await consent(base)).searchParams.get('code') ?? ''
    const tokens = await postToken(emu, { grant_type: 'authorization_code', code: online, client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: 'http://localhost:3000/cb' })
    expect(tokens.status).toBe(200)
    expect(tokens.body.refresh_token).toBeUndefined()
  })
})

describe('Gmail authorization', () => {
  it('answers 401 with Google body and WWW-Authenticate for a missing or bad token', async () => {
    const missing = await gmailGet<ErrorBody>(emu, null, 'users/me/profile')
    expect(missing.status).toBe(401)
    expect(missing.body.error.status).toBe('UNAUTHENTICATED')
    expect(reasonOf(missing.body)).toBe('required')
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
    const bad = await gmailGet<ErrorBody>(emu, 'ya29.forged', 'users/me/profile')
    expect(bad.status).toBe(401)
    expect(bad.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError', domain: 'global' }] })
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token')
  })

  it('expires tokens after an hour and honours revocation', async () => {
    const token = await accessToken(emu, ANN, nowS())
    expect((await gmailGet(emu, token, 'users/me/profile')).status).toBe(200)
    now += 3600 * 1000
    expect(reasonOf((await gmailGet(emu, token, 'users/me/profile')).body)).toBe('authError')
    const second = await accessToken(emu, ANN, nowS())
    emu.revokeAccessTokens(ANN)
    expect((await gmailGet(emu, second, 'users/me/profile')).status).toBe(401)
  })

  it('accepts me or the address, and denies delegation for another mailbox', async () => {
    const token = await accessToken(emu, ANN, nowS())
    expect((await gmailGet(emu, token, `users/${encodeURIComponent('Ann@Fund.example')}/profile`)).status).toBe(200)
    const other = await gmailGet<ErrorBody>(emu, token, `users/${encodeURIComponent(BO)}/profile`)
    expect(other.status).toBe(403)
    expect(other.body.error).toMatchObject({ code: 403, message: `Delegation denied for ${BO}`, status: 'PERMISSION_DENIED', errors: [{ reason: 'forbidden' }] })
  })
})

describe('options', () => {
  it.each([
    [{ quota: 0 }, /quota/],
    [{ quota: Number.NaN }, /quota/],
    [{ maxInFlight: -1 }, /maxInFlight/],
    [{ faults: { serverError: 1.5 } }, /serverError/],
    [{ faults: { serverError: 0.6, rateLimit: 0.6 } }, /at most 1/],
    [{ costs: { get: -1 } }, /costs\.get/],
  ])('rejects %j', async (options, message) => {
    await expect(startGmailEmulator(options)).rejects.toThrow(message)
  })
})
