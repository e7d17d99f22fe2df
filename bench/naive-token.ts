/**
 * The naive sync's access tokens: domain-wide delegation done by hand, as Google's
 * service-account guide describes it (an RS256 JWT naming the mailbox, traded at the token
 * endpoint with the jwt-bearer grant). One token per mailbox; a backfill ends long before it expires.
 */
import { SignJWT, importPKCS8 } from 'jose'
import type { GoogleServiceAccountKeyFile } from 'crm-email-integration/testing'

const SCOPE = 'https://www.googleapis.com/auth/gmail.readonly'
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
/** Google accepts assertions that live at most an hour. */
const ASSERTION_LIFETIME_S = 3600

/** An access token to `mailbox`, from the token endpoint named in the key file. */
export async function fetchAccessToken(key: GoogleServiceAccountKeyFile, mailbox: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000)
  const assertion = await new SignJWT({ scope: SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })
    .setIssuer(key.client_email)
    .setSubject(mailbox)
    .setAudience(key.token_uri)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_S)
    .sign(await importPKCS8(key.private_key, 'RS256'))
  const response = await fetch(key.token_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }),
  })
  const body = (await response.json()) as { access_token?: unknown }
  if (!response.ok || typeof body.access_token !== 'string') throw new Error(`token endpoint answered ${response.status} for ${mailbox}`)
  return body.access_token
}
