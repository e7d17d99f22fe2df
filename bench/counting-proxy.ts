/**
 * A pass-through HTTP proxy in front of the Gmail emulator that counts the response bytes each
 * client receives. The library and the naive sync both reach Gmail through one, so their bytes
 * are measured the same way, on the wire, whatever HTTP client each uses.
 */
import { Agent, createServer, request as forward } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running proxy. */
export interface CountingProxy {
  /** Base URL to use instead of the target's. */
  readonly url: string
  /** Response body bytes received so far (every answer, errors included). */
  bytes(): number
  /** HTTP requests forwarded so far (a batch counts once). */
  requests(): number
  close(): Promise<void>
}

/**
 * Starts a proxy on 127.0.0.1 and a random port that forwards everything to `target`; with
 * `trace` (`BENCH_TRACE=1`) it writes each request's start and duration in seconds, status,
 * method and path to stderr, to see where a sync's wall time goes.
 *
 * @example
 * ```ts
 * const proxy = await startCountingProxy(emu.url)
 * // point the client at proxy.url; read proxy.bytes() and proxy.requests() after
 * ```
 */
export async function startCountingProxy(target: string, trace = process.env.BENCH_TRACE === '1'): Promise<CountingProxy> {
  const upstream = new URL(target)
  // Without keep-alive every call would pay a TCP handshake the real client does not.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let bytes = 0
  let requests = 0

  const relay = (request: IncomingMessage, response: ServerResponse): void => {
    requests += 1
    const started = performance.now()
    if (trace) response.once('finish', () => {
      process.stderr.write(`[trace] ${(started / 1000).toFixed(3)} ${((performance.now() - started) / 1000).toFixed(3)} ${response.statusCode} ${request.method ?? ''} ${decodeURIComponent(request.url ?? '').slice(0, 200)}\n`)
    })
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.on('data', (chunk: Buffer) => {
          bytes += chunk.length
        })
        answer.pipe(response)
        // The emulator's injected resets cut an answer short: pass the cut on to the client.
        answer.on('aborted', () => response.destroy())
        answer.on('error', () => response.destroy())
      },
    )
    outgoing.on('error', () => response.destroy())
    request.pipe(outgoing)
  }

  const server = createServer({ keepAlive: true }, relay)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: () => bytes,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        agent.destroy()
        server.close(() => {
          resolve()
        })
      }),
  }
}
