import { createPrivateKey } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { ServiceAccountKey } from './types.js'
import { fail, isPlainObject, ok, type Parsed, type Parser } from './values.js'
import { Secret } from '../secrets/secret.js'

/** AES-256-GCM, which seals the refresh tokens, takes a 256-bit key. */
const SECRET_KEY_BYTES = 32
/** Base64 of 32 bytes is 43 characters before padding. */
const SECRET_KEY_BASE64_CHARS = 43
/** Google's key files are about 2.3 KB; anything far larger is the wrong file, and is not read. */
const MAX_KEY_FILE_BYTES = 64 * 1024

const KEY_EXPECTED = `expected base64 (standard or URL-safe) of exactly ${SECRET_KEY_BYTES} random bytes, e.g. from \`openssl rand -base64 32\``

/**
 * An encryption key: base64 of 32 bytes (or the bytes, possibly wrapped in a {@link Secret}).
 * The issue tells how the value is wrong but never echoes it.
 */
export const parseSecretKey: Parser<Secret<Buffer>> = (value) => {
  const inner: unknown = value instanceof Secret ? value.reveal() : value
  if (inner instanceof Uint8Array) {
    if (inner.length !== SECRET_KEY_BYTES) return fail(`${KEY_EXPECTED}; the value has ${inner.length} bytes`, false)
    return ok(new Secret(Buffer.from(inner)))
  }
  if (typeof inner !== 'string') return fail(`${KEY_EXPECTED}; the value is not a string`, false)
  const text = inner.trim()
  if (!/^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/.test(text)) {
    return fail(`${KEY_EXPECTED}; the value is not base64`, false)
  }
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== SECRET_KEY_BYTES || text.replace(/=+$/, '').length !== SECRET_KEY_BASE64_CHARS) {
    return fail(`${KEY_EXPECTED}; the value decodes to ${bytes.length} bytes`, false)
  }
  return ok(new Secret(bytes))
}

/** Field names of a key, in Google's file spelling or in the resolved spelling. */
interface KeyFields {
  readonly email: string
  readonly key: string
  readonly keyId: string
  readonly clientId: string
}
const GOOGLE_FIELDS: KeyFields = { email: 'client_email', key: 'private_key', keyId: 'private_key_id', clientId: 'client_id' }
const RESOLVED_FIELDS: KeyFields = { email: 'clientEmail', key: 'privateKey', keyId: 'privateKeyId', clientId: 'clientId' }

/** Why a PEM cannot sign the delegation JWT, or `null` when it can. Never quotes the key. */
function privateKeyProblem(pem: string): string | null {
  if (!pem.includes('-----BEGIN PRIVATE KEY-----') || !pem.includes('-----END PRIVATE KEY-----')) {
    return 'is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)'
  }
  try {
    const type = createPrivateKey(pem).asymmetricKeyType
    return type === 'rsa' ? null : 'is not an RSA key (the delegation JWT is signed with RS256)'
  } catch {
    return 'cannot be parsed as a private key'
  }
}

/**
 * Checks a key object field by field and lists every problem by field name; a field's content
 * is never quoted, since the object holds a private key.
 */
function readKey(source: Record<string, unknown>, fields: KeyFields): { key: ServiceAccountKey | null; problems: string[] } {
  const problems: string[] = []
  if (fields === GOOGLE_FIELDS && source.type !== undefined && source.type !== 'service_account') {
    problems.push('its type is not service_account (an OAuth client or user credential file will not do)')
  }
  const email = source[fields.email]
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email.trim())) {
    problems.push(`${fields.email} is missing or not an email address`)
  }
  const raw = source[fields.key]
  const pem: unknown = raw instanceof Secret ? raw.reveal() : raw
  if (typeof pem !== 'string') {
    problems.push(`${fields.key} is missing or not a string`)
  } else {
    const problem = privateKeyProblem(pem)
    if (problem !== null) problems.push(`${fields.key} ${problem}`)
  }
  const optional = (name: string): string | null => {
    const v = source[name]
    if (v === undefined || v === null) return null
    if (typeof v === 'string') return v
    problems.push(`${name} is not a string`)
    return null
  }
  const privateKeyId = optional(fields.keyId)
  const clientId = optional(fields.clientId)
  if (problems.length > 0 || typeof email !== 'string' || typeof pem !== 'string') return { key: null, problems }
  return { key: { clientEmail: email.trim(), privateKey: new Secret(pem), privateKeyId, clientId }, problems }
}

function inlineParser(fields: KeyFields, shape: string): Parser<ServiceAccountKey> {
  return (value) => {
    if (!isPlainObject(value)) return fail(`expected an object ${shape}`, false)
    if (fields === RESOLVED_FIELDS) {
      const allowed: readonly string[] = Object.values(RESOLVED_FIELDS)
      const unknown = Object.keys(value).filter((k) => !allowed.includes(k))
      if (unknown.length > 0) return fail(`unknown properties: ${unknown.join(', ')}`, false)
    }
    const { key, problems } = readKey(value, fields)
    return key === null ? fail(`expected an object ${shape}; ${problems.join('; ')}`, false) : ok(key)
  }
}

/** An inline key as Google's JSON key file spells it. */
export const parseGoogleKey = inlineParser(GOOGLE_FIELDS, 'as in Google\'s JSON key file ({ client_email, private_key, ... })')
/** An inline key in resolved form, as found in a resolved config. */
export const parseResolvedKey = inlineParser(RESOLVED_FIELDS, '{ clientEmail, privateKey, privateKeyId?, clientId? }')

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is not a directory',
}

/**
 * Reads and checks a service-account JSON key file. Problems name the path and what is wrong,
 * and never carry the file's content: not even a JSON parse error, whose message can quote it.
 */
export function loadServiceAccountKeyFile(path: string): Parsed<ServiceAccountKey> {
  const where = `the service-account key file ${JSON.stringify(path)}`
  let text: string
  try {
    const size = statSync(path).size
    if (size > MAX_KEY_FILE_BYTES) return fail(`${where} is ${size} bytes; a Google key file is a few KB`, false)
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    const reason = typeof code === 'string' ? (READ_ERRORS[code] ?? `error ${code}`) : 'unknown error'
    return fail(`cannot read ${where}: ${reason}`, false)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return fail(`${where} is not valid JSON`, false)
  }
  if (!isPlainObject(json)) return fail(`${where} does not hold a JSON object`, false)
  const { key, problems } = readKey(json, GOOGLE_FIELDS)
  return key === null ? fail(`${where} is not a usable service-account key: ${problems.join('; ')}`, false) : ok(key)
}
