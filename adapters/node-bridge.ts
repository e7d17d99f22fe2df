/**
 * The one translation between Node's `http` objects and the WHATWG Request / Response the core
 * speaks (request and response halves in the sibling files). The Express, Fastify and
 * plain-Node adapters are thin glue over it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ownsRequest, toWebRequest, type ToWebRequestOptions } from './node-bridge-request.js'
import { refusedMethod, sendWebResponse } from './node-bridge-response.js'

export { ownsRequest, parsedBodyOf, toWebRequest, type ToWebRequestOptions } from './node-bridge-request.js'
export { refusedMethod, sendWebResponse } from './node-bridge-response.js'

/** What the adapters need from an integration: any `EmailIntegration` fits. */
export interface EmailHttpHandler {
  /** Answers the library's routes, or `null` for a path it does not own. */
  tryHandle(request: Request): Promise<Response | null>
}

/**
 * The integration an adapter was given, checked once when it is mounted: a JavaScript host that
 * passes something else learns it then, not as a 500 on the first request.
 *
 * @example
 * ```ts
 * const integration = checkedHandler(options.integration, 'emailIntegrationPlugin: options.integration')
 * ```
 */
export function checkedHandler(value: unknown, name: string): EmailHttpHandler {
  const tryHandle = (value as { tryHandle?: unknown } | null | undefined)?.tryHandle
  if (typeof tryHandle !== 'function') throw new TypeError(`${name}: expected the object createEmailIntegration() returned`)
  return value as EmailHttpHandler
}

/**
 * Runs one Node request through `tryHandle`: `false` when the path is not the library's (the
 * request untouched), otherwise `true` once the answer was written. `request.signal` aborts
 * when the client goes away. Rejects only for unexpected failures (see {@link sendWebResponse}).
 *
 * @example
 * ```ts
 * if (!(await handleNodeRequest(email, req, res))) hostRoutes(req, res)
 * ```
 */
export async function handleNodeRequest(
  handler: EmailHttpHandler,
  req: IncomingMessage,
  res: ServerResponse,
  options: ToWebRequestOptions = {},
): Promise<boolean> {
  if (!ownsRequest(req, options.target)) return false
  const refused = refusedMethod(req.method)
  if (refused !== null) {
    await sendWebResponse(res, refused)
    return true
  }
  const controller = new AbortController()
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('the client closed the connection'))
  }
  res.once('close', onClose)
  try {
    const response = await handler.tryHandle(toWebRequest(req, { ...options, signal: controller.signal }))
    if (response === null) return false
    await sendWebResponse(res, response)
    return true
  } finally {
    res.off('close', onClose)
  }
}
