import { SignJWT, importPKCS8 } from 'jose'
import type { GmailEmulator } from '../../src/testing/index.js'

export const READONLY = 'https://www.googleapis.com/auth/gmail.readonly'
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** A JSON answer: status, headers and the parsed body. */
export interface JsonAnswer<T = unknown> {
  readonly status: number
  readonly headers: Headers
  readonly body: T
}

/** Google's error envelope, loosely typed for assertions. */
export interface ErrorBody {
  readonly error: {
    readonly code: number
    readonly message: string
    readonly status?: string
    readonly errors?: readonly { readonly message: string; readonly domain: string; readonly reason: string }[]
  }
}

/** Signs a jwt-bearer assertion with the emulator's key; `claims` override the valid defaults. */
export async function signAssertion(
  emu: GmailEmulator,
  claims: Record<string, unknown> = {},
  options: { readonly pem?: string; readonly nowS?: number } = {},
): Promise<string> {
  const key = await importPKCS8(options.pem ?? emu.serviceAccountKey.private_key, 'RS256')
  const iat = options.nowS ?? Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = { iss: emu.serviceAccountKey.client_email, aud: emu.tokenUrl, scope: READONLY, iat, exp: iat + 3600, ...claims }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) Reflect.deleteProperty(payload, name)
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(key)
}

/** POSTs a form to the token endpoint. */
export async function postToken(emu: GmailEmulator, form: Record<string, string>): Promise<JsonAnswer<Record<string, unknown>>> {
  const res = await fetch(emu.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

/** A fresh access token for `user` through the jwt-bearer grant. */
export async function accessToken(emu: GmailEmulator, user: string, nowS?: number): Promise<string> {
  const assertion = await signAssertion(emu, { sub: user }, nowS === undefined ? {} : { nowS })
  const answer = await postToken(emu, { grant_type: JWT_BEARER, assertion })
  if (answer.status !== 200) throw new Error(`token grant failed: ${JSON.stringify(answer.body)}`)
  return answer.body.access_token as string
}

/** GETs a Gmail path (`users/me/...`, relative to `/gmail/v1/`) and parses the JSON answer. */
export async function gmailGet<T = Record<string, unknown>>(emu: GmailEmulator, token: string | null, path: string): Promise<JsonAnswer<T>> {
  const res = await fetch(`${emu.url}/gmail/v1/${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } })
  return { status: res.status, headers: res.headers, body: (await res.json()) as T }
}

/** The reason of a Google error body. */
export function reasonOf(body: unknown): string | undefined {
  return (body as ErrorBody).error.errors?.[0]?.reason
}
