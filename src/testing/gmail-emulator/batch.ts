import { randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { injectedFailure, serveApi } from './api.js'
import type { EmulatorContext } from './context.js'
import { withRolledReset } from './faults.js'
import { parseRawHeaders, parseStructured, splitHeaders } from './mime-headers.js'
import { splitMultipart } from './mime.js'
import { googleError, jsonResponse, notFound } from './responses.js'
import type { EmulatorResponse } from './responses.js'

/** Gmail's documented limit: "You're limited to 100 calls in a single batch request." */
export const MAX_BATCH_PARTS = 100

/** A request received by the batch endpoint. */
export interface BatchRequest {
  readonly method: string
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Buffer
}

interface InnerRequest {
  readonly method: string
  readonly url: URL
  readonly headers: Record<string, string>
}

/** Gmail's batch errors carry a message and status but no `errors` array. */
function batchError(message: string): EmulatorResponse {
  return jsonResponse(400, { error: { code: 400, message, status: 'INVALID_ARGUMENT' } })
}

/** Parses the `application/http` body of a part: request line, headers, optional body. */
function parseInner(http: string): InnerRequest | null {
  const text = http.replace(/^(\r?\n)+/, '')
  const lineEnd = text.search(/\r?\n|$/)
  const requestLine = /^([A-Z]+) (\S+)(?: HTTP\/\d(?:\.\d)?)?\s*$/.exec(text.slice(0, lineEnd))
  if (requestLine === null) return null
  const rest = text.slice(lineEnd).replace(/^\r?\n/, '')
  const { header } = splitHeaders(rest)
  const headers: Record<string, string> = {}
  for (const h of parseRawHeaders(header)) headers[h.name.toLowerCase()] = h.value
  // Part targets are paths ("GET /gmail/v1/...") or, from some clients, absolute URLs.
  const url = URL.canParse(requestLine[2] ?? '', 'http://gmail.emulator') ? new URL(requestLine[2] ?? '', 'http://gmail.emulator') : null
  return url === null ? null : { method: requestLine[1] ?? 'GET', url, headers }
}

function capitalize(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
}

/** One part of the answer: the part's own MIME headers, then the inner HTTP response. */
function responsePart(boundary: string, contentId: string | null, response: EmulatorResponse): Buffer {
  const body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body)
  const inner = Object.entries({ ...response.headers, 'content-length': String(body.length) })
    .map(([name, value]) => `${capitalize(name)}: ${value}\r\n`).join('')
  const id = contentId === null ? '' : `Content-ID: <response-${contentId}>\r\n`
  const head = `--${boundary}\r\nContent-Type: application/http\r\n${id}\r\n` +
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n${inner}\r\n`
  return Buffer.concat([Buffer.from(head), body, Buffer.from('\r\n')])
}

/** `<item1>` -> `item1`; an id without brackets is taken as it is. */
function contentIdOf(value: string | undefined): string | null {
  if (value === undefined) return null
  const trimmed = value.trim()
  return trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1) : trimmed
}

async function answerPart(ctx: EmulatorContext, outer: BatchRequest, part: string): Promise<{ id: string | null; response: EmulatorResponse }> {
  const { header, bodyStart } = splitHeaders(part)
  const partHeaders = parseRawHeaders(header)
  const id = contentIdOf(partHeaders.find((h) => h.name.toLowerCase() === 'content-id')?.value)
  const inner = parseInner(part.slice(bodyStart))
  if (inner === null) return { id, response: batchError('Failed to parse the HTTP request of a batch part.') }
  if (!inner.url.pathname.startsWith('/gmail/v1/')) return { id, response: notFound() }
  // A part without its own Authorization header uses the batch request's.
  const headers = { ...inner.headers }
  if (headers.authorization === undefined && outer.headers.authorization !== undefined) headers.authorization = outer.headers.authorization
  const response = await serveApi(ctx, { method: inner.method, url: inner.url, headers, inBatch: true })
  return { id, response }
}

async function answerBatch(ctx: EmulatorContext, request: BatchRequest): Promise<EmulatorResponse> {
  if (request.method !== 'POST') return googleError(405, 'The batch endpoint only accepts POST.', 'httpMethodNotAllowed', 'INVALID_ARGUMENT')
  const fault = ctx.faults.roll('batch', 'POST /batch/gmail/v1', true)
  const injected = await injectedFailure(ctx, fault)
  if (injected !== null) return injected
  const type = parseStructured(request.headers['content-type'] ?? '')
  const boundary = type.params.get('boundary')
  if (type.value !== 'multipart/mixed' || boundary === undefined || boundary === '') {
    return batchError('Failed to parse batch request, error: the Content-Type must be multipart/mixed with a boundary.')
  }
  const parts = splitMultipart(request.body.toString('latin1'), boundary) ?? []
  if (parts.length === 0) return batchError('Failed to parse batch request, error: the batch has no parts.')
  if (parts.length > MAX_BATCH_PARTS) {
    return batchError(`Inner request count exceeds the limit. Received: ${parts.length}, Limit: ${MAX_BATCH_PARTS}`)
  }
  // Parts run one after another, so a batch holds at most one in-flight slot of a user at a time.
  const answers: { id: string | null; response: EmulatorResponse }[] = []
  for (const part of parts) answers.push(await answerPart(ctx, request, part))
  const responseBoundary = `batch_${randomBytes(12).toString('base64url')}`
  const body = Buffer.concat([...answers.map((a) => responsePart(responseBoundary, a.id, a.response)),
    Buffer.from(`--${responseBoundary}--\r\n`)])
  const response: EmulatorResponse = {
    status: 200,
    headers: { 'content-type': `multipart/mixed; boundary=${responseBoundary}`, vary: 'Origin, X-Origin, Referer' },
    body,
  }
  return withRolledReset(ctx.stats, fault, response)
}

/**
 * `POST /batch/gmail/v1`: Google's multipart/mixed batch. Each part is an `application/http`
 * request served as if it came alone (its own authorization, quota charge and faults); the
 * answer is multipart/mixed with its own boundary and `Content-ID: <response-ID>` per part.
 */
export async function serveBatch(ctx: EmulatorContext, request: BatchRequest): Promise<EmulatorResponse> {
  return ctx.stats.counted('batch', () => answerBatch(ctx, request))
}
