/**
 * `crm-email-integration/express`: the library's routes as Express middleware. Structural
 * types only, so neither `express` nor `@types/express` is needed to compile against it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkedHandler, handleNodeRequest, ownsRequest, parsedBodyOf, type EmailHttpHandler, type ToWebRequestOptions } from './node-bridge.js'

export type { EmailHttpHandler } from './node-bridge.js'

/** The parts of Express's request the middleware reads (Express 4 and 5 alike). */
export interface ExpressLikeRequest extends IncomingMessage {
  /** What a body parser left (`express.json()`); read only once the stream was consumed. */
  body?: unknown
  /** The URL before mount paths were stripped. */
  originalUrl?: string
  /** The application, whose `trust proxy` setting says whether `X-Forwarded-*` may be believed. */
  app?: { get(setting: string): unknown }
}

/** Express's `next`. */
export type ExpressNext = (error?: unknown) => void

/** An Express middleware. */
export type ExpressMiddleware = (req: ExpressLikeRequest, res: ServerResponse, next: ExpressNext) => void

/** An Express error middleware (four parameters: Express tells them apart by arity). */
export type ExpressErrorMiddleware = (error: unknown, req: ExpressLikeRequest, res: ServerResponse, next: ExpressNext) => void

/** body-parser's error for a body that is not valid JSON, with the text it could not parse. */
function unparsedJson(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null
  const { type, body } = error as { type?: unknown; body?: unknown }
  return type === 'entity.parse.failed' && typeof body === 'string' ? body : null
}

/** Express's `trust proxy` setting, compiled: whether to believe the proxy at `address`. */
type TrustProxy = (address: string | undefined, hop: number) => unknown

/**
 * Whether the app's `trust proxy` setting trusts the peer of this request, asked as Express
 * asks it for `req.protocol` and `req.hostname`. The compiled setting is used rather than
 * `req.host`, which keeps the port only from Express 5 on (Express 4 gives the bare hostname).
 */
function trustsProxy(req: ExpressLikeRequest): boolean {
  const trust = req.app?.get('trust proxy fn')
  return typeof trust === 'function' && (trust as TrustProxy)(req.socket.remoteAddress, 0) === true
}

/** What the request says about itself, as Express sees it (which honours `trust proxy`). */
function readOptions(req: ExpressLikeRequest): ToWebRequestOptions {
  const options: { target?: string; trustProxy: boolean } = { trustProxy: trustsProxy(req) }
  if (req.originalUrl !== undefined) options.target = req.originalUrl
  return options
}

/**
 * The library's routes as Express middleware (Express 4 or 5): mount it with `app.use(...)` at the
 * root, before or after `express.json()`. Requests outside `/api/email/*` and
 * `/api/admin/digest/*` go straight to `next()` with their body unread. On its own routes it reads
 * the body from the stream, or, when a parser already consumed it, from `req.body`. A body
 * `express.json()` could not parse reaches the library, which answers its usual 400 (the array's
 * second member is the error middleware that catches it); the host parser's other refusals (size
 * limit, charset) stay the host's. Only unexpected failures go to `next(err)`.
 *
 * Under a mount path (`app.use('/crm', ...)`) it still answers only `/api/...` from the root of
 * the URL, as the client sent it.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { emailIntegrationMiddleware } from 'crm-email-integration/express'
 *
 * const app = express()
 * app.use(express.json())                     // optional, before or after
 * app.use(emailIntegrationMiddleware(email))
 * app.get('/health', (req, res) => res.json({ ok: true }))
 * ```
 */
export function emailIntegrationMiddleware(email: EmailHttpHandler): [ExpressMiddleware, ExpressErrorMiddleware] {
  checkedHandler(email, 'emailIntegrationMiddleware: email')
  const run = (req: ExpressLikeRequest, res: ServerResponse, next: ExpressNext, body: { body?: unknown }, pass: () => void) => {
    handleNodeRequest(email, req, res, { ...readOptions(req), ...body }).then((handled) => {
      if (!handled) pass()
    }, next)
  }
  const middleware: ExpressMiddleware = (req, res, next) => {
    run(req, res, next, parsedBodyOf(req), () => {
      next()
    })
  }
  const onParserError: ExpressErrorMiddleware = (error, req, res, next) => {
    const text = unparsedJson(error)
    if (text === null || !ownsRequest(req, req.originalUrl)) next(error)
    else
      run(req, res, next, { body: text }, () => {
        next(error)
      })
  }
  return [middleware, onParserError]
}
