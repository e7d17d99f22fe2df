import { createHash, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createSecretBox, generateSecretKey, keyIdOf } from '../../src/secrets/crypto.js'
import type { SecretBox } from '../../src/secrets/crypto.js'
import { DecryptionError } from '../../src/errors.js'
import { Secret } from '../../src/secrets/secret.js'

const newKey = (): Secret<Buffer> => new Secret(randomBytes(32))

/** keyIdOf of 32 zero bytes, written out: a change here would orphan every stored envelope. */
const KNOWN_ZERO_KEY_ID = '5aad3e9dd3728ee5'

const PLAINTEXT = '1//0refresh-token-do-not-print'
const CONTEXT = 'ann@fund.example'

/** Runs `fn`, expects a DecryptionError, and returns it for message checks. */
function decryptionError(fn: () => unknown): DecryptionError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError)
    return error as DecryptionError
  }
  throw new Error('expected a DecryptionError, nothing was thrown')
}

function parts(envelope: string): string[] {
  return envelope.split('.')
}

/** Flips one bit of the decoded bytes of part `index` and re-encodes it canonically. */
function flipBit(envelope: string, index: number, byte = 0): string {
  const p = parts(envelope)
  const bytes = Buffer.from(p[index]!, 'base64url')
  bytes[byte] = bytes[byte]! ^ 0x01
  p[index] = bytes.toString('base64url')
  return p.join('.')
}

describe('createSecretBox: round trip', () => {
  const box = createSecretBox({ current: newKey() })

  it.each([
    ['ascii', PLAINTEXT],
    ['unicode', 'Grüße, 日本語, emoji 🔐🦊, combining é, RTL שלום'],
    ['empty', ''],
    ['long', 'x'.repeat(100_000) + '✓'.repeat(10_000)],
    ['dots and NUL', 'a.b.c.d.e\0f'],
  ])('opens what it sealed (%s)', (_name, value) => {
    const sealed = box.seal(value)
    expect(box.open(sealed)).toEqual({ value, resealed: null })
  })

  it('writes the documented envelope shape', () => {
    const sealed = box.seal(PLAINTEXT, CONTEXT)
    const [version, kid, iv, ciphertext, tag, ...rest] = parts(sealed)
    expect(rest).toEqual([])
    expect(version).toBe('v1')
    expect(kid).toBe(box.keyId)
    expect(kid).toMatch(/^[0-9a-f]{16}$/)
    for (const part of [iv, ciphertext, tag]) expect(part).toMatch(/^[A-Za-z0-9_-]*$/)
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12)
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16)
    expect(Buffer.from(ciphertext!, 'base64url')).toHaveLength(Buffer.byteLength(PLAINTEXT))
    expect(sealed).not.toContain(PLAINTEXT)
  })

  it('seals the empty string to an empty ciphertext part', () => {
    expect(parts(box.seal(''))[3]).toBe('')
  })

  it('gives a different envelope each time (random IV)', () => {
    const a = box.seal(PLAINTEXT)
    const b = box.seal(PLAINTEXT)
    expect(a).not.toBe(b)
    expect(parts(a)[2]).not.toBe(parts(b)[2])
    expect(box.open(a).value).toBe(PLAINTEXT)
    expect(box.open(b).value).toBe(PLAINTEXT)
  })

  it('returns frozen results and a frozen box', () => {
    expect(Object.isFrozen(box)).toBe(true)
    expect(Object.isFrozen(box.open(box.seal(PLAINTEXT)))).toBe(true)
  })

  it('refuses a plaintext that UTF-8 cannot carry, and non-string arguments', () => {
    expect(() => box.seal('lone \uD800 surrogate')).toThrow(TypeError)
    expect(() => box.seal(42 as unknown as string)).toThrow(TypeError)
    expect(() => box.seal(PLAINTEXT, 42 as unknown as string)).toThrow(TypeError)
    expect(() => box.open(box.seal(PLAINTEXT), {} as unknown as string)).toThrow(TypeError)
  })
})

describe('createSecretBox: tampering', () => {
  const box = createSecretBox({ current: newKey() })
  const sealed = box.seal(PLAINTEXT, CONTEXT)

  it.each([
    ['IV', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('rejects a flipped bit in the %s as an authentication failure', (_name, index) => {
    for (const byte of [0, 5, 11]) {
      const err = decryptionError(() => box.open(flipBit(sealed, index, byte), CONTEXT))
      expect(err.message).toMatch(/authentication failed/)
      expect(err.code).toBe('decryption_failed')
    }
  })

  it('rejects a swapped key id (the other valid key) as an authentication failure', () => {
    const current = newKey()
    const previous = newKey()
    const rotating = createSecretBox({ current, previous })
    const underCurrent = rotating.seal(PLAINTEXT, CONTEXT)
    const swapped = parts(underCurrent)
    swapped[1] = keyIdOf(previous)
    const err = decryptionError(() => rotating.open(swapped.join('.'), CONTEXT))
    expect(err.message).toMatch(/authentication failed/)

    const underPrevious = createSecretBox({ current: previous }).seal(PLAINTEXT, CONTEXT)
    const swappedBack = parts(underPrevious)
    swappedBack[1] = rotating.keyId
    expect(decryptionError(() => rotating.open(swappedBack.join('.'), CONTEXT)).message).toMatch(/authentication failed/)
  })

  it('rejects a key id changed to an unknown one, naming it', () => {
    const p = parts(sealed)
    p[1] = '0123456789abcdef'
    const err = decryptionError(() => box.open(p.join('.'), CONTEXT))
    expect(err.message).toContain('sealed under key 0123456789abcdef, which is neither CRM_GMAIL_SECRET_KEY nor CRM_GMAIL_SECRET_KEY_PREVIOUS')
  })

  it('rejects a non-canonical base64url character change as malformed or unauthenticated', () => {
    const p = parts(sealed)
    // The last character of a 16-byte tag carries 4 spare bits; changing them alone is refused.
    const tag = p[4]!
    const last = tag.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const neighbour = alphabet[(alphabet.indexOf(last) ^ 1)]!
    p[4] = tag.slice(0, -1) + neighbour
    expect(decryptionError(() => box.open(p.join('.'), CONTEXT)).message).toMatch(/not valid base64url/)
  })

  it.each([
    ['+ in the IV', (p: string[]) => { p[2] = p[2]!.slice(0, -1) + '+' }],
    ['padding on the tag', (p: string[]) => { p[4] = p[4]! + '==' }],
    ['whitespace in the ciphertext', (p: string[]) => { p[3] = ' ' + p[3]! }],
    ['upper-case key id', (p: string[]) => { p[1] = p[1]!.toUpperCase().replace(/^[0-9]/, 'A') }],
  ])('rejects %s as malformed', (_name, mutate) => {
    const p = parts(sealed)
    mutate(p)
    expect(decryptionError(() => box.open(p.join('.'), CONTEXT)).message).toMatch(/malformed/)
  })

  it('rejects an IV or tag of the wrong length', () => {
    const shortIv = parts(sealed)
    shortIv[2] = randomBytes(8).toString('base64url')
    expect(decryptionError(() => box.open(shortIv.join('.'), CONTEXT)).message).toMatch(/IV is 8 bytes, expected 12/)
    const shortTag = parts(sealed)
    shortTag[4] = randomBytes(12).toString('base64url')
    expect(decryptionError(() => box.open(shortTag.join('.'), CONTEXT)).message).toMatch(/tag is 12 bytes, expected 16/)
    const longTag = parts(sealed)
    longTag[4] = randomBytes(17).toString('base64url')
    expect(decryptionError(() => box.open(longTag.join('.'), CONTEXT)).message).toMatch(/tag is 17 bytes, expected 16/)
  })

  it('rejects an unknown version, naming it', () => {
    const p = parts(sealed)
    p[0] = 'v2'
    expect(decryptionError(() => box.open(p.join('.'), CONTEXT)).message).toMatch(/version "v2" is not supported/)
    expect(decryptionError(() => box.open('v9.future.format', CONTEXT)).message).toMatch(/version "v9" is not supported/)
  })

  it('rejects an envelope with extra parts', () => {
    expect(decryptionError(() => box.open(`${sealed}.AAAA`, CONTEXT)).message).toMatch(/expected 5 dot-separated parts, got 6/)
  })

  it('rejects garbage and non-strings as malformed, without echoing them', () => {
    for (const garbage of ['', 'hello', 'not an envelope at all', '....', PLAINTEXT]) {
      const err = decryptionError(() => box.open(garbage, CONTEXT))
      expect(err.message).toMatch(/malformed/)
      if (garbage !== '') expect(err.message).not.toContain(garbage)
    }
    expect(decryptionError(() => box.open('', CONTEXT)).message).toMatch(/empty/)
    expect(decryptionError(() => box.open(null as unknown as string)).message).toMatch(/malformed/)
  })
})

describe('createSecretBox: truncated envelopes', () => {
  const box = createSecretBox({ current: newKey() })
  const sealed = box.seal(PLAINTEXT, CONTEXT)

  it('rejects every prefix of a valid envelope', () => {
    // Every cut, not a sample: each must fail as malformed (never as a partial plaintext).
    for (let length = 0; length < sealed.length; length += 1) {
      const err = decryptionError(() => box.open(sealed.slice(0, length), CONTEXT))
      expect(err.message, `cut at ${length}`).toMatch(/malformed|authentication failed/)
    }
  })

  it.each([1, 2, 3, 20, 30])('names the missing parts when cut at %i characters', (length) => {
    const cut = sealed.slice(0, length)
    const err = decryptionError(() => box.open(cut, CONTEXT))
    expect(err.message).toMatch(/malformed/)
  })

  it('rejects a missing tag and a half tag', () => {
    const p = parts(sealed)
    expect(decryptionError(() => box.open(p.slice(0, 4).join('.'), CONTEXT)).message).toMatch(/got 4; it may have been cut short/)
    expect(decryptionError(() => box.open(`${p.slice(0, 4).join('.')}.`, CONTEXT)).message).toMatch(/tag is 0 bytes/)
    const halfTag = Buffer.from(p[4]!, 'base64url').subarray(0, 8).toString('base64url')
    expect(decryptionError(() => box.open(`${p.slice(0, 4).join('.')}.${halfTag}`, CONTEXT)).message).toMatch(/tag is 8 bytes/)
  })

  it('rejects a ciphertext cut by whole bytes as an authentication failure', () => {
    const p = parts(sealed)
    p[3] = Buffer.from(p[3]!, 'base64url').subarray(0, 10).toString('base64url')
    expect(decryptionError(() => box.open(p.join('.'), CONTEXT)).message).toMatch(/authentication failed/)
  })
})

describe('createSecretBox: keys', () => {
  it('refuses to open under a box without the sealing key, naming both key ids', () => {
    const sealer = createSecretBox({ current: newKey() })
    const other = createSecretBox({ current: newKey() })
    const err = decryptionError(() => other.open(sealer.seal(PLAINTEXT)))
    expect(err.message).toContain(`sealed under key ${sealer.keyId}, which is neither CRM_GMAIL_SECRET_KEY nor CRM_GMAIL_SECRET_KEY_PREVIOUS`)
    expect(err.message).toContain(`current key is ${other.keyId}, previous key is not set`)
  })

  it.each([0, 16, 31, 33, 64])('throws a TypeError for a %i-byte key, naming the variable', (length) => {
    const bytes = randomBytes(length)
    expect(() => createSecretBox({ current: new Secret(bytes) })).toThrow(TypeError)
    expect(() => createSecretBox({ current: new Secret(bytes) })).toThrow(`CRM_GMAIL_SECRET_KEY: expected 32 bytes`)
    expect(() => createSecretBox({ current: newKey(), previous: new Secret(bytes) })).toThrow(`CRM_GMAIL_SECRET_KEY_PREVIOUS: expected 32 bytes`)
    expect(() => keyIdOf(new Secret(bytes))).toThrow(TypeError)
    try {
      createSecretBox({ current: new Secret(bytes) })
    } catch (error) {
      const message = (error as Error).message
      if (length > 0) {
        expect(message).not.toContain(bytes.toString('base64'))
        expect(message).not.toContain(bytes.toString('hex'))
      }
    }
  })

  it('throws a TypeError for a key that is not a Secret<Buffer>', () => {
    const raw = randomBytes(32)
    expect(() => createSecretBox({ current: raw as unknown as Secret<Buffer> })).toThrow(TypeError)
    expect(() => createSecretBox({ current: new Secret(raw.toString('base64')) as unknown as Secret<Buffer> })).toThrow(TypeError)
    expect(() => createSecretBox({ current: null as unknown as Secret<Buffer> })).toThrow(TypeError)
  })

  it('keeps its own copy of the key', () => {
    const bytes = randomBytes(32)
    const box = createSecretBox({ current: new Secret(bytes) })
    const sealed = box.seal(PLAINTEXT)
    bytes.fill(0)
    expect(box.open(sealed).value).toBe(PLAINTEXT)
  })

  it('does not show its keys when inspected or serialised', () => {
    const key = randomBytes(32)
    const box = createSecretBox({ current: new Secret(key) })
    for (const shown of [inspect(box, { depth: 10, showHidden: true }), JSON.stringify(box), String(Object.values(box))]) {
      expect(shown).not.toContain(key.toString('base64'))
      expect(shown).not.toContain(key.toString('hex'))
    }
  })
})

describe('createSecretBox: rotation', () => {
  const oldKey = newKey()
  const newKeySecret = newKey()
  const oldBox = createSecretBox({ current: oldKey })
  const rotating = createSecretBox({ current: newKeySecret, previous: oldKey })
  const newOnly = createSecretBox({ current: newKeySecret })

  it('opens a value sealed under the previous key and re-seals it under the current key', () => {
    const sealedOld = oldBox.seal(PLAINTEXT, CONTEXT)
    const opened = rotating.open(sealedOld, CONTEXT)
    expect(opened.value).toBe(PLAINTEXT)
    expect(opened.resealed).not.toBeNull()
    expect(parts(opened.resealed!)[1]).toBe(keyIdOf(newKeySecret))
    // The re-sealed value keeps the context binding.
    expect(newOnly.open(opened.resealed!, CONTEXT)).toEqual({ value: PLAINTEXT, resealed: null })
    expect(decryptionError(() => newOnly.open(opened.resealed!, 'other@fund.example')).message).toMatch(/authentication failed/)
    // Without the previous key, the old envelope is refused by key id.
    expect(decryptionError(() => newOnly.open(sealedOld, CONTEXT)).message).toContain(`sealed under key ${keyIdOf(oldKey)}`)
  })

  it('gives resealed null for a value sealed under the current key', () => {
    expect(rotating.open(rotating.seal(PLAINTEXT, CONTEXT), CONTEXT)).toEqual({ value: PLAINTEXT, resealed: null })
    expect(rotating.open(newOnly.seal(PLAINTEXT, CONTEXT), CONTEXT).resealed).toBeNull()
  })

  it('seals under the current key only', () => {
    expect(rotating.keyId).toBe(keyIdOf(newKeySecret))
    expect(parts(rotating.seal(PLAINTEXT))[1]).toBe(rotating.keyId)
  })

  it('accepts previous: null and the same key twice', () => {
    const key = newKey()
    const withNull = createSecretBox({ current: key, previous: null })
    const same = createSecretBox({ current: key, previous: key })
    expect(same.open(withNull.seal(PLAINTEXT))).toEqual({ value: PLAINTEXT, resealed: null })
  })
})

describe('createSecretBox: context binding', () => {
  const box = createSecretBox({ current: newKey() })

  it('opens only with the context it was sealed with', () => {
    const sealed = box.seal(PLAINTEXT, CONTEXT)
    expect(box.open(sealed, CONTEXT).value).toBe(PLAINTEXT)
    for (const wrong of ['bob@fund.example', 'ANN@fund.example', '', undefined]) {
      const err = decryptionError(() => box.open(sealed, wrong))
      expect(err.message).toMatch(/authentication failed/)
      expect(err.message).not.toContain(CONTEXT)
    }
  })

  it('treats no context as the empty context', () => {
    expect(box.open(box.seal(PLAINTEXT), '').value).toBe(PLAINTEXT)
    expect(box.open(box.seal(PLAINTEXT, '')).value).toBe(PLAINTEXT)
    expect(() => box.open(box.seal(PLAINTEXT), 'x')).toThrow(DecryptionError)
  })

  it('does not confuse contexts containing separators', () => {
    const sealed = box.seal(PLAINTEXT, 'a\0b')
    expect(() => box.open(sealed, 'a')).toThrow(DecryptionError)
    expect(() => box.open(sealed, 'a\0b\0')).toThrow(DecryptionError)
    expect(box.open(sealed, 'a\0b').value).toBe(PLAINTEXT)
  })
})

describe('keyIdOf', () => {
  it('is stable, 16 hex characters, and differs between keys', () => {
    const bytes = randomBytes(32)
    const id = keyIdOf(new Secret(bytes))
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(keyIdOf(new Secret(Buffer.from(bytes)))).toBe(id)
    expect(createSecretBox({ current: new Secret(bytes) }).keyId).toBe(id)
    expect(keyIdOf(newKey())).not.toBe(id)
  })

  it('matches a known vector (the envelope format depends on it)', () => {
    expect(keyIdOf(new Secret(Buffer.alloc(32, 0)))).toBe(KNOWN_ZERO_KEY_ID)
  })

  it('does not contain the key or a plain hash of it', () => {
    const bytes = randomBytes(32)
    const id = keyIdOf(new Secret(bytes))
    expect(bytes.toString('hex')).not.toContain(id)
    expect(bytes.toString('base64')).not.toContain(id)
    expect(createHash('sha256').update(bytes).digest('hex')).not.toContain(id)
  })
})

describe('generateSecretKey', () => {
  it('gives base64 of 32 random bytes that a box accepts', () => {
    const a = generateSecretKey()
    const b = generateSecretKey()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    const bytes = Buffer.from(a, 'base64')
    expect(bytes).toHaveLength(32)
    const box = createSecretBox({ current: new Secret(bytes) })
    expect(box.open(box.seal(PLAINTEXT)).value).toBe(PLAINTEXT)
  })
})

describe('error messages', () => {
  it('never contain the plaintext, the context or the key', () => {
    const keyBytes = randomBytes(32)
    const previousBytes = randomBytes(32)
    const key = new Secret(keyBytes)
    const box: SecretBox = createSecretBox({ current: key, previous: new Secret(previousBytes) })
    const sealed = box.seal(PLAINTEXT, CONTEXT)
    const p = parts(sealed)
    const failures: (() => unknown)[] = [
      () => box.open(flipBit(sealed, 2), CONTEXT),
      () => box.open(flipBit(sealed, 3), CONTEXT),
      () => box.open(flipBit(sealed, 4), CONTEXT),
      () => box.open(sealed, 'bob@fund.example'),
      () => box.open(sealed.slice(0, 40), CONTEXT),
      () => box.open(`v7.${p.slice(1).join('.')}`, CONTEXT),
      () => box.open([p[0], 'ffffffffffffffff', ...p.slice(2)].join('.'), CONTEXT),
      () => box.open([p[0], keyIdOf(new Secret(previousBytes)), ...p.slice(2)].join('.'), CONTEXT),
      () => createSecretBox({ current: newKey() }).open(sealed, CONTEXT),
      () => box.open(PLAINTEXT, CONTEXT),
    ]
    const forbidden = [
      PLAINTEXT,
      CONTEXT,
      keyBytes.toString('base64'),
      keyBytes.toString('base64url'),
      keyBytes.toString('hex'),
      previousBytes.toString('base64'),
      previousBytes.toString('hex'),
    ]
    for (const fail of failures) {
      const err = decryptionError(fail)
      const shown = [err.message, err.stack ?? '', JSON.stringify(err), inspect(err, { depth: 10 })]
      for (const text of shown) for (const secret of forbidden) expect(text).not.toContain(secret)
    }
  })
})
