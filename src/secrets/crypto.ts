import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { DecryptionError } from '../errors.js'
import type { Secret } from './secret.js'

/**
 * Sealing of small secrets (OAuth refresh tokens) for storage in the host's database:
 * AES-256-GCM in a versioned envelope `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts).
 * The key id lets a reader pick the right key during rotation without trying each one, and
 * tells an operator which key a row needs without revealing that key.
 */

/** The only envelope format this module writes; others are refused rather than guessed at. */
const VERSION = 'v1'
/** AES-256 needs exactly 32 key bytes; a shorter key would silently select a weaker cipher. */
const KEY_BYTES = 32
/** 96-bit IVs are GCM's native size: other sizes are hashed into one, with weaker bounds. */
const IV_BYTES = 12
/** The full 128-bit tag: Node accepts shorter tags unless told, which eases forgery. */
const TAG_BYTES = 16
/** 8 bytes of hash: enough to tell keys apart, far too little to learn anything about one. */
const KEY_ID_BYTES = 8
/**
 * Prefixed to the key before hashing, so the key id cannot be confused with (or reused as) a
 * SHA-256 of the bare key computed anywhere else.
 */
const KEY_ID_LABEL = 'crm-email-integration/secret-box/key-id/v1\0'
const PART_COUNT = 5
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/
/** Only the alphabet; canonical form (no stray bits, no impossible lengths) is checked apart. */
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/
/** A version-shaped first part; anything else is garbage and not echoed into a message. */
const VERSION_PATTERN = /^v[0-9]{1,6}$/

const CURRENT_VARIABLE = 'CRM_GMAIL_SECRET_KEY'
const PREVIOUS_VARIABLE = 'CRM_GMAIL_SECRET_KEY_PREVIOUS'

/**
 * The keys of a {@link SecretBox}: the current key seals and opens; the previous key, during
 * a rotation, only opens.
 *
 * @example
 * ```ts
 * const keys: SecretBoxKeys = {
 *   current: new Secret(Buffer.from(process.env.CRM_GMAIL_SECRET_KEY ?? '', 'base64')),
 *   previous: null,
 * }
 * ```
 */
export interface SecretBoxKeys {
  /** 32 bytes (`CRM_GMAIL_SECRET_KEY`). Every new envelope is sealed under this key. */
  current: Secret<Buffer>
  /** 32 bytes (`CRM_GMAIL_SECRET_KEY_PREVIOUS`), decrypt-only, or `null` outside a rotation. */
  previous?: Secret<Buffer> | null
}

/**
 * What {@link SecretBox.open} gives back.
 *
 * @example
 * ```ts
 * const { value, resealed } = box.open(row.refresh_token, row.email)
 * if (resealed !== null) await saveRefreshToken(row.email, resealed)
 * ```
 */
export interface OpenedSecret {
  /** The plaintext. Wrap it in a `Secret` if it travels further than the next call. */
  readonly value: string
  /**
   * Non-null when the envelope was sealed under the previous key: the same value sealed under
   * the current key (with the same context), for the caller to store.
   */
  readonly resealed: string | null
}

/**
 * Seals and opens secrets under the configured keys. Created by {@link createSecretBox}.
 *
 * @example
 * ```ts
 * const sealed = box.seal(refreshToken, 'ann@fund.example')
 * const { value } = box.open(sealed, 'ann@fund.example')
 * ```
 */
export interface SecretBox {
  /** The id of the current key (16 hex characters), safe to log. */
  readonly keyId: string
  /**
   * Encrypts `plaintext` under the current key with a fresh random IV. `context` (for example
   * the account address the token belongs to) is authenticated but not stored: the envelope
   * opens only with the same context. No context and an empty context are the same.
   */
  seal(plaintext: string, context?: string): string
  /**
   * Decrypts an envelope made by {@link SecretBox.seal} under the current or the previous key.
   * Throws a {@link DecryptionError} saying whether the envelope is malformed, of an unknown
   * version, sealed under an unknown key, or fails authentication (altered or wrong context).
   */
  open(envelope: string, context?: string): OpenedSecret
}

/**
 * Creates a {@link SecretBox} over a current key and, during a rotation, the previous one.
 * Throws a `TypeError` (naming the variable, never showing the key) if a key is not 32 bytes.
 *
 * Rotation: set `CRM_GMAIL_SECRET_KEY_PREVIOUS` to the old key and `CRM_GMAIL_SECRET_KEY` to a
 * new one; every read of an old envelope returns `resealed`, which the caller stores. Once no
 * row carries the old key id, drop the previous key.
 *
 * @example
 * ```ts
 * const box = createSecretBox({
 *   current: new Secret(Buffer.from(process.env.CRM_GMAIL_SECRET_KEY ?? '', 'base64')),
 *   previous: process.env.CRM_GMAIL_SECRET_KEY_PREVIOUS
 *     ? new Secret(Buffer.from(process.env.CRM_GMAIL_SECRET_KEY_PREVIOUS, 'base64'))
 *     : null,
 * })
 * const sealed = box.seal('1//0refresh-token', 'ann@fund.example')
 * ```
 */
export function createSecretBox(keys: SecretBoxKeys): SecretBox {
  // Copies, so that a caller reusing or zeroing its buffer cannot change the box's keys.
  const current = copyKey(keys.current, CURRENT_VARIABLE)
  const previous = keys.previous === undefined || keys.previous === null ? null : copyKey(keys.previous, PREVIOUS_VARIABLE)
  const currentId = keyIdOfBytes(current)
  const previousId = previous === null ? null : keyIdOfBytes(previous)

  const seal = (plaintext: string, context?: string): string => {
    return sealWith(current, currentId, requirePlaintext(plaintext), requireContext(context, 'seal'))
  }

  const open = (envelope: string, context?: string): OpenedSecret => {
    const ctx = requireContext(context, 'open')
    const parsed = parseEnvelope(envelope)
    // The current key wins when both are the same key, so no pointless re-seal is offered.
    let key: Buffer
    if (parsed.keyId === currentId) key = current
    else if (previous !== null && parsed.keyId === previousId) key = previous
    else {
      const known = `current key is ${currentId}, previous key is ${previousId ?? 'not set'}`
      throw new DecryptionError(
        `Cannot open the sealed secret: sealed under key ${parsed.keyId}, which is neither ${CURRENT_VARIABLE} nor ${PREVIOUS_VARIABLE} (${known})`,
      )
    }
    const value = decrypt(key, parsed, ctx)
    const resealed = key === current ? null : sealWith(current, currentId, value, ctx)
    return Object.freeze({ value, resealed })
  }

  return Object.freeze({ keyId: currentId, seal, open })
}

/**
 * The id of a key: the first 8 bytes of SHA-256 over a fixed label and the key, as 16 hex
 * characters. It names a key in envelopes and messages without revealing it.
 *
 * @example
 * ```ts
 * keyIdOf(new Secret(Buffer.from(process.env.CRM_GMAIL_SECRET_KEY ?? '', 'base64'))) // '3f9c0a1b2c3d4e5f'
 * ```
 */
export function keyIdOf(key: Secret<Buffer>): string {
  return keyIdOfBytes(copyKey(key, 'key'))
}

/**
 * A new random key: base64 of 32 bytes from the system's CSPRNG, the format
 * `CRM_GMAIL_SECRET_KEY` expects. For set-up instructions and the CLI.
 *
 * @example
 * ```ts
 * console.log(`CRM_GMAIL_SECRET_KEY=${generateSecretKey()}`)
 * ```
 */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64')
}

interface ParsedEnvelope {
  readonly keyId: string
  readonly iv: Buffer
  readonly ciphertext: Buffer
  readonly tag: Buffer
}

function copyKey(key: Secret<Buffer>, name: string): Buffer {
  // Runtime checks, because JavaScript callers and config loaders get no help from the types.
  const candidate: unknown = key
  if (typeof candidate !== 'object' || candidate === null || typeof (candidate as { reveal?: unknown }).reveal !== 'function') {
    throw new TypeError(`${name}: expected a Secret<Buffer> of ${KEY_BYTES} bytes`)
  }
  const bytes: unknown = key.reveal()
  if (!Buffer.isBuffer(bytes)) throw new TypeError(`${name}: expected a Secret<Buffer> of ${KEY_BYTES} bytes`)
  if (bytes.length !== KEY_BYTES) {
    // Only the length is shown: the bytes are the secret.
    throw new TypeError(
      `${name}: expected ${KEY_BYTES} bytes (base64 of 32 random bytes, see generateSecretKey()), got ${bytes.length} bytes`,
    )
  }
  return Buffer.from(bytes)
}

function keyIdOfBytes(key: Buffer): string {
  return createHash('sha256').update(KEY_ID_LABEL, 'utf8').update(key).digest().subarray(0, KEY_ID_BYTES).toString('hex')
}

function requirePlaintext(plaintext: unknown): string {
  if (typeof plaintext !== 'string') throw new TypeError('seal: expected the plaintext to be a string')
  // A lone surrogate would come back as U+FFFD: refuse rather than hand back another value.
  if (Buffer.from(plaintext, 'utf8').toString('utf8') !== plaintext) {
    throw new TypeError('seal: the plaintext is not well-formed Unicode (it has a lone surrogate)')
  }
  return plaintext
}

function requireContext(context: unknown, method: string): string {
  if (context === undefined) return ''
  if (typeof context !== 'string') throw new TypeError(`${method}: expected the context to be a string`)
  return context
}

/**
 * Version and key id are authenticated so that neither can be swapped without detection; the
 * context ties the envelope to its row. Version and key id have fixed shapes without NUL, so
 * everything after the second NUL is the context and no two inputs share an encoding.
 */
function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}\0${keyId}\0${context}`, 'utf8')
}

function sealWith(key: Buffer, keyId: string, plaintext: string, context: string): string {
  // A random IV per seal: GCM loses all confidentiality if an IV repeats under one key.
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(additionalData(keyId, context))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [VERSION, keyId, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.')
}

function decrypt(key: Buffer, parsed: ParsedEnvelope, context: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(additionalData(parsed.keyId, context))
    decipher.setAuthTag(parsed.tag)
    const plaintext = Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()])
    return plaintext.toString('utf8')
  } catch (error) {
    // GCM cannot say which part was wrong; the usual causes, for the operator.
    throw new DecryptionError(
      'Cannot open the sealed secret: authentication failed (the envelope was altered, or it was sealed for another context, such as another account)',
      { cause: error },
    )
  }
}

function malformed(detail: string): DecryptionError {
  return new DecryptionError(`Cannot open the sealed secret: the envelope is malformed (${detail})`)
}

function parseEnvelope(envelope: unknown): ParsedEnvelope {
  if (typeof envelope !== 'string') throw malformed('expected a string')
  if (envelope.length === 0) throw malformed('it is empty')
  const parts = envelope.split('.')
  const version = parts[0] ?? ''
  // The version is judged first: a later version may have another number of parts.
  if (!VERSION_PATTERN.test(version)) throw malformed(`expected it to start with "${VERSION}."`)
  if (version !== VERSION) {
    throw new DecryptionError(`Cannot open the sealed secret: envelope version "${version}" is not supported (expected "${VERSION}")`)
  }
  const [, keyId, iv, ciphertext, tag] = parts
  if (parts.length !== PART_COUNT || keyId === undefined || iv === undefined || ciphertext === undefined || tag === undefined) {
    throw malformed(`expected ${PART_COUNT} dot-separated parts, got ${parts.length}; it may have been cut short`)
  }
  if (!KEY_ID_PATTERN.test(keyId)) throw malformed('the key id is not 16 lowercase hex characters')
  const parsed = {
    keyId,
    iv: decodePart(iv, 'IV'),
    ciphertext: decodePart(ciphertext, 'ciphertext'),
    tag: decodePart(tag, 'authentication tag'),
  }
  if (parsed.iv.length !== IV_BYTES) throw malformed(`the IV is ${parsed.iv.length} bytes, expected ${IV_BYTES}`)
  if (parsed.tag.length !== TAG_BYTES) {
    throw malformed(`the authentication tag is ${parsed.tag.length} bytes, expected ${TAG_BYTES}`)
  }
  return parsed
}

function decodePart(text: string, name: string): Buffer {
  // Buffer.from(..., 'base64url') skips characters it does not know and ignores stray bits;
  // requiring the canonical form makes every altered character either invalid or an auth failure.
  const bytes = Buffer.from(text, 'base64url')
  if (!BASE64URL_PATTERN.test(text) || bytes.toString('base64url') !== text) {
    throw malformed(`the ${name} is not valid base64url`)
  }
  return bytes
}
