/**
 * Typed identity keys (SPEC §6): `fund:<id>`, `org:<id>`, `contact:<id>` for CRM entities and
 * `addr:<address>` for a participant whose entity is unknown or gone. Links store them, facets
 * show them and filters take them.
 */
import { normalizeAddress } from '../address.js'
import type { IdentityType } from './database.js'

/** A typed identity key, as stored in `email_identity_links.identity_key`. */
export type IdentityKey = `${IdentityType}:${string}`

/** The parts of an identity key. */
export interface ParsedIdentityKey {
  readonly type: IdentityType
  /** The entity's id as text, or for `addr` the lower-cased address. */
  readonly id: string
  /** The canonical key (`fund:7`, `addr:ann@x.example`), ready to compare with stored keys. */
  readonly key: IdentityKey
}

/**
 * Longest filter value accepted. A key is a short prefix and an id or an address (at most 254
 * characters); the bound stops a hostile query string from being copied and scanned at length.
 */
export const MAX_IDENTITY_KEY_LENGTH = 512

/** Separates the type prefix from the id. */
const KEY_SEPARATOR = ':'

/** The type a bare id means: filters predate typed keys and then named investor funds only. */
const BARE_ID_TYPE = 'fund' satisfies IdentityType

/** Prefixes a key may carry. */
const KEY_TYPES: ReadonlyMap<string, IdentityType> = new Map<string, IdentityType>([
  ['fund', 'fund'],
  ['org', 'org'],
  ['contact', 'contact'],
  ['addr', 'addr'],
])

/** Control characters never occur in a host's ids; input carrying them is garbage, not a key. */
const CONTROL_CHARACTER = /\p{Cc}/u

/**
 * The identity key of an entity or address. Numeric ids are written in decimal, as
 * `String(id)` does, so `7` and `'7'` give the same key.
 *
 * @example
 * ```ts
 * identityKeyOf('fund', 7)                 // 'fund:7'
 * identityKeyOf('addr', 'ann@x.example')   // 'addr:ann@x.example'
 * ```
 */
export function identityKeyOf<T extends IdentityType>(type: T, id: string | number): `${T}:${string}` {
  return `${type}${KEY_SEPARATOR}${String(id)}`
}

/**
 * Reads an identity key given as a filter. A bare id (no prefix) means `fund:` for
 * back-compatibility; an `addr:` address is lower-cased and must be an address. Returns `null`
 * for anything else (an unknown prefix, an empty id, control characters, or input longer than
 * {@link MAX_IDENTITY_KEY_LENGTH}); the caller answers an empty result for `null`, not an
 * error, as SPEC §6 asks. The prefix is case-insensitive and surrounding whitespace is ignored;
 * ids are compared exactly, as the host wrote them.
 *
 * @example
 * ```ts
 * parseIdentityKey('org:acme')            // { type: 'org', id: 'acme', key: 'org:acme' }
 * parseIdentityKey('42')                  // { type: 'fund', id: '42', key: 'fund:42' }
 * parseIdentityKey('addr:Ann@X.example')  // { type: 'addr', id: 'ann@x.example', key: 'addr:ann@x.example' }
 * parseIdentityKey('grid:42')             // null
 * ```
 */
export function parseIdentityKey(input: string): ParsedIdentityKey | null {
  if (input.length > MAX_IDENTITY_KEY_LENGTH) return null
  const trimmed = input.trim()
  if (trimmed.length === 0 || CONTROL_CHARACTER.test(trimmed)) return null
  const separator = trimmed.indexOf(KEY_SEPARATOR)
  if (separator < 0) return parsed(BARE_ID_TYPE, trimmed)
  const type = KEY_TYPES.get(trimmed.slice(0, separator).toLowerCase())
  if (type === undefined) return null
  const id = trimmed.slice(separator + 1)
  if (type !== 'addr') return id.length === 0 ? null : parsed(type, id)
  const address = normalizeAddress(id)
  return address === null ? null : parsed('addr', address)
}

function parsed(type: IdentityType, id: string): ParsedIdentityKey {
  return { type, id, key: identityKeyOf(type, id) }
}
