import { randomBytes } from 'node:crypto'

/** Google's access tokens last an hour; the token endpoint says 3599 seconds. */
export const ACCESS_TOKEN_LIFETIME_S = 3599
/** Google's authorization codes are short-lived; ten minutes is its documented upper bound. */
export const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60 * 1000

/** What an access token allows. */
export interface AccessGrant {
  /** The mailbox it acts for; `null` for a service account's own token (no `sub`). */
  readonly mailbox: string | null
  readonly scopes: readonly string[]
  readonly expiresAt: number
}

/** A registered OAuth client (OAuth mode). */
export interface OAuthClient {
  readonly clientId: string
  readonly clientSecret: string
  /** When given, the consent page and the code exchange accept only these redirect URIs. */
  readonly redirectUris?: readonly string[]
}

/** A refresh token and what it was granted. */
export interface RefreshGrant {
  readonly mailbox: string
  readonly clientId: string
  readonly scopes: readonly string[]
}

/** An authorization code waiting to be exchanged. */
export interface CodeGrant extends RefreshGrant {
  readonly redirectUri: string
  readonly codeChallenge: string | null
  readonly codeChallengeMethod: 'S256' | 'plain'
  readonly offline: boolean
  readonly expiresAt: number
}

function opaque(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`
}

/**
 * Every credential the emulator has handed out: access tokens (bound to one mailbox),
 * OAuth clients, refresh tokens and authorization codes. Tokens are random, never seeded, so
 * a test cannot guess one.
 */
export class CredentialStore {
  private readonly access = new Map<string, AccessGrant>()
  readonly clients = new Map<string, OAuthClient>()
  private readonly refresh = new Map<string, RefreshGrant>()
  private readonly codes = new Map<string, CodeGrant>()

  /** Issues an access token valid for {@link ACCESS_TOKEN_LIFETIME_S} seconds. */
  issueAccess(mailbox: string | null, scopes: readonly string[], now: number): string {
    const token = opaque('ya29.', 48)
    this.access.set(token, { mailbox, scopes: [...scopes], expiresAt: now + ACCESS_TOKEN_LIFETIME_S * 1000 })
    return token
  }

  /** The grant of a live token, or `undefined` for unknown, revoked and expired ones. */
  lookupAccess(token: string, now: number): AccessGrant | undefined {
    const grant = this.access.get(token)
    if (grant === undefined || grant.expiresAt <= now) return undefined
    return grant
  }

  /** Invalidates the access tokens of `mailbox`, or every one. */
  revokeAccess(mailbox?: string): void {
    for (const [token, grant] of this.access) if (mailbox === undefined || grant.mailbox === mailbox) this.access.delete(token)
  }

  /** Issues a refresh token. */
  issueRefresh(grant: RefreshGrant): string {
    const token = opaque('1//0', 48)
    this.refresh.set(token, { ...grant, scopes: [...grant.scopes] })
    return token
  }

  /** The grant of a refresh token that was issued and not revoked. */
  lookupRefresh(token: string): RefreshGrant | undefined {
    return this.refresh.get(token)
  }

  /** Revokes a refresh token; later grants with it fail with `invalid_grant`. */
  revokeRefresh(token: string): boolean {
    return this.refresh.delete(token)
  }

  /** Issues an authorization code. */
  issueCode(grant: CodeGrant): string {
    const code = opaque('4/0', 40)
    this.codes.set(code, grant)
    return code
  }

  /** Takes a code out of the store: codes are single-use, even when the exchange then fails. */
  takeCode(code: string): CodeGrant | undefined {
    const grant = this.codes.get(code)
    this.codes.delete(code)
    return grant
  }
}
