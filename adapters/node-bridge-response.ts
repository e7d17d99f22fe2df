/**
 * The response half of the Node bridge: a WHATWG Response written to a Node `ServerResponse`,
 * streamed with backpressure.
 */
import type { ServerResponse } from 'node:http'
import { UNSUPPORTED_METHODS } from './node-bridge-request.js'

/** Resolves `true` when the response can take more, `false` when the connection closed. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => () => {
      res.off('drain', onDrain)
      res.off('close', onClose)
      resolve(value)
    }
    const onDrain = done(true)
    const onClose = done(false)
    res.on('drain', onDrain)
    res.on('close', onClose)
  })
}

/**
 * Writes a WHATWG Response to a Node response: status, headers (each `Set-Cookie` apart) and
 * the body, streamed chunk by chunk with backpressure, so a large attachment is never held in
 * memory. When the client goes away the body is cancelled (its file closed) and the promise
 * resolves. When the body fails midway the connection is destroyed, so a truncated file never
 * looks complete, and the promise rejects; before anything was sent, the headers it set are
 * removed and it rejects, leaving the answer to the caller.
 *
 * @example
 * ```ts
 * const response = await email.tryHandle(toWebRequest(req))
 * if (response) await sendWebResponse(res, response)
 * ```
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  if (response.statusText !== '') res.statusMessage = response.statusText
  const names = new Set<string>()
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue
    res.setHeader(name, value)
    names.add(name)
  }
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) {
    res.setHeader('set-cookie', cookies)
    names.add('set-cookie')
  }
  const body = response.body
  if (body === null || res.req.method === 'HEAD' || res.destroyed) {
    await body?.cancel()
    if (!res.destroyed) res.end()
    return
  }
  const reader = body.getReader()
  const closed = new Promise<'closed'>((resolve) => {
    res.once('close', () => {
      resolve('closed')
    })
  })
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), closed])
      if (next === 'closed') break
      if (next.done) {
        res.end()
        return
      }
      if (!res.write(next.value) && !(await drained(res))) break
    }
    // The client went away: close the source (an attachment's file) and stop.
    await reader.cancel()
  } catch (error) {
    if (res.headersSent) res.destroy()
    else for (const name of names) res.removeHeader(name)
    throw error
  }
}

/** The answer to a method a WHATWG Request cannot carry, in the core's error shape. */
function methodNotAllowed(method: string): Response {
  return Response.json(
    { error: { code: 'method_not_allowed', message: `${method} is not supported` } },
    { status: 405, headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } },
  )
}

/**
 * The answer for a request the core cannot be asked (CONNECT, TRACE, TRACK), or `null`.
 *
 * @example
 * ```ts
 * const refused = refusedMethod(req.method)
 * if (refused) return reply.send(refused)
 * ```
 */
export function refusedMethod(method: string | undefined): Response | null {
  const upper = (method ?? 'GET').toUpperCase()
  return UNSUPPORTED_METHODS.has(upper) ? methodNotAllowed(upper) : null
}
