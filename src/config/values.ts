import { resolve } from 'node:path'
import { Secret } from '../secrets/secret.js'

/**
 * The outcome of parsing one setting. A failure says what was expected; `echo` says whether
 * the resolver may append the value it received (never for secrets, and not when the message
 * already quotes the offending parts).
 */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string; readonly echo: boolean }

/**
 * Parses one setting from an environment string (already trimmed, never blank) or from the
 * value of a plain-object property (anything the host passed).
 */
export type Parser<T> = (value: unknown) => Parsed<T>

/** A successful parse. */
export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value }
}

/** A failed parse; `echo: false` keeps the received value out of the message. */
export function fail(message: string, echo = true): Parsed<never> {
  return { ok: false, message, echo }
}

/** An inclusive range of whole numbers and the reason for its bounds. */
export interface IntRange {
  /** The smallest accepted value. */
  readonly min: number
  /** The largest accepted value. */
  readonly max: number
  /** Why these bounds, shown in the issue so the operator knows the limit is deliberate. */
  readonly why: string
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on'])
const FALSE_WORDS = new Set(['false', '0', 'no', 'off'])

/** `true/false/1/0/yes/no/on/off`, any case, or a boolean. */
export const parseBoolean: Parser<boolean> = (value) => {
  if (typeof value === 'boolean') return ok(value)
  const word = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.toLowerCase() : null
  if (word !== null && TRUE_WORDS.has(word)) return ok(true)
  if (word !== null && FALSE_WORDS.has(word)) return ok(false)
  return fail('expected true or false (also accepted: 1/0, yes/no, on/off)')
}

/**
 * A whole number within `range`. Strings must be plain digits, so `1.5`, `1e3`, `0x10`, `-1`
 * and `NaN` are refused instead of being coerced into something the operator did not write.
 */
export function parseInteger(range: IntRange): Parser<number> {
  return (value) => {
    let n: number | null = null
    if (typeof value === 'number') n = value
    else if (typeof value === 'string' && /^\+?\d{1,16}$/.test(value)) n = Number(value)
    if (n === null || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
      return fail(`expected a whole number from ${range.min} to ${range.max} (${range.why})`)
    }
    return ok(n === 0 ? 0 : n)
  }
}

/** One of a few lowercase words, matched case-insensitively. */
export function parseChoice<const W extends string>(words: readonly W[]): Parser<W> {
  return (value) => {
    const lower = typeof value === 'string' ? value.toLowerCase() : null
    const match = words.find((w) => w === lower)
    if (match !== undefined) return ok(match)
    return fail(`expected one of ${words.join(', ')}`)
  }
}

function httpUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

const URL_EXPECTED = 'expected an absolute http:// or https:// URL'

/**
 * An absolute http(s) URL, normalised and without a trailing slash, so that callers can append
 * `/gmail/v1/...` without doubling the slash.
 */
export const parseUrl: Parser<string> = (value) => {
  const url = httpUrl(value)
  if (url === null) return fail(URL_EXPECTED)
  return ok(url.search === '' && url.hash === '' ? url.href.replace(/\/+$/, '') : url.href)
}

/**
 * An absolute http(s) URL kept exactly as given: Google compares the OAuth `redirect_uri`
 * byte for byte with the registered one, so normalising it could break the consent flow.
 */
export const parseRedirectUri: Parser<string> = (value) => {
  if (httpUrl(value) === null) return fail(URL_EXPECTED)
  return ok(value as string)
}

/** Longer than any client id or model name; a longer value is a pasted file, not a setting. */
const MAX_TEXT_LENGTH = 1000

/** A single-line, non-empty string (an OAuth client id, a model name). */
export const parseText: Parser<string> = (value) => {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (typeof value === 'string' && value.length <= MAX_TEXT_LENGTH && !/[\u0000-\u001f\u007f]/.test(value)) {
    return ok(value)
  }
  return fail(`expected a single-line string of at most ${MAX_TEXT_LENGTH} characters`)
}

/**
 * A file-system path, made absolute against `process.cwd()` so later `chdir`s do not move it.
 * A URL is refused: resolved as a path it would keep any credentials in it out of reach of
 * redaction (`https://` becomes `https:/`).
 */
export const parsePath: Parser<string> = (value) => {
  if (typeof value !== 'string' || value.includes('\0')) return fail('expected a file-system path')
  if (/[a-z][a-z0-9+.-]*:\/\//i.test(value)) return fail('expected a file-system path, not a URL')
  return ok(resolve(value))
}

/** A secret string, as text or already wrapped in a {@link Secret}; never echoed. */
export const parseSecretText: Parser<Secret> = (value) => {
  const inner: unknown = value instanceof Secret ? value.reveal() : value
  if (typeof inner === 'string' && inner.trim() !== '' && inner.length <= MAX_TEXT_LENGTH) {
    return ok(value instanceof Secret ? (value as Secret) : new Secret(inner))
  }
  return fail(`expected a non-empty string of at most ${MAX_TEXT_LENGTH} characters (or a Secret of one)`, false)
}

/** Whether `value` is an object literal (not an array, a class instance or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
