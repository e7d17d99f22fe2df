/** The OAuth tables: sealed refresh tokens and pending consent states. */

/** An OAuth-mode account's refresh token, only ever stored sealed (AES-256-GCM envelope). */
export interface EmailOauthTokensTable {
  account_id: number
  /** The sealed envelope (`v1.<keyId>....`), bound to the account's address. */
  refresh_token: string
  /** The id of the key it is sealed under, to find tokens still under a previous key. */
  key_id: string
  scope: string | null
  created_at: string
  updated_at: string
}

/**
 * A consent a user started (OAuth mode): the callback's `state` names its nonce. Each row is
 * honoured once (`used_at`) and only until `expires_at`; the PKCE verifier is stored sealed.
 */
export interface EmailOauthStatesTable {
  /** The random nonce the signed `state` carries. */
  nonce: string
  /** The host's id of the user who started the consent; only they may finish it. */
  user_id: string
  /** The mailbox being connected: the user's own address, lower-case. */
  address: string
  /** The PKCE verifier, sealed (`v1.<keyId>....`) and bound to the nonce. */
  code_verifier: string
  expires_at: string
  /** When a callback consumed the state, or `null` while it is open. */
  used_at: string | null
  created_at: string
}
