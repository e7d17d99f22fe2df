/**
 * `crm-email-integration/node`: the library's routes on a plain `node:http` server (or any
 * framework that hands out Node's request and response).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkedHandler, handleNodeRequest, parsedBodyOf, type EmailHttpHandler } from './node-bridge.js'

export { ownsRequest, refusedMethod, sendWebResponse, toWebRequest } from './node-bridge.js'
export type { EmailHttpHandler, ToWebRequestOptions } from './node-bridge.js'

/** How {@link createNodeHandler} reads requests. */
export interface NodeHandlerOptions {
  /** The app's public origin; see `ToWebRequestOptions.baseUrl`. */
  readonly baseUrl?: string | URL
  /** Believe `X-Forwarded-Proto` / `X-Forwarded-Host`: only behind a proxy that sets them. */
  readonly trustProxy?: boolean
  /**
   * Told about an unexpected failure (a stored file that cannot be read midway, say); the
   * handler still resolves `true`, having answered 500 or closed the connection.
   */
  readonly onError?: (error: unknown) => void
}

/** Answers the library's routes; resolves `false` for any other path (the host answers it). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>

/** The answer when something unexpected failed before a byte was sent. */
function internalError(res: ServerResponse): void {
  res.statusCode = 500
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.end(JSON.stringify({ error: { code: 'internal', message: 'Internal error' } }))
}

/**
 * Makes a request handler for a `node:http` server. It reads nothing from a request outside
 * `/api/email/*` and `/api/admin/digest/*` and resolves `false`, so the host routes it; its own
 * requests it answers and resolves `true`. It never rejects: an unexpected failure answers 500
 * (or closes the connection if the answer had begun) and goes to `onError`. A body that a
 * framework already parsed onto `req.body` is used when the stream was consumed.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createNodeHandler } from 'crm-email-integration/node'
 *
 * const handleEmail = createNodeHandler(email)
 * createServer(async (req, res) => {
 *   if (await handleEmail(req, res)) return
 *   res.statusCode = 404
 *   res.end('not found')
 * }).listen(3000)
 * ```
 */
export function createNodeHandler(email: EmailHttpHandler, options: NodeHandlerOptions = {}): NodeHandler {
  checkedHandler(email, 'createNodeHandler: email')
  const { onError, ...read } = options
  return async (req, res) => {
    try {
      return await handleNodeRequest(email, req, res, { ...read, ...parsedBodyOf(req) })
    } catch (error) {
      onError?.(error)
      if (!res.headersSent && !res.destroyed) internalError(res)
      else res.destroy()
      return true
    }
  }
}
