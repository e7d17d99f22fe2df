import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createSecretBox } from '../../src/secrets/crypto.js'
import { insertAccount } from '../../src/db/accounts.js'
import { loadRefreshToken, saveRefreshToken, type TokenOwner } from '../../src/oauth/token-store.js'
import { DecryptionError } from '../../src/errors.js'
import { createEmailIntegration } from '../../src/index.js'
import { Secret } from '../../src/secrets/secret.js'
import type { IntegrationContext } from '../../src/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { testContext } from '../helpers/context.js'

const TOKEN = '1//0refresh-token-of-ann-7f3a9c'
const oldKey = new Secret(randomBytes(32))
const newKey = new Secret(randomBytes(32))

describeEachDialect('OAuth refresh tokens at rest', (open) => {
  let t: TestDatabase
  let context: IntegrationContext
  let ann: TokenOwner
  let bob: TokenOwner

  beforeEach(async () => {
    t = await open()
    context = testContext(t.db, { authMethod: 'oauth' })
    await createEmailIntegration({ db: t.db, config: {}, directory: () => Promise.resolve([]) }).migrate()
    const now = new Date().toISOString()
    const make = async (address: string): Promise<TokenOwner> => {
      const { account } = await insertAccount(context, { address, authMethod: 'oauth', status: 'active', statusReason: null, now })
      return { id: Number(account.id), address }
    }
    ann = await make('ann@fund.example')
    bob = await make('bob@fund.example')
  })
  afterEach(async () => {
    await t.close()
  })

  const rows = () => context.db.selectFrom('email_oauth_tokens').selectAll().orderBy('account_id').execute()

  it('stores only the sealed envelope, and reads the token back', async () => {
    const box = createSecretBox({ current: newKey })
    await saveRefreshToken(context, box, ann, new Secret(TOKEN), 'https://www.googleapis.com/auth/gmail.readonly')
    const stored = await rows()
    expect(stored).toHaveLength(1)
    expect(JSON.stringify(stored)).not.toContain(TOKEN)
    expect(stored[0]?.key_id).toBe(box.keyId)
    expect((await loadRefreshToken(context, box, ann))?.reveal()).toBe(TOKEN)
    expect(await loadRefreshToken(context, box, bob)).toBeNull()
  })

  it('re-seals a token under the current key when it was sealed under the previous one', async () => {
    await saveRefreshToken(context, createSecretBox({ current: oldKey }), ann, new Secret(TOKEN), null)
    const rotating = createSecretBox({ current: newKey, previous: oldKey })
    expect((await loadRefreshToken(context, rotating, ann))?.reveal()).toBe(TOKEN)
    expect((await rows())[0]?.key_id).toBe(rotating.keyId)
    // the old key can now be retired
    expect((await loadRefreshToken(context, createSecretBox({ current: newKey }), ann))?.reveal()).toBe(TOKEN)
    await expect(loadRefreshToken(context, createSecretBox({ current: oldKey }), ann)).rejects.toBeInstanceOf(DecryptionError)
  })

  it("refuses an envelope copied onto another account's row", async () => {
    const box = createSecretBox({ current: newKey })
    await saveRefreshToken(context, box, ann, new Secret(TOKEN), null)
    await saveRefreshToken(context, box, bob, new Secret('bob-token'), null)
    const [annRow] = await rows()
    await context.db
      .updateTable('email_oauth_tokens')
      .set({ refresh_token: annRow?.refresh_token ?? '' })
      .where('account_id', '=', bob.id)
      .execute()
    await expect(loadRefreshToken(context, box, bob)).rejects.toBeInstanceOf(DecryptionError)
  })

  it('replaces an earlier token of the same account', async () => {
    const box = createSecretBox({ current: newKey })
    await saveRefreshToken(context, box, ann, new Secret('first'), null)
    await saveRefreshToken(context, box, ann, new Secret('second'), null)
    expect(await rows()).toHaveLength(1)
    expect((await loadRefreshToken(context, box, ann))?.reveal()).toBe('second')
  })
})
