/**
 * Builds Gmail batch requests (`POST /batch/gmail/v1`) in the wire format Google documents:
 * a `multipart/mixed` body whose parts are `application/http` requests, each named by a
 * `Content-ID` that the answer echoes as `<response-...>`.
 */
import { randomBytes } from 'node:crypto'
import { ValidationError } from '../errors.js'

/**
 * Most calls in one batch request. Gmail accepts 100 but recommends at most 50: its parts run
 * concurrently, and larger batches trip the per-user rate and concurrency limits.
 */
export const MAX_BATCH_PARTS = 50

/** One call inside a batch request. */
export interface BatchPartRequest {
  /** Names the part; the answer's part carries `Content-ID: <response-{contentId}>`. */
  readonly contentId: string
  readonly method: 'GET'
  /** The path and query from the host on, e.g. `/gmail/v1/users/me/messages/abc?format=raw`. */
  readonly path: string
}

/** A batch request body, ready to send. */
export interface BatchRequestBody {
  readonly boundary: string
  /** The request's `Content-Type`, naming the boundary. */
  readonly contentType: string
  readonly body: string
}

/**
 * A boundary that cannot occur in the parts: random, and RFC 2046-safe (letters, digits, `_`).
 *
 * @example
 * ```ts
 * randomBoundary() // 'batch_3f9c1e0a7b2d4c5e8f6a1b2c'
 * ```
 */
export function randomBoundary(): string {
  return `batch_${randomBytes(12).toString('hex')}`
}

/**
 * A fresh Content-ID prefix, so that parts of different batches never share an id.
 *
 * @example
 * ```ts
 * const tag = batchTag()
 * const ids = chunk.map((_, i) => `${tag}+${i}`)
 * ```
 */
export function batchTag(): string {
  return `item-${randomBytes(6).toString('hex')}`
}

const CONTENT_ID_CHARS = /^[\w.+@:-]+$/

/**
 * Builds the `multipart/mixed` body of a batch request. Lines end in CRLF as MIME requires;
 * the part requests carry no Authorization header, because the outer request's applies to every
 * part.
 *
 * @throws {@link ValidationError} for an empty or oversized batch, or a Content-ID or path that
 *   would break the framing.
 *
 * @example
 * ```ts
 * const { contentType, body } = buildBatchRequest([
 *   { contentId: 'item-1', method: 'GET', path: '/gmail/v1/users/me/messages/abc?format=metadata' },
 * ])
 * await fetch(`${baseUrl}/batch/gmail/v1`, { method: 'POST', headers: { 'Content-Type': contentType }, body })
 * ```
 */
export function buildBatchRequest(parts: readonly BatchPartRequest[], boundary: string = randomBoundary()): BatchRequestBody {
  if (parts.length === 0 || parts.length > MAX_BATCH_PARTS) {
    throw new ValidationError(`batch: expected 1 to ${MAX_BATCH_PARTS} calls, got ${parts.length}`)
  }
  const lines: string[] = []
  for (const part of parts) {
    if (!CONTENT_ID_CHARS.test(part.contentId)) {
      throw new ValidationError(`batch: Content-ID ${JSON.stringify(part.contentId)} has characters that break the framing`)
    }
    if (!part.path.startsWith('/') || /[\s]/.test(part.path)) {
      throw new ValidationError(`batch: path ${JSON.stringify(part.path)} must start with "/" and hold no whitespace`)
    }
    lines.push(
      `--${boundary}`,
      'Content-Type: application/http',
      `Content-ID: <${part.contentId}>`,
      '',
      `${part.method} ${part.path}`,
      '',
    )
  }
  lines.push(`--${boundary}--`, '')
  return {
    boundary,
    contentType: `multipart/mixed; boundary=${boundary}`,
    body: lines.join('\r\n'),
  }
}
