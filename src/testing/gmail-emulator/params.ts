import type { AccessGrant } from './credentials.js'
import type { EmulatorContext } from './context.js'
import type { EmulatorMailbox } from './mailbox.js'
import { googleError, invalidValue } from './responses.js'
import type { EmulatorResponse } from './responses.js'

/** What a Gmail method handler gets: the mailbox it may read and the call's parameters. */
export interface HandlerInput {
  readonly ctx: EmulatorContext
  readonly mailbox: EmulatorMailbox
  readonly grant: AccessGrant
  readonly params: URLSearchParams
  /** Path parameters after the user id (message id, attachment id). */
  readonly args: readonly string[]
}

/** Gmail's default page size for `messages.list` and `history.list`. */
export const DEFAULT_PAGE_SIZE = 100
/** Gmail's largest page; larger `maxResults` values are capped to it, as Gmail caps them. */
export const MAX_PAGE_SIZE = 500

/** Parameters every Google API accepts besides the method's own. */
const STANDARD_PARAMS = new Set([
  '$.xgafv', 'access_token', 'alt', 'callback', 'fields', 'key', 'oauth_token', 'prettyPrint', 'quotaUser', 'uploadType',
  'upload_protocol', 'userIp',
])

/** Google binds query parameters to the request message and refuses names it cannot bind. */
export function rejectUnknownParams(params: URLSearchParams, allowed: readonly string[]): EmulatorResponse | null {
  for (const name of params.keys()) {
    if (STANDARD_PARAMS.has(name) || allowed.includes(name)) continue
    const message = `Invalid JSON payload received. Unknown name ${JSON.stringify(name)}: Cannot bind query parameter. ` +
      `Field '${name}' could not be found in request message.`
    return googleError(400, message, 'invalid', 'INVALID_ARGUMENT')
  }
  return null
}

/** An unsigned integer parameter (`undefined` when absent), or the 400 Google gives. */
export function uintParam(params: URLSearchParams, name: string, field: string, type: 'TYPE_UINT32' | 'TYPE_UINT64'): number | undefined | EmulatorResponse {
  const value = params.get(name)
  if (value === null) return undefined
  if (!/^\d{1,19}$/.test(value.trim())) return invalidValue(field, type, value)
  return Number(value.trim())
}

/** A page size: absent or 0 means the default (proto3 zero is "unset"), above the cap is capped. */
export function pageSizeParam(params: URLSearchParams): number | EmulatorResponse {
  const size = uintParam(params, 'maxResults', 'max_results', 'TYPE_UINT32')
  if (typeof size === 'object') return size
  if (size === undefined || size === 0) return DEFAULT_PAGE_SIZE
  return Math.min(size, MAX_PAGE_SIZE)
}

/** A boolean parameter, or the 400 Google gives. */
export function boolParam(params: URLSearchParams, name: string, field: string): boolean | EmulatorResponse {
  const value = params.get(name)
  if (value === null) return false
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  return invalidValue(field, 'TYPE_BOOL', value)
}

/** Whether the token can read headers only (`gmail.metadata` without a broader scope). */
export function metadataOnly(grant: AccessGrant): boolean {
  return grant.scopes.includes('https://www.googleapis.com/auth/gmail.metadata') &&
    !grant.scopes.some((s) => s !== 'https://www.googleapis.com/auth/gmail.metadata' && /gmail\.(readonly|modify)|mail\.google\.com/.test(s))
}

/** The 403 Gmail gives a metadata-only token for something it may not see. */
export function metadataScopeForbids(what: string): EmulatorResponse {
  return googleError(403, what, 'forbidden', 'PERMISSION_DENIED')
}

/** Opaque page tokens: base64url of the position, so clients cannot build their own. */
export function encodePageToken(parts: readonly (string | number)[]): string {
  return Buffer.from(`p1:${parts.join(':')}`).toString('base64url')
}

/** The position of a page token, or `null` when it is not one of ours. */
export function decodePageToken(token: string): string[] | null {
  const text = Buffer.from(token, 'base64url').toString('utf8')
  return text.startsWith('p1:') ? text.slice(3).split(':') : null
}
