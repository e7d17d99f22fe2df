/**
 * A small scripted HTTP server on 127.0.0.1 for Gmail client tests: every request is recorded
 * and answered by the test's handler, which can also reset the connection or never answer.
 * It knows nothing of Gmail beyond the wire formats Google documents (helpers below), so the
 * client is tested against Google's formats, not against the library's own emulator.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string
  /** Path and query, e.g. `/gmail/v1/users/ann%40fund.example/messages?maxResults=2`. */
  readonly url: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** How to answer one request. */
export type Reply =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: unknown; readonly delayMs?: number }
  | { readonly reset: true }
  | { readonly hang: true }

/** Decides the answer to a request; `index` counts from 0 over the server's life. */
export type Handler = (request: RecordedRequest, index: number) => Reply | Promise<Reply>

/** A running scripted server. */
export interface ScriptedServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  /** Most requests being handled at once so far. */
  readonly maxConcurrent: number
  close(): Promise<void>
}

function send(res: ServerResponse, reply: Extract<Reply, { status: number }>): void {
  const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
  const isJson = reply.body !== undefined && typeof reply.body !== 'string'
  res.writeHead(reply.status, { ...(isJson ? { 'Content-Type': 'application/json; charset=UTF-8' } : {}), ...reply.headers })
  res.end(body)
}

/**
 * Starts a scripted server.
 *
 * @example
 * ```ts
 * const server = await startScriptedServer(() => ({ status: 200, body: { emailAddress: 'a@b.example', historyId: '1' } }))
 * ```
 */
export async function startScriptedServer(handler: Handler): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  let concurrent = 0
  let maxConcurrent = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      const index = requests.push(recorded) - 1
      concurrent++
      maxConcurrent = Math.max(maxConcurrent, concurrent)
      res.on('close', () => concurrent--)
      void (async () => {
        const reply = await handler(recorded, index)
        if ('reset' in reply) {
          req.socket.destroy()
          return
        }
        if ('hang' in reply) return
        if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
        send(res, reply)
      })().catch((error: unknown) => {
        res.writeHead(599).end(String(error))
      })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return maxConcurrent
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => {
          resolve()
        })
      }),
  }
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
}

/**
 * Google's JSON error body, as Gmail sends it.
 *
 * @example
 * ```ts
 * googleError(404, 'notFound', 'Requested entity was not found.')
 * ```
 */
export function googleError(code: number, reason: string, message: string): { error: unknown } {
  return {
    error: {
      code,
      message,
      errors: [{ message, domain: code === 403 || code === 429 ? 'usageLimits' : 'global', reason }],
      status: STATUS_NAMES[code] ?? 'UNKNOWN',
    },
  }
}

/** A {@link Reply} carrying Google's error body. */
export function errorReply(code: number, reason: string, message: string, headers: Record<string, string> = {}): Reply {
  return { status: code, headers, body: googleError(code, reason, message) }
}

/** One call of a batch request, as read by {@link readBatchRequest}. */
export interface BatchCall {
  readonly contentId: string
  readonly partContentType: string
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
}

/**
 * Reads a batch request the way Google's front end would: boundary from the Content-Type,
 * parts of `application/http` with a Content-ID and a request line.
 */
export function readBatchRequest(request: RecordedRequest): BatchCall[] {
  const match = /boundary=("?)([^";]+)\1/.exec(request.headers['content-type'] ?? '')
  if (match?.[2] === undefined) throw new Error('no boundary in the batch request')
  const boundary = match[2]
  const sections = request.body.split(`--${boundary}`)
  const calls: BatchCall[] = []
  for (const section of sections.slice(1)) {
    if (section.startsWith('--')) break
    const [head = '', http = ''] = section.replace(/^\r\n/, '').split('\r\n\r\n')
    const headers = new Map(head.split('\r\n').map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const
    }))
    const [method = '', target = ''] = (http.split('\r\n')[0] ?? '').split(' ')
    const url = new URL(target, 'http://127.0.0.1')
    calls.push({
      contentId: (headers.get('content-id') ?? '').replace(/^<|>$/g, ''),
      partContentType: headers.get('content-type') ?? '',
      method,
      path: url.pathname,
      query: url.searchParams,
    })
  }
  return calls
}

/** One part of a batch answer. */
export interface BatchAnswerPart {
  /** The request's Content-ID (without `response-` or brackets). */
  readonly contentId: string
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * A batch answer in Google's documented format, with its own boundary (different from the
 * request's, as Gmail's is).
 */
export function batchReply(parts: readonly BatchAnswerPart[], boundary = 'batch_answer_Xy7-Z=_AA5eFwv4m2Q='): Reply {
  const lines: string[] = []
  for (const part of parts) {
    const body = typeof part.body === 'string' ? part.body : JSON.stringify(part.body, null, 2)
    lines.push(
      `--${boundary}`,
      'Content-Type: application/http',
      `Content-ID: <response-${part.contentId}>`,
      '',
      `HTTP/1.1 ${part.status} ${part.status === 200 ? 'OK' : 'Error'}`,
      'Content-Type: application/json; charset=UTF-8',
      ...Object.entries(part.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      'Vary: Origin',
      '',
      body,
    )
  }
  lines.push(`--${boundary}--`, '')
  return { status: 200, headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}` }, body: lines.join('\r\n') }
}
