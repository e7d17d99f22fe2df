import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorMessage } from '../../errors.js'
import { serveApi } from './api.js'
import { serveBatch } from './batch.js'
import type { EmulatorContext } from './context.js'
import { serveConsent } from './oauth.js'
import { googleError, htmlResponse } from './responses.js'
import type { EmulatorResponse } from './responses.js'
import { serveToken } from './token.js'

/** Request bodies (token forms, batches of 100 GETs) are small; anything past this is refused with 413. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024

/** The token endpoint's path (Google's is `https://oauth2.googleapis.com/token`). */
export const TOKEN_PATH = '/token'
/** The consent page's path, as on `accounts.google.com`. */
export const AUTH_PATH = '/o/oauth2/v2/auth'
/** Gmail's batch path (`batchPath` of its discovery document). */
export const BATCH_PATH = '/batch/gmail/v1'

/** Reads the whole body, or `null` once it passes {@link MAX_REQUEST_BYTES}. */
async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_REQUEST_BYTES) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function flatHeaders(request: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value
  return headers
}

async function route(ctx: EmulatorContext, base: string, request: IncomingMessage): Promise<EmulatorResponse> {
  const body = await readBody(request)
  if (body === null) return googleError(413, 'Request entity too large.', 'uploadTooLarge', 'INVALID_ARGUMENT')
  const url = new URL(request.url ?? '/', base)
  const method = request.method ?? 'GET'
  const headers = flatHeaders(request)
  if (url.pathname === TOKEN_PATH) return serveToken(ctx, { method, contentType: headers['content-type'] ?? '', body })
  if (url.pathname === AUTH_PATH) return serveConsent(ctx, url)
  if (url.pathname === BATCH_PATH) return serveBatch(ctx, { method, headers, body })
  if (url.pathname.startsWith('/gmail/v1/')) return serveApi(ctx, { method, url, headers, inBatch: false })
  ctx.stats.request('unknown')
  return htmlResponse(404, 'Error 404 (Not Found)', `The requested URL ${url.pathname} was not found on this server.`)
}

function send(request: IncomingMessage, response: ServerResponse, answer: EmulatorResponse): void {
  const body = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body)
  response.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) })
  if (answer.reset !== true) {
    response.end(body)
    return
  }
  // An injected reset: the client gets the headers and half the body, then the connection dies.
  response.write(body.subarray(0, Math.floor(body.length / 2)), () => request.socket.destroy())
}

/** A listening server on 127.0.0.1 and a random port. */
export async function listenLocally(): Promise<{ readonly server: Server; readonly url: string }> {
  const server = createServer({ keepAlive: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}` }
}

/** Starts answering requests on `server` from `ctx`. */
export function attachHandler(server: Server, ctx: EmulatorContext, base: string): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    route(ctx, base, request)
      .then((answer) => {
        send(request, response, answer)
      })
      .catch((error: unknown) => {
        // A bug in the emulator must show up in the test, not hang it.
        const message = errorMessage(error)
        if (response.headersSent) request.socket.destroy()
        else send(request, response, googleError(500, `Emulator failure: ${message}`, 'backendError', 'INTERNAL'))
      })
  })
}

/** Stops listening and drops every open connection. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => {
    resolve()
  }))
  server.closeAllConnections()
  await closed
}
