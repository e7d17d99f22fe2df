/**
 * The request half of the Node bridge: a Node `IncomingMessage` as the WHATWG Request the core
 * reads, without reading a byte of a request that is not the library's.
 */
import type { IncomingMessage } from 'node:http'
import { OWNED_PREFIXES } from '../src/http/router.js'

/** How {@link toWebRequest} reads a Node request. */
export interface ToWebRequestOptions {
  /**
   * A body the host already read from the stream (`express.json()`'s `req.body`). A string or
   * bytes pass through as they are (with the request's `content-type`); anything else is
   * re-serialised as JSON (`content-type: application/json`). `undefined` means no body. When
   * the key is absent, the request stream itself becomes the body, read only if the core reads it.
   */
  readonly body?: unknown
  /**
   * The public origin of the app (`https://crm.example.com`); only its origin is used. When
   * given, the `Host` and `X-Forwarded-*` headers are ignored.
   */
  readonly baseUrl?: string | URL
  /**
   * Believe `X-Forwarded-Proto` and `X-Forwarded-Host` (their first value). Only behind a proxy
   * that sets them: otherwise any client can claim to be any host. Off by default; ignored
   * when `baseUrl` is given.
   */
  readonly trustProxy?: boolean
  /**
   * The request target (path and query) as the client sent it, when the host rewrote `req.url`
   * (Express under a mount path: `req.originalUrl`).
   */
  readonly target?: string
  /** Becomes `request.signal`; abort it when the client goes away. */
  readonly signal?: AbortSignal
}

/** Methods a WHATWG Request cannot carry; the adapters answer them 405 themselves. */
export const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/**
 * A host name with an optional port, or a bracketed IPv6 literal. Anything else in `Host` (a
 * path, credentials, spaces) is refused so that a client cannot steer the URL the core sees.
 */
const HOST_PATTERN = /^(?:[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i

/** Used when the request names no acceptable host (HTTP/1.0, or a `Host` we refused). */
const FALLBACK_HOST = 'localhost'

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header
  return value?.split(',')[0]?.trim()
}

function validHost(value: string | undefined): string | undefined {
  if (value === undefined || !HOST_PATTERN.test(value)) return undefined
  try {
    return new URL(`http://${value}`).host
  } catch {
    return undefined // a port out of range
  }
}

function originOf(req: IncomingMessage, options: ToWebRequestOptions): string {
  if (options.baseUrl !== undefined) return new URL(options.baseUrl).origin
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true
  let protocol = encrypted ? 'https' : 'http'
  let host = validHost(req.headers.host)
  if (options.trustProxy === true) {
    const proto = firstValue(req.headers['x-forwarded-proto'])?.toLowerCase()
    if (proto === 'http' || proto === 'https') protocol = proto
    host = validHost(firstValue(req.headers['x-forwarded-host'])) ?? host
  }
  return `${protocol}://${host ?? FALLBACK_HOST}`
}

/** The path and query of a request target; an absolute-form target keeps only those. */
function pathAndQuery(target: string): string {
  if (target.startsWith('/')) return target
  try {
    const url = new URL(target)
    return `${url.pathname}${url.search}`
  } catch {
    return '/'
  }
}

/**
 * The URL the core would see for a target. Concatenated onto a fixed origin rather than
 * resolved against it, so that `//evil.example/x` stays a path and never becomes a host.
 */
function urlOf(origin: string, target: string): URL | null {
  try {
    return new URL(`${origin}${pathAndQuery(target)}`)
  } catch {
    return null
  }
}

/**
 * Whether a request's path is under the library's prefixes (`/api/email/`, `/api/admin/digest/`),
 * judged as the core's router judges it. Adapters ask this before touching the request, so a
 * host route's body stream is never read.
 *
 * @example
 * ```ts
 * if (!ownsRequest(req)) return next()
 * ```
 */
export function ownsRequest(req: IncomingMessage, target: string = req.url ?? '/'): boolean {
  const url = urlOf(`http://${FALLBACK_HOST}`, target)
  if (url === null) return false
  const path = url.pathname.replace(/\/+$/, '') || '/'
  return OWNED_PREFIXES.some((prefix) => `${path}/`.startsWith(prefix))
}

/** Resolves with the next chunk of the request body, or `null` at its end. */
function nextChunk(req: IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      req.off('readable', attempt)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    function attempt() {
      const chunk = req.read() as Buffer | string | null
      if (chunk !== null) {
        cleanup()
        resolve(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      } else if (req.readableEnded) onEnd()
    }
    function onEnd() {
      cleanup()
      resolve(null)
    }
    function onError(error: Error) {
      cleanup()
      reject(error)
    }
    function onClose() {
      cleanup()
      if (req.readableEnded) resolve(null)
      else reject(new Error('the client closed the request before its body ended'))
    }
    if (req.readableEnded) {
      resolve(null)
      return
    }
    if (req.destroyed) {
      reject(new Error('the request was destroyed before its body was read'))
      return
    }
    req.on('readable', attempt)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
    attempt()
  })
}

/**
 * The request stream as a WHATWG stream that pulls from it only when read (a zero high-water
 * mark): building a Request consumes nothing, so a route that ignores the body leaves it alone.
 */
function lazyBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await nextChunk(req)
        if (chunk === null) controller.close()
        else controller.enqueue(chunk)
      },
      cancel() {
        // Discard the rest instead of destroying the request: the response is still to be sent
        // on this socket, and keep-alive needs the body drained.
        req.resume()
      },
    },
    { highWaterMark: 0 },
  )
}

/** A body the host already parsed, as bytes or text, with the content type it now has. */
function serialised(body: unknown): { data: Uint8Array | string; contentType: string | null } | null {
  if (body === undefined) return null
  if (typeof body === 'string' || body instanceof Uint8Array) return { data: body, contentType: null }
  return { data: JSON.stringify(body), contentType: 'application/json; charset=utf-8' }
}

/**
 * Builds the WHATWG Request the core reads from a Node request.
 *
 * The URL's origin comes from `baseUrl` when given; otherwise from the socket (TLS or not) and a
 * validated `Host` header (`localhost` when absent or malformed), and, only with `trustProxy`,
 * from the first `X-Forwarded-Proto` / `X-Forwarded-Host` values. The path and query are the
 * request's own. The body is the host's parsed `body` when given (re-serialised; stale
 * `content-length` and `content-encoding` dropped), else the request stream, read lazily.
 *
 * @throws TypeError for CONNECT, TRACE and TRACK, which a WHATWG Request cannot carry.
 *
 * @example
 * ```ts
 * import { toWebRequest, sendWebResponse } from 'crm-email-integration/node'
 *
 * const response = await email.tryHandle(toWebRequest(req, { body: req.body }))
 * if (response) await sendWebResponse(res, response)
 * ```
 */
export function toWebRequest(req: IncomingMessage, options: ToWebRequestOptions = {}): Request {
  const method = (req.method ?? 'GET').toUpperCase()
  if (UNSUPPORTED_METHODS.has(method)) throw new TypeError(`${method} requests cannot be translated to a WHATWG Request`)
  const url = urlOf(originOf(req, options), options.target ?? req.url ?? '/')
  if (url === null) throw new TypeError('the request target is not a valid URL path')
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? ''
    // HTTP/2 pseudo-headers (`:path`) are not header names.
    if (!name.startsWith(':')) headers.append(name, req.rawHeaders[i + 1] ?? '')
  }
  const init: RequestInit = { method, headers }
  if (options.signal !== undefined) init.signal = options.signal
  if (method !== 'GET' && method !== 'HEAD') {
    if ('body' in options) {
      const given = serialised(options.body)
      for (const name of ['content-length', 'content-encoding', 'transfer-encoding']) headers.delete(name)
      if (given !== null) {
        if (given.contentType !== null) headers.set('content-type', given.contentType)
        headers.set('content-length', String(Buffer.byteLength(given.data)))
        init.body = given.data
      }
    } else if (!req.readableEnded) {
      init.body = lazyBody(req)
      init.duplex = 'half'
    }
  }
  return new Request(url, init)
}

/**
 * What a host's body parser left on the request, for {@link ToWebRequestOptions.body}: `{}`
 * (use the stream) while the stream is unread, else `{ body }` with whatever the parser put on
 * `req.body`. body-parser 1 marks what it parsed with `req._body`; body-parser 2 (Express 5)
 * and others are seen through the ended stream.
 *
 * @example
 * ```ts
 * const request = toWebRequest(req, parsedBodyOf(req))
 * ```
 */
export function parsedBodyOf(req: IncomingMessage & { body?: unknown; _body?: unknown }): { body?: unknown } {
  return req._body === true || req.readableEnded ? { body: req.body } : {}
}
