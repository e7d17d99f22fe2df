import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createEmailIntegration, createSecretBox, Secret, type EmailConfigInput, type EmailDatabase, type EmailIntegration, type Principal } from '../../src/index.js'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { DIRECTORY, mail } from '../helpers/sync/setup.js'

const ANN = 'ann@fund.example'
const BOB = 'bob@fund.example'
const REDIRECT_URI = 'http://127.0.0.1/api/email/oauth/callback'
const CLIENT = { clientId: 'crm-consent.apps.googleusercontent.com', clientSecret: 'GOCSPX-consent-test-secret' }
const READONLY = 'https://www.googleapis.com/auth/gmail.readonly'
const TEN_MINUTES_MS = 10 * 60 * 1000

/** The signed-in users, chosen by the `x-test-user` header. */
const USERS: Record<string, Principal> = {
  ann: { userId: 'u-ann', email: 'Ann@Fund.example', isAdmin: false },
  bob: { userId: 'u-bob', email: BOB, isAdmin: false },
  zed: { userId: 'u-zed', email: 'zed@elsewhere.example', isAdmin: false },
}

/** The token endpoint behind a recorder: the plaintext tokens Google sent, to look for later. */
interface TokenRecorder {
  readonly url: string
  readonly answers: Record<string, unknown>[]
  close(): Promise<void>
}

async function recordTokens(target: string): Promise<TokenRecorder> {
  const answers: Record<string, unknown>[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      void (async () => {
        const upstream = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
          body: Buffer.concat(chunks),
        })
        const text = await upstream.text()
        answers.push(JSON.parse(text) as Record<string, unknown>)
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
      })()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/token`,
    answers,
    close: () => new Promise((resolve) => server.close(() => { resolve() })),
  }
}

describeEachDialect('OAuth consent routes', (open) => {
  let t: TestDatabase
  let emu: GmailEmulator
  let tokens: TokenRecorder
  let email: EmailIntegration
  let db: Kysely<EmailDatabase>
  let attachmentsDir: string
  let offsetMs: number
  let logs: string[]
  const secretKey = randomBytes(32).toString('base64')

  const integration = (config: EmailConfigInput = {}): EmailIntegration =>
    createEmailIntegration({
      db: t.db,
      config: {
        enabled: true,
        authMethod: 'oauth',
        oauth: { ...CLIENT, redirectUri: REDIRECT_URI },
        secretKey,
        workspaceDomains: ['fund.example'],
        apiBaseUrl: emu.url,
        tokenUrl: tokens.url,
        oauthAuthUrl: emu.authUrl,
        attachmentsDir,
        backfillDays: 0,
        ...config,
      },
      directory: () => Promise.resolve(DIRECTORY),
      authenticate: (request) => Promise.resolve(USERS[request.headers.get('x-test-user') ?? ''] ?? null),
      clock: { now: () => new Date(Date.now() + offsetMs) },
      logger: Object.fromEntries(
        (['debug', 'info', 'warn', 'error'] as const).map((level) => [level, (fields: unknown, message: string) => logs.push(`${message} ${JSON.stringify(fields)}`)]),
      ),
      gmail: { backoff: { minDelayMs: 2, maxDelayMs: 20 } },
    })

  beforeEach(async () => {
    t = await open()
    emu = await startGmailEmulator({ seed: 6 })
    emu.addMailbox(ANN)
    emu.addMailbox(BOB)
    emu.registerOAuthClient({ ...CLIENT, redirectUris: [REDIRECT_URI] })
    tokens = await recordTokens(emu.tokenUrl)
    attachmentsDir = mkdtempSync(join(tmpdir(), 'email-oauth-consent-'))
    offsetMs = 0
    logs = []
    email = integration()
    await email.migrate()
    db = t.db as unknown as Kysely<EmailDatabase>
  })
  afterEach(async () => {
    await email.close()
    await tokens.close()
    await emu.close()
    await t.close()
    rmSync(attachmentsDir, { recursive: true, force: true })
  })

  const call = async (path: string, user = 'ann', on: EmailIntegration = email): Promise<Response> => {
    const response = await on.tryHandle(new Request(`http://crm.local${path}`, { headers: { 'x-test-user': user } }))
    if (response === null) throw new Error(`${path} was not handled`)
    return response
  }
  const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error

  /** Starts a consent as `user` and goes through the emulator's consent page: the callback query. */
  const consent = async (user = 'ann'): Promise<URLSearchParams> => {
    const started = await call('/api/email/oauth/start', user)
    expect(started.status).toBe(302)
    const page = await fetch(started.headers.get('location') ?? '', { redirect: 'manual' })
    expect(page.status).toBe(302)
    const back = new URL(page.headers.get('location') ?? '')
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI)
    return back.searchParams
  }
  const callback = (query: URLSearchParams, user = 'ann') => call(`/api/email/oauth/callback?${query.toString()}`, user)
  const withParam = (query: URLSearchParams, name: string, value: string) => {
    const copy = new URLSearchParams(query)
    copy.set(name, value)
    return copy
  }

  it('round trip: redirects to the consent page with state and PKCE, enrolls the account, stores the token only sealed, and syncs with it', async () => {
    emu.addMessage(ANN, mail({ from: 'dana@acme.vc', to: [ANN], subject: 'Term sheet' }).raw)
    const started = await call('/api/email/oauth/start')
    expect(started.status).toBe(302)
    const location = new URL(started.headers.get('location') ?? '')
    expect(await started.json()).toEqual({ url: location.toString(), expiresAt: expect.any(String) as unknown })
    expect(`${location.origin}${location.pathname}`).toBe(emu.authUrl)
    const params = Object.fromEntries(location.searchParams)
    expect(params).toMatchObject({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: READONLY,
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      code_challenge_method: 'S256',
      login_hint: ANN,
    })
    expect(params.state).toMatch(/^v1\.[\w-]{43}\.\d+\.[\w-]{43}$/)

    // The verifier stays on the server, sealed; the challenge in the URL is its S256 hash.
    const row = await db.selectFrom('email_oauth_states').selectAll().executeTakeFirstOrThrow()
    expect(row).toMatchObject({ user_id: 'u-ann', address: ANN, used_at: null })
    expect(row.code_verifier).toMatch(/^v1\./)
    const box = createSecretBox({ current: new Secret(Buffer.from(secretKey, 'base64')) })
    const verifier = box.open(row.code_verifier, `oauth-state:${row.nonce}`).value
    expect(verifier).toMatch(/^[\w-]{43}$/)
    expect(params.code_challenge).toBe(createHash('sha256').update(verifier).digest('base64url'))
    expect(location.toString()).not.toContain(verifier)
    expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBe(TEN_MINUTES_MS)

    const page = await fetch(location, { redirect: 'manual' })
    const query = new URL(page.headers.get('location') ?? '').searchParams
    expect(emu.consents.at(-1)).toMatchObject({ outcome: 'allowed', mailbox: ANN, codeChallengeMethod: 'S256', accessType: 'offline' })
    const done = await callback(query)
    expect(done.status).toBe(200)
    const { account } = (await done.json()) as { account: { address: string; status: string; authMethod: string } }
    expect(account).toMatchObject({ address: ANN, status: 'active', authMethod: 'oauth', statusReason: null })

    const refreshToken = tokens.answers.at(-1)?.refresh_token
    expect(refreshToken).toEqual(expect.stringMatching(/^1\/\/0/))
    const stored = await db.selectFrom('email_oauth_tokens').selectAll().executeTakeFirstOrThrow()
    expect(stored.refresh_token).toMatch(/^v1\.[0-9a-f]{16}\./)
    expect(stored.scope).toContain(READONLY)
    const rawRows = JSON.stringify(await db.selectFrom('email_oauth_tokens').selectAll().execute())
    expect(rawRows).not.toContain(String(refreshToken))
    expect(rawRows).not.toMatch(/1\/\/0/)
    expect((await db.selectFrom('email_oauth_states').select('used_at').executeTakeFirstOrThrow()).used_at).not.toBeNull()
    // Neither the code, the state, the verifier nor a token reached a log line.
    const logged = logs.join('\n')
    for (const secret of [query.get('code'), query.get('state'), verifier, String(refreshToken), String(tokens.answers.at(-1)?.access_token)]) {
      expect(logged).not.toContain(secret)
    }

    const run = await email.sync.run({ account: ANN })
    expect(run).toMatchObject({ account: ANN, status: 'ok', captured: 1 })
    expect(tokens.answers.at(-1)).toMatchObject({ access_token: expect.stringMatching(/^ya29\./) as unknown })
  })

  it('activates an account an admin enrolled while it waited for consent', async () => {
    const waiting = await email.accounts.enroll(ANN)
    expect(waiting.status).toBe('needs_consent')
    const done = await callback(await consent())
    expect(await done.json()).toMatchObject({ account: { id: waiting.id, status: 'active', statusReason: null } })
    expect(await email.accounts.list()).toHaveLength(1)
  })

  it('answers JSON instead of a redirect with redirect=false', async () => {
    const started = await call('/api/email/oauth/start?redirect=false')
    expect(started.status).toBe(200)
    const body = (await started.json()) as { url: string; expiresAt: string }
    expect(body.url.startsWith(`${emu.authUrl}?`)).toBe(true)
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now())
    expect((await call('/api/email/oauth/start?redirect=maybe')).status).toBe(400)
  })

  it('refuses a forged state before reading it, and the real one still works', async () => {
    const query = await consent()
    const state = query.get('state') ?? ''
    const [version, nonce, expiry, signature = ''] = state.split('.')
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const forgeries = [
      `${version ?? ''}.${nonce ?? ''}.${expiry ?? ''}.${flipped}`,
      `${version ?? ''}.${nonce ?? ''}.${String(Number(expiry) + TEN_MINUTES_MS)}.${signature}`,
      `${version ?? ''}.${randomBytes(32).toString('base64url')}.${expiry ?? ''}.${signature}`,
      'not-a-state',
      `${state}.extra`,
      'x'.repeat(5000),
    ]
    for (const forged of forgeries) {
      const refused = await callback(withParam(query, 'state', forged))
      expect(refused.status, forged.slice(0, 40)).toBe(400)
      const error = await errorOf(refused)
      expect(error.code).toBe('validation_failed')
      expect(error.message).toMatch(/^state: /)
    }
    expect(await email.accounts.list()).toEqual([])
    expect((await callback(query)).status).toBe(200)
  })

  it('refuses an expired state', async () => {
    const query = await consent()
    offsetMs = TEN_MINUTES_MS + 1000
    const refused = await callback(query)
    expect(refused.status).toBe(400)
    expect(await errorOf(refused)).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^state: expired/) as unknown })
    expect(await email.accounts.list()).toEqual([])
  })

  it('refuses a replayed state, even when two callbacks race', async () => {
    const query = await consent()
    expect((await callback(query)).status).toBe(200)
    const exchanges = tokens.answers.length
    const replay = await callback(query)
    expect(replay.status).toBe(400)
    expect(await errorOf(replay)).toMatchObject({ code: 'validation_failed', message: 'state: already used; start the consent again' })
    expect(tokens.answers).toHaveLength(exchanges)

    const racing = await consent()
    const statuses = (await Promise.all([callback(racing), callback(racing), callback(racing)])).map((r) => r.status).sort()
    expect(statuses).toEqual([200, 400, 400])
  })

  it("refuses another user's state without burning it", async () => {
    const query = await consent('ann')
    const refused = await callback(query, 'bob')
    expect(refused.status).toBe(400)
    expect((await errorOf(refused)).message).toMatch(/^state: .*another user/)
    expect(await email.accounts.list()).toEqual([])
    expect((await callback(query, 'ann')).status).toBe(200)
  })

  it("refuses Google's access_denied, a missing code or state, and a code Google refuses", async () => {
    emu.setConsent({ decision: 'deny' })
    const denied = await consent()
    expect(denied.get('error')).toBe('access_denied')
    const refused = await callback(denied)
    expect(refused.status).toBe(400)
    expect(await errorOf(refused)).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('access_denied') as unknown })
    const odd = await callback(new URLSearchParams({ error: '<script>alert(1)</script>' }))
    expect((await errorOf(odd)).message).not.toContain('<script>')

    emu.setConsent({ decision: 'allow' })
    const query = await consent()
    for (const missing of ['code', 'state']) {
      const partial = new URLSearchParams(query)
      partial.delete(missing)
      const answer = await callback(partial)
      expect(answer.status).toBe(400)
      expect((await errorOf(answer)).message).toBe(`${missing}: required`)
    }
    const badCode = await callback(withParam(query, 'code', '4/0not-the-code'))
    expect(badCode.status).toBe(400)
    expect(await errorOf(badCode)).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^code: /) as unknown })
    expect(await email.accounts.list()).toEqual([])
  })

  it('refuses a consent by another Google account than the user, and a user outside the workspace', async () => {
    emu.setConsent({ mailbox: BOB })
    const refused = await callback(await consent('ann'))
    expect(refused.status).toBe(400)
    expect((await errorOf(refused)).message).toContain(`${BOB} granted access, but you are signed in as ${ANN}`)
    expect(await email.accounts.list()).toEqual([])
    expect(await db.selectFrom('email_oauth_tokens').selectAll().execute()).toEqual([])

    const outside = await call('/api/email/oauth/start', 'zed')
    expect(outside.status).toBe(400)
    expect((await errorOf(outside)).message).toContain('not in the workspace domains')
  })

  it('answers 400 saying no consent is needed when the integration is in dwd mode', async () => {
    const dwd = integration({ authMethod: 'dwd', serviceAccountKey: emu.serviceAccountKey, oauth: null })
    for (const path of ['/api/email/oauth/start', '/api/email/oauth/callback?code=x&state=y']) {
      const answer = await call(path, 'ann', dwd)
      expect(answer.status).toBe(400)
      expect(await errorOf(answer)).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('domain-wide delegation') as unknown })
    }
    expect((await call('/api/email/oauth/start', 'nobody')).status).toBe(401)
    await dwd.close()
  })
})
