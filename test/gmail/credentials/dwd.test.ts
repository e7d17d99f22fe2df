import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { SignJWT, importPKCS8 } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError, UpstreamError } from '../../../src/errors.js'
import { createDwdCredentials, type DwdCredentialsOptions } from '../../../src/gmail/credentials/dwd.js'
import { GMAIL_READONLY_SCOPE } from '../../../src/gmail/credentials/credentials.js'
import type { LogFields, Logger } from '../../../src/hooks.js'
import { Secret } from '../../../src/secrets/secret.js'
import { generateServiceAccount, startTokenServer, type TokenServer, type TestServiceAccount } from '../../helpers/token-server.js'

const ANN = 'ann@fund.example'
const BOB = 'bob@fund.example'
const CAT = 'cat@fund.example'

const account: TestServiceAccount = generateServiceAccount()
const pemBody = account.privateKeyPem.split('\n')[5] ?? ''

/** A logger that keeps every line, to check none carries a secret. */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (fields: LogFields, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`)
  return { logger: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }, lines }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('createDwdCredentials', () => {
  let server: TokenServer
  let now: Date
  const clock = { now: () => now }
  const log = recordingLogger()

  const provider = (options: Partial<DwdCredentialsOptions> = {}) =>
    createDwdCredentials({ serviceAccount: account.key, tokenUrl: server.tokenUrl, clock, logger: log.logger, ...options })

  beforeEach(async () => {
    now = new Date()
    log.lines.length = 0
    server = await startTokenServer({ serviceAccount: account, mailboxes: [ANN, BOB, CAT], now: () => now, expiresIn: 3600 })
  })
  afterEach(async () => {
    await server.close()
  })

  it('gets a token for a mailbox with a valid jwt-bearer grant', async () => {
    const token = await provider().getAccessToken(ANN)
    expect(server.issued).toContain(token.token)
    expect(token.expiresAt.getTime()).toBe(now.getTime() + 3600_000)
    expect(server.grants.get(ANN)).toBe(1)
  })

  it('signs the claims Google expects, with the key id in the header', async () => {
    await provider().getAccessToken(BOB)
    const form = server.forms[0]!
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer')
    expect([...form.keys()].sort()).toEqual(['assertion', 'grant_type'])
    const { header, claims } = server.assertions[0]!
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: account.key.privateKeyId })
    const iat = Math.floor(now.getTime() / 1000)
    expect(claims).toEqual({ iss: account.key.clientEmail, sub: BOB, scope: GMAIL_READONLY_SCOPE, aud: server.tokenUrl, iat, exp: iat + 3600 })
  })

  it('leaves kid out when the key id is unknown, and joins several scopes with spaces', async () => {
    await server.close()
    const labels = 'https://www.googleapis.com/auth/gmail.labels'
    server = await startTokenServer({ serviceAccount: account, mailboxes: [ANN], delegatedScopes: [GMAIL_READONLY_SCOPE, labels], now: () => now })
    await provider({ serviceAccount: { ...account.key, privateKeyId: null }, scopes: [GMAIL_READONLY_SCOPE, labels] }).getAccessToken(ANN)
    const { header, claims } = server.assertions[0]!
    expect(header.kid).toBeUndefined()
    expect(claims.scope).toBe(`${GMAIL_READONLY_SCOPE} ${labels}`)
  })

  it('makes one grant per mailbox however many calls run in parallel', async () => {
    const credentials = provider()
    const mailboxes = [ANN, BOB, CAT]
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => credentials.getAccessToken(mailboxes[i % 3]!)))
    expect(server.totalGrants()).toBe(3)
    expect(Object.fromEntries(server.grants)).toEqual({ [ANN]: 1, [BOB]: 1, [CAT]: 1 })
    for (const [i, token] of tokens.entries()) expect(token).toBe(tokens[i % 3])
    expect(await credentials.getAccessToken('Ann@Fund.Example')).toBe(tokens[0])
    expect(server.totalGrants()).toBe(3)
  })

  it('reuses the token until five minutes before it expires, then grants a new one', async () => {
    const credentials = provider()
    const first = await credentials.getAccessToken(ANN)
    now = new Date(now.getTime() + 54 * 60_000 + 59_000)
    expect(await credentials.getAccessToken(ANN)).toBe(first)
    expect(server.grants.get(ANN)).toBe(1)
    now = new Date(now.getTime() + 2_000)
    const second = await credentials.getAccessToken(ANN)
    expect(second.token).not.toBe(first.token)
    expect(server.grants.get(ANN)).toBe(2)
    expect(second.expiresAt.getTime()).toBe(now.getTime() + 3600_000)
  })

  it('forceRefresh skips the cache, still with one request in flight', async () => {
    const credentials = provider()
    const first = await credentials.getAccessToken(ANN)
    const forced = await Promise.all([1, 2, 3, 4, 5].map(() => credentials.getAccessToken(ANN, { forceRefresh: true })))
    expect(server.grants.get(ANN)).toBe(2)
    expect(new Set(forced.map((t) => t.token)).size).toBe(1)
    expect(forced[0]!.token).not.toBe(first.token)
    expect(await credentials.getAccessToken(ANN)).toBe(forced[0])
  })

  it('says plainly that delegation is not set up when Google answers unauthorized_client', async () => {
    server.delegated = false
    const error = await rejection(provider().getAccessToken(ANN))
    expect(error).toBeInstanceOf(ConfigurationError)
    const { issues, message } = error as ConfigurationError
    expect(issues).toHaveLength(1)
    expect(issues[0]!.variable).toBe('CRM_GMAIL_SA_KEY_PATH')
    expect(issues[0]!.message).toContain('domain-wide delegation is not set up')
    expect(message).toContain(account.key.clientId!)
    expect(message).toContain(GMAIL_READONLY_SCOPE)
    expect(message).toContain('Admin console')
  })

  it('maps invalid_grant (unknown mailbox) to a non-retryable UpstreamError, and other mailboxes go on', async () => {
    const credentials = provider()
    const error = await rejection(credentials.getAccessToken('gone@fund.example'))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error).toMatchObject({ reason: 'invalid_grant', retryable: false, upstreamStatus: 400 })
    expect((error as Error).message).toMatch(/gone@fund\.example.*unknown.*revoked.*needs attention/)
    expect((await credentials.getAccessToken(ANN)).token).toMatch(/^ya29\./)
  })

  it('maps other 4xx to a non-retryable UpstreamError with the reason', async () => {
    server.faults.push(() => ({ status: 400, body: { error: 'invalid_scope', error_description: 'Bad scope' } }))
    const error = await rejection(provider().getAccessToken(ANN))
    expect(error).toMatchObject({ reason: 'invalid_scope', retryable: false, upstreamStatus: 400 })
    expect((error as Error).message).toContain('Bad scope')
    expect(server.forms).toHaveLength(1)
  })

  it('retries a 5xx twice, then fails retryable; failures are not cached', async () => {
    const unavailable = () => ({ status: 503, body: '<html>Service Unavailable</html>' })
    server.faults.push(unavailable)
    const credentials = provider()
    expect((await credentials.getAccessToken(BOB)).token).toMatch(/^ya29\./)
    expect(server.forms).toHaveLength(2)

    server.faults.push(unavailable, unavailable, unavailable)
    const error = await rejection(credentials.getAccessToken(ANN))
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error).toMatchObject({ retryable: true, upstreamStatus: 503 })
    expect(server.forms).toHaveLength(5)
    expect((await credentials.getAccessToken(ANN)).token).toMatch(/^ya29\./)
  })

  it('maps a timeout (not retried) and an unreachable endpoint (retried) to retryable errors', async () => {

    const slow = await startTokenServer({ serviceAccount: account, mailboxes: [ANN], delayMs: 500 })
    const timedOut = await rejection(provider({ tokenUrl: slow.tokenUrl, timeoutMs: 50 }).getAccessToken(ANN))
    expect(slow.forms).toHaveLength(1)
    await slow.close()
    expect(timedOut).toMatchObject({ retryable: true, upstreamStatus: null, reason: 'timeout' })

    const unreachable = await rejection(provider({ tokenUrl: `http://127.0.0.1:${await freePort()}/token` }).getAccessToken(ANN))
    expect(unreachable).toMatchObject({ retryable: true, upstreamStatus: null, reason: 'ECONNREFUSED' })
  })

  it('never puts the key, the assertion or a token in an error or a log line', async () => {
    const credentials = provider()
    const token = await credentials.getAccessToken(ANN)
    const errors: unknown[] = []
    server.faults.push((form) => ({ status: 400, body: { error: 'invalid_request', error_description: `bad ${form.get('assertion') ?? ''}` } }))
    const internal = () => ({ status: 500, body: { error: 'internal_failure' } })
    server.faults.push(internal, internal, internal)
    errors.push(await rejection(credentials.getAccessToken(BOB)))
    errors.push(await rejection(credentials.getAccessToken(BOB)))
    errors.push(await rejection(credentials.getAccessToken('gone@fund.example')))
    server.delegated = false
    errors.push(await rejection(credentials.getAccessToken(CAT)))
    const badKey = { ...account.key, privateKey: new Secret(account.privateKeyPem.replace('PRIVATE KEY', 'PUBLIC KEY')) }
    errors.push(await rejection(provider({ serviceAccount: badKey }).getAccessToken(ANN)))
    expect(errors[4]).toBeInstanceOf(ConfigurationError)

    const assertions = server.forms.map((f) => f.get('assertion') ?? '').filter((a) => a !== '')
    const secrets = [pemBody, token.token, ...server.issued, ...assertions, ...assertions.map((a) => a.split('.')[2] ?? '')]
    expect(pemBody.length).toBeGreaterThan(40)
    for (const error of errors) {
      const shown = [(error as Error).message, String(error), JSON.stringify(error), inspect(error, { depth: 8 })].join('\n')
      for (const secret of secrets) expect(shown).not.toContain(secret)
    }
    expect((errors[0] as Error).message).toContain('withheld')
    const logged = log.lines.join('\n')
    expect(logged).toContain(ANN)
    for (const secret of secrets) expect(logged).not.toContain(secret)
  })

  it('refuses options that would switch a limit off or cannot work', () => {
    for (const timeoutMs of [0, Number.NaN, 1.5, -1, 10 ** 9]) expect(() => provider({ timeoutMs })).toThrow(/timeoutMs/)
    expect(() => provider({ tokenUrl: 'oauth2.googleapis.com/token' })).toThrow(/tokenUrl/)
    expect(() => provider({ scopes: [] })).toThrow(/scopes/)
    expect(() => provider({ scopes: ['a b'] })).toThrow(/scopes/)
  })
})

describe('the token server helper checks what Google checks', () => {
  let server: TokenServer
  beforeEach(async () => {
    server = await startTokenServer({ serviceAccount: account, mailboxes: [ANN] })
  })
  afterEach(async () => {
    await server.close()
  })

  const post = async (assertion: string) => {
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion })
    const res = await fetch(server.tokenUrl, { method: 'POST', body })
    return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string } }
  }
  const sign = async (pem: string, lifetime: number, audience = server.tokenUrl) => {
    const iat = Math.floor(Date.now() / 1000)
    return new SignJWT({ scope: GMAIL_READONLY_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(account.key.clientEmail)
      .setSubject(ANN)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetime)
      .sign(await importPKCS8(pem, 'RS256'))
  }

  it('accepts a good assertion and refuses a forged, a too-long or a mis-addressed one', async () => {
    expect((await post(await sign(account.privateKeyPem, 3600))).status).toBe(200)
    const forged = await post(await sign(generateServiceAccount().privateKeyPem, 3600))
    expect(forged).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } })
    const tooLong = await post(await sign(account.privateKeyPem, 3601))
    expect(tooLong.body.error).toBe('invalid_grant')
    expect(tooLong.body.error_description).toMatch(/short-lived/)
    expect((await post(await sign(account.privateKeyPem, 3600, 'https://elsewhere.example/token'))).body.error).toBe('invalid_grant')
    expect(server.totalGrants()).toBe(1)
  })
})

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve()
    })
  })
  return port
}
