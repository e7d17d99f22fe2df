import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import type { SecretBox } from '../secrets/crypto.js'
import { Secret } from '../secrets/secret.js'

/** The account a refresh token belongs to; its address binds the sealed envelope to it. */
export interface TokenOwner {
  readonly id: number
  readonly address: string
}

/**
 * Stores an account's refresh token, sealed under the current key and bound to the account's
 * address (an envelope copied to another account's row does not open). Replaces any earlier one.
 */
export async function saveRefreshToken(
  context: IntegrationContext,
  box: SecretBox,
  owner: TokenOwner,
  token: Secret,
  scope: string | null,
): Promise<void> {
  const now = nowIso(context)
  const sealed = box.seal(token.reveal(), owner.address)
  await context.db
    .insertInto('email_oauth_tokens')
    .values({ account_id: owner.id, refresh_token: sealed, key_id: box.keyId, scope, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet({ refresh_token: sealed, key_id: box.keyId, scope, updated_at: now }),
    )
    .execute()
}

/**
 * Reads an account's refresh token, or `null` when it has none. A token sealed under the
 * previous key is re-sealed under the current one as it is read, so rotation completes as
 * accounts sync. Throws `DecryptionError` when the envelope does not open.
 */
export async function loadRefreshToken(
  context: IntegrationContext,
  box: SecretBox,
  owner: TokenOwner,
): Promise<Secret | null> {
  const row = await context.db
    .selectFrom('email_oauth_tokens')
    .select(['refresh_token'])
    .where('account_id', '=', owner.id)
    .executeTakeFirst()
  if (row === undefined) return null
  const opened = box.open(row.refresh_token, owner.address)
  if (opened.resealed !== null) {
    // Only replace the envelope that was read: a token saved meanwhile must not be overwritten.
    await context.db
      .updateTable('email_oauth_tokens')
      .set({ refresh_token: opened.resealed, key_id: box.keyId, updated_at: nowIso(context) })
      .where('account_id', '=', owner.id)
      .where('refresh_token', '=', row.refresh_token)
      .execute()
  }
  return new Secret(opened.value)
}
