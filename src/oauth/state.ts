/**
 * The `state` of an OAuth consent, and its PKCE pair. The state the browser carries is a
 * nonce, its expiry and an HMAC over both and the user who started the consent, so a forged,
 * altered, expired or other user's state is refused before the database is read. What the
 * state must not reveal (the PKCE verifier) and what must be remembered (that a state was
 * used) live in `email_oauth_states`, keyed by the nonce.
 */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Secret } from '../secrets/secret.js'

/** How long a consent may take: Google's page plus a user reading it; a stolen state soon dies. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000
/** The longest `state` accepted: ours are about 110 characters; anything far longer is not ours. */
export const MAX_STATE_LENGTH = 256

const STATE_VERSION = 'v1'
/** 256 bits: a nonce nobody can guess, so a state cannot be predicted or collide. */
const NONCE_BYTES = 32
/** 256 bits of PKCE verifier: 43 base64url characters, RFC 7636's minimum length and more than its entropy floor. */
const VERIFIER_BYTES = 32
/** The full HMAC-SHA256: truncating it would only make forgery easier. */
const MAC_BYTES = 32
/**
 * HKDF label of the state key: CRM_GMAIL_SECRET_KEY also seals refresh tokens, and one key must
 * not serve two purposes directly.
 */
const STATE_KEY_LABEL = 'crm-email-integration/oauth-state/hmac/v1'
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/
/** Epoch milliseconds: up to 15 digits covers every date a clock will give for millennia. */
const EXPIRY_PATTERN = /^[0-9]{1,15}$/

/** What a signed state carries. */
export interface OAuthStateClaims {
  /** The nonce naming the state's row. */
  readonly nonce: string
  /** When the state stops being accepted. */
  readonly expiresAt: Date
}

/** Why a state was refused before the database was asked. */
export type OAuthStateRefusal = 'malformed' | 'signature' | 'expired'

/** Signs and checks consent states under the integration's keys. */
export interface OAuthStateSigner {
  /** A new state for `userId`: a fresh nonce, expiring {@link OAUTH_STATE_TTL_MS} after `now`. */
  issue(userId: string, now: Date): { readonly state: string } & OAuthStateClaims
  /** The claims of `state` if it was issued to `userId` and has not expired, else why not. */
  verify(state: string, userId: string, now: Date): OAuthStateClaims | { readonly refused: OAuthStateRefusal }
}

function stateKey(secret: Secret<Buffer>): Buffer {
  return Buffer.from(hkdfSync('sha256', secret.reveal(), Buffer.alloc(0), STATE_KEY_LABEL, MAC_BYTES))
}

function mac(key: Buffer, nonce: string, expiry: string, userId: string): Buffer {
  // JSON keeps the fields apart whatever characters the host's user ids contain.
  return createHmac('sha256', key).update(JSON.stringify([STATE_VERSION, nonce, expiry, userId]), 'utf8').digest()
}

/**
 * Creates the signer of consent states. The key is derived from `CRM_GMAIL_SECRET_KEY`; during
 * a rotation states signed under the previous key are still accepted (they live ten minutes).
 *
 * @example
 * ```ts
 * const signer = createOAuthStateSigner({ current: config.secretKey, previous: config.secretKeyPrevious })
 * const { state, nonce } = signer.issue(principal.userId, new Date())
 * const claims = signer.verify(state, principal.userId, new Date())
 * ```
 */
export function createOAuthStateSigner(keys: { readonly current: Secret<Buffer>; readonly previous: Secret<Buffer> | null }): OAuthStateSigner {
  const current = stateKey(keys.current)
  const accepted = keys.previous === null ? [current] : [current, stateKey(keys.previous)]
  return {
    issue(userId, now) {
      const nonce = randomBytes(NONCE_BYTES).toString('base64url')
      const expiresAt = new Date(now.getTime() + OAUTH_STATE_TTL_MS)
      const expiry = String(expiresAt.getTime())
      const signature = mac(current, nonce, expiry, userId).toString('base64url')
      return { state: [STATE_VERSION, nonce, expiry, signature].join('.'), nonce, expiresAt }
    },
    verify(state, userId, now) {
      const [version, nonce, expiry, signature, ...rest] = state.split('.')
      if (
        state.length > MAX_STATE_LENGTH || rest.length > 0 || version !== STATE_VERSION ||
        nonce === undefined || !BASE64URL_32.test(nonce) ||
        expiry === undefined || !EXPIRY_PATTERN.test(expiry) ||
        signature === undefined || !BASE64URL_32.test(signature)
      ) {
        return { refused: 'malformed' }
      }
      const given = Buffer.from(signature, 'base64url')
      // Canonical base64url only, so no two spellings of one signature are both accepted.
      if (given.length !== MAC_BYTES || given.toString('base64url') !== signature) return { refused: 'malformed' }
      if (!accepted.some((key) => timingSafeEqual(mac(key, nonce, expiry, userId), given))) return { refused: 'signature' }
      const expiresAt = new Date(Number(expiry))
      if (expiresAt.getTime() <= now.getTime()) return { refused: 'expired' }
      return { nonce, expiresAt }
    },
  }
}

/**
 * A PKCE pair (RFC 7636, S256): the verifier stays on the server, the challenge goes to Google.
 *
 * @example
 * ```ts
 * const { verifier, challenge } = createPkcePair()
 * ```
 */
export function createPkcePair(): { readonly verifier: string; readonly challenge: string } {
  const verifier = randomBytes(VERIFIER_BYTES).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') }
}
