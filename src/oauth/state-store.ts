import type { IntegrationContext } from '../context.js'

/**
 * Open consents one user may have at a time: a few browser tabs, not a flood of rows. Starting
 * another drops that user's oldest.
 */
export const MAX_OPEN_CONSENTS_PER_USER = 5

/** A consent being started. */
export interface NewOAuthState {
  readonly nonce: string
  readonly userId: string
  readonly address: string
  /** The PKCE verifier, already sealed. */
  readonly sealedVerifier: string
  readonly expiresAt: string
  readonly now: string
}

/** Why a state could not be consumed. */
export type OAuthStateConsumeRefusal = 'unknown' | 'used' | 'expired' | 'other_user'

/**
 * Stores a new consent state. Expired states of every user are pruned first (a signed state
 * carries its expiry, so an expired one is refused without its row), and the user's open states
 * are capped at {@link MAX_OPEN_CONSENTS_PER_USER}.
 */
export async function insertOAuthState(context: IntegrationContext, state: NewOAuthState): Promise<void> {
  const { db } = context
  await db.deleteFrom('email_oauth_states').where('expires_at', '<=', state.now).execute()
  await db
    .deleteFrom('email_oauth_states')
    .where('user_id', '=', state.userId)
    .where('nonce', 'not in', (eb) =>
      eb.selectFrom('email_oauth_states')
        .select('nonce')
        .where('user_id', '=', state.userId)
        .orderBy('created_at', 'desc')
        .orderBy('nonce')
        .limit(MAX_OPEN_CONSENTS_PER_USER - 1),
    )
    .execute()
  await db
    .insertInto('email_oauth_states')
    .values({
      nonce: state.nonce,
      user_id: state.userId,
      address: state.address,
      code_verifier: state.sealedVerifier,
      expires_at: state.expiresAt,
      used_at: null,
      created_at: state.now,
    })
    .execute()
}

/**
 * Consumes a state: one conditional update, so of two callbacks with the same state (two
 * processes, a double click) exactly one wins. Returns the mailbox and the sealed verifier, or
 * why the state cannot be used.
 */
export async function consumeOAuthState(
  context: IntegrationContext,
  key: { readonly nonce: string; readonly userId: string; readonly now: string },
): Promise<{ readonly address: string; readonly sealedVerifier: string } | { readonly refused: OAuthStateConsumeRefusal }> {
  const { db } = context
  const taken = await db
    .updateTable('email_oauth_states')
    .set({ used_at: key.now })
    .where('nonce', '=', key.nonce)
    .where('user_id', '=', key.userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', key.now)
    .returning(['address', 'code_verifier'])
    .executeTakeFirst()
  if (taken !== undefined) return { address: taken.address, sealedVerifier: taken.code_verifier }
  const row = await db
    .selectFrom('email_oauth_states')
    .select(['user_id', 'used_at', 'expires_at'])
    .where('nonce', '=', key.nonce)
    .executeTakeFirst()
  if (row === undefined) return { refused: 'unknown' }
  if (row.user_id !== key.userId) return { refused: 'other_user' }
  if (row.used_at !== null) return { refused: 'used' }
  return { refused: 'expired' }
}
