import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { IntegrationContext } from '../../../src/context.js'
import { createSecretBox } from '../../../src/secrets/crypto.js'
import { findAccountRow, insertAccount } from '../../../src/db/accounts.js'
import { loadRefreshToken, saveRefreshToken } from '../../../src/oauth/token-store.js'
import { createOAuthCredentials } from '../../../src/gmail/credentials/oauth.js'
import { createEmailIntegration } from '../../../src/index.js'
import { Secret } from '../../../src/secrets/secret.js'
import { testContext } from '../../helpers/context.js'
import { openSqlite, type TestDatabase } from '../../helpers/databases.js'
import { startTokenServer, type TokenServer } from '../../helpers/token-server.js'

const ANN = 'ann@fund.example'
const CLIENT = { clientId: 'client-1.apps.googleusercontent.com', clientSecret: 'GOCSPX-store-test-secret' }

let t: TestDatabase
let context: IntegrationContext
let server: TokenServer

beforeEach(async () => {
  t = await openSqlite()
  context = testContext(t.db, { authMethod: 'oauth' })
  await createEmailIntegration({ db: t.db, config: {}, directory: () => Promise.resolve([]) }).migrate()
  await insertAccount(context, { address: ANN, authMethod: 'oauth', status: 'active', statusReason: null, now: new Date().toISOString() })
  server = await startTokenServer({ oauthClient: CLIENT, rotateRefreshTokens: true })
})
afterEach(async () => {
  await server.close()
  await t.close()
})

it('works over sealed refresh tokens: read with loadRefreshToken during a key rotation, rotated ones saved back', async () => {
  const oldKey = new Secret(randomBytes(32))
  const row = (await findAccountRow(context, ANN))!
  const refreshToken = new Secret(server.issueRefreshToken(ANN))
  await saveRefreshToken(context, createSecretBox({ current: oldKey }), row, refreshToken, null)
  const box = createSecretBox({ current: new Secret(randomBytes(32)), previous: oldKey })

  const credentials = createOAuthCredentials({
    clientId: CLIENT.clientId,
    clientSecret: new Secret(CLIENT.clientSecret),
    tokenUrl: server.tokenUrl,
    refreshTokenFor: async (mailbox) => {
      const account = await findAccountRow(context, mailbox)
      return account === undefined ? null : loadRefreshToken(context, box, account)
    },
    onRefreshTokenRotated: async (mailbox, token) => {
      const account = await findAccountRow(context, mailbox)
      if (account !== undefined) await saveRefreshToken(context, box, account, token, null)
    },
  })

  expect((await credentials.getAccessToken(ANN)).token).toMatch(/^ya29\./)
  expect(server.forms[0]!.get('refresh_token')).toBe(refreshToken.reveal())
  const stored = await context.db.selectFrom('email_oauth_tokens').selectAll().executeTakeFirstOrThrow()
  expect(stored.key_id).toBe(box.keyId)
  const rotated = (await loadRefreshToken(context, box, row))!.reveal()
  expect(rotated).not.toBe(refreshToken.reveal())
  expect(JSON.stringify(stored)).not.toContain(rotated)

  await credentials.getAccessToken(ANN, { forceRefresh: true })
  expect(server.forms[1]!.get('refresh_token')).toBe(rotated)
  expect(server.grants.get(ANN)).toBe(2)
})
