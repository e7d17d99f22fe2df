import { errorMessage, isEmailIntegrationError, ValidationError } from '../errors.js'
import type { Logger } from '../hooks.js'

/** The largest JSON body a route reads: every route's body is a few fields. */
export const MAX_JSON_BODY_BYTES = 64 * 1024

/** Headers every answer carries: JSON answers are never cached or sniffed. */
const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }

/**
 * A JSON answer.
 *
 * @example
 * ```ts
 * return json(200, { items })
 * ```
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...BASE_HEADERS, ...headers },
  })
}

/**
 * The answer for an error: the taxonomy's code, status and message for the library's own
 * errors; a bare 500 for anything else (logged, never shown: no stack, SQL or secret leaves).
 */
export function errorResponse(error: unknown, logger: Required<Logger>): Response {
  if (isEmailIntegrationError(error)) {
    // A disabled integration answers 503 to every request by design: nothing to log.
    if (error.status >= 500 && error.code !== 'integration_disabled') logger.error({ code: error.code, message: error.message }, 'email route failed')
    return json(error.status, { error: { code: error.code, message: error.message } })
  }
  logger.error({ error: errorMessage(error) }, 'email route failed unexpectedly')
  return json(500, { error: { code: 'internal', message: 'Internal error' } })
}

/**
 * Reads a JSON object body. An empty body is `{}`; anything that is not a JSON object, or is
 * larger than {@link MAX_JSON_BODY_BYTES}, is a `ValidationError` (400).
 */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const length = Number(request.headers.get('content-length') ?? '0')
  if (length > MAX_JSON_BODY_BYTES) throw new ValidationError(`body: larger than ${MAX_JSON_BODY_BYTES} bytes`)
  const text = await readLimited(request, MAX_JSON_BODY_BYTES)
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ValidationError('body: malformed JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('body: expected a JSON object')
  return value as Record<string, unknown>
}

/** Reads a body as UTF-8, refusing it as soon as it passes `limit` bytes (a chunked body has no length to check first). */
async function readLimited(request: Request, limit: number): Promise<string> {
  if (request.body === null) return ''
  const reader = (request.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw new ValidationError(`body: larger than ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
