/**
 * Recognising and hiding credentials in text the library prints: key material (PEM blocks, a
 * service-account key file's JSON, long random base64 runs) and the secret parts of URLs
 * (`user:password@`, `?api_key=...`). Errors, log lines and printed configurations go through
 * here; the values the library uses are never changed.
 */
import { isPlainObject } from '../config/values.js'

/** What replaces a hidden value. */
export const REDACTED = '[redacted]'

/** A base64 run shorter than this is a word, an id or a hash prefix; 32 random bytes make 43. */
const MIN_KEY_RUN = 40
/**
 * Share of neighbouring letters and digits that change class (upper, lower, digit) from which
 * a run counts as random, once capitalised words are read as lowercase. Random base64 changes
 * about 55% of the time (under 20% once in 10,000 keys); words, names and paths stay near 10%.
 */
const MIN_CLASS_CHANGE_RATIO = 0.2

/** A PEM header with content after it (whitespace or an escaped `\n` first), up to its footer or the end. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----(?:\s|\\n)*[A-Za-z0-9+/=][\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g
const PEM_HEADER = /-----BEGIN [A-Z0-9 ]+-----/
/** The fields that make JSON a Google key file (or a fragment of one). */
const KEY_JSON_FIELD = /"(?:private_key|private_key_id|client_email)"\s*:|"type"\s*:\s*"service_account"/
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}/g
/** 20 random bytes or more written in hex (`openssl rand -hex 32`); a SHA-1 is 40. */
const HEX_RUN = /(?<![A-Za-z0-9])[0-9a-fA-F]{40,}(?![A-Za-z0-9])/g
/** A URL with a scheme, up to the first character that cannot be in one. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi
/** Query (or fragment) parameter names whose values are credentials, matched on the lowercase name without `-`/`_`. */
const SECRET_PARAM = /key|token|secret|passw|pwd|sig|credential|auth|session|code/

function charClass(c: string): number {
  if (c >= 'A' && c <= 'Z') return 0
  if (c >= 'a' && c <= 'z') return 1
  if (c >= '0' && c <= '9') return 2
  return 3
}

/** Whether a run of hex digits mixes digits and letters, as random bytes do. */
function isHexKey(run: string): boolean {
  return /[0-9]/.test(run) && /[a-fA-F]/.test(run)
}

/** Whether a run of base64 characters is random enough to be key material rather than words or a path. */
function isRandomRun(run: string): boolean {
  if (run.length < MIN_KEY_RUN || !/[A-Z]/.test(run) || !/[a-z]/.test(run)) return false
  // A capitalised word (`ServiceAccount`, `AnnSmith`) is one class, not a change per capital.
  const flat = run.replace(/[A-Z][a-z]{2,}/g, (word) => word.toLowerCase())
  let pairs = 0
  let changes = 0
  for (let i = 1; i < flat.length; i++) {
    const a = charClass(flat.charAt(i - 1))
    const b = charClass(flat.charAt(i))
    if (a === 3 || b === 3) continue
    pairs++
    if (a !== b) changes++
  }
  return pairs > 0 && changes / pairs >= MIN_CLASS_CHANGE_RATIO
}

/**
 * Whether `text` holds key material: a PEM block, a service-account key file's JSON, or a
 * long random base64 or hex run (an encryption key, a token). A value like that is never quoted.
 *
 * @example
 * ```ts
 * looksLikeKeyText('-----BEGIN PRIVATE KEY-----\nMIIE...')   // true
 * looksLikeKeyText('secrets/gmail-sa.json')                  // false
 * ```
 */
export function looksLikeKeyText(text: string): boolean {
  if (PEM_HEADER.test(text) || KEY_JSON_FIELD.test(text)) return true
  return (text.match(BASE64_RUN) ?? []).some(isRandomRun) || (text.match(HEX_RUN) ?? []).some(isHexKey)
}

function redactParams(part: string): string {
  return part
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 0) return pair
      let name = pair.slice(0, eq)
      try {
        name = decodeURIComponent(name)
      } catch {
        // A malformed escape: judge the name as written.
      }
      return SECRET_PARAM.test(name.toLowerCase().replace(/[-_.]/g, '')) ? `${pair.slice(0, eq)}=${REDACTED}` : pair
    })
    .join('&')
}

/**
 * A URL as it may be printed: `user:password@` becomes `[redacted]@`, and the values of
 * query (and fragment) parameters named like credentials (`key`, `api_key`, `token`,
 * `access_token`, `secret`, `password`, `sig`, ...) become `[redacted]`. Anything else is
 * kept as written.
 *
 * @example
 * ```ts
 * redactUrl('https://ann:hunter2@llm.example/v1?api_key=abc&model=x')
 * // 'https://[redacted]@llm.example/v1?api_key=[redacted]&model=x'
 * ```
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)
  const start = scheme === null ? 0 : scheme[0].length
  const authorityEnd = url.slice(start).search(/[/?#]/)
  const authorityLength = authorityEnd < 0 ? url.length - start : authorityEnd
  const authority = url.slice(start, start + authorityLength)
  const at = authority.lastIndexOf('@')
  const host = at < 0 ? authority : `${REDACTED}@${authority.slice(at + 1)}`
  let rest = url.slice(start + authorityLength)
  const hash = rest.indexOf('#')
  const fragment = hash < 0 ? '' : `#${redactParams(rest.slice(hash + 1))}`
  if (hash >= 0) rest = rest.slice(0, hash)
  const question = rest.indexOf('?')
  const query = question < 0 ? '' : `?${redactParams(rest.slice(question + 1))}`
  const path = question < 0 ? rest : rest.slice(0, question)
  return `${url.slice(0, start)}${host}${path}${query}${fragment}`
}

/** `text` with the secret parts of every URL in it hidden, as {@link redactUrl} does. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url))
}

/**
 * `text` safe to print: the secret parts of URLs hidden, PEM blocks and random base64 runs
 * replaced by `[redacted]`, and a key file's JSON not shown at all.
 *
 * @example
 * ```ts
 * redactText('qdrant at http://admin:pw@127.0.0.1:6333 not reachable')
 * // 'qdrant at http://[redacted]@127.0.0.1:6333 not reachable'
 * ```
 */
export function redactText(text: string): string {
  if (KEY_JSON_FIELD.test(text)) return REDACTED
  return redactUrls(text)
    .replace(PEM_BLOCK, REDACTED)
    .replace(BASE64_RUN, (run) => (isRandomRun(run) ? REDACTED : run))
    .replace(HEX_RUN, (run) => (isHexKey(run) ? REDACTED : run))
}

/**
 * A copy of `value` safe to print: every string in it (in plain objects and arrays, keys
 * included) goes through {@link redactText}; other values (numbers, `Secret`s, dates, class
 * instances) are kept as they are.
 *
 * @example
 * ```ts
 * redactDeep({ error: 'POST http://u:p@host/x failed', attempt: 2 })
 * // { error: 'POST http://[redacted]@host/x failed', attempt: 2 }
 * ```
 */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value)
  if (Array.isArray(value)) return value.map(redactDeep)
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k), redactDeep(v)]))
  }
  return value
}

/**
 * Whether `value`, or any string inside it (plain objects and arrays, keys included), holds
 * key material once URL credentials are set aside (a URL may carry a token by design).
 *
 * @example
 * ```ts
 * containsKeyText(['fund.example', '-----BEGIN PRIVATE KEY-----']) // true
 * ```
 */
export function containsKeyText(value: unknown): boolean {
  if (typeof value === 'string') return looksLikeKeyText(redactUrls(value))
  if (Array.isArray(value)) return value.some(containsKeyText)
  if (isPlainObject(value)) return Object.entries(value).some(([k, v]) => containsKeyText(k) || containsKeyText(v))
  return false
}

/**
 * `error` fit to keep as the `cause` of one of the library's errors: itself when no message
 * in its cause chain changes under {@link redactText}, otherwise a plain `Error` of the same
 * name with the redacted message (and the chain below it treated the same way).
 *
 * @example
 * ```ts
 * throw new DisabledError('search backend unavailable: Qdrant not reachable', { cause: redactError(error) })
 * ```
 */
export function redactError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 4) return error
  const cause: unknown = 'cause' in error ? error.cause : undefined
  const safeCause = redactError(cause, depth + 1)
  const message = redactText(error.message)
  if (message === error.message && safeCause === cause) return error
  const copy = new Error(message, safeCause === undefined ? undefined : { cause: safeCause })
  copy.name = error.name
  return copy
}
