/**
 * A stand-in for an OpenAI-compatible embeddings endpoint, for tests, the demo and the bench:
 * a real HTTP server on 127.0.0.1 answering `POST /v1/embeddings` in OpenAI's shape, with
 * deterministic vectors that put texts sharing words near each other (a hashed bag of words),
 * so semantic search can be tested without a model. It can be switched down, slow, malformed
 * or rate-limited to test how the library copes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { closeStandin, releaseHanging } from './standin-server.js'

/** How each word lands in the vector: this many hashed dimensions, each +1 or -1. */
const DIMENSIONS_PER_WORD = 3
/** The largest request body read: 64 chunks of 8,000 characters, with room to spare. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

/** What the stand-in does with the next requests: answer, or fail one of these ways. */
export type EmbeddingsStandinFault = boolean | 'slow' | 'malformed' | 429

/** Options of {@link startEmbeddingsStandin}. */
export interface EmbeddingsStandinOptions {
  /** Values per vector; default 64. */
  readonly dimension?: number
}

/** A running stand-in. */
export interface EmbeddingsStandin {
  /** The base URL to configure (`http://127.0.0.1:<port>/v1`). */
  readonly url: string
  /** Requests answered or refused so far. */
  readonly calls: number
  /** Texts embedded so far (in successful answers). */
  readonly inputs: number
  /** The `authorization` header of the last request, if any. */
  readonly lastAuthorization: string | null
  /**
   * Fails requests: `true` answers 503, `'slow'` never answers (until closed), `'malformed'`
   * answers 200 without vectors, `429` answers 429 with `Retry-After: 1`; `false` is back up.
   * With `times`, only the next `times` requests fail, then it is up again.
   */
  setDown(down: EmbeddingsStandinFault, times?: number): void
  close(): Promise<void>
}

/** FNV-1a of a string: cheap, stable across runs and platforms. */
function fnv1a(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * The stand-in's vector of a text: each lower-cased word adds +1 or -1 to a few hashed
 * dimensions. Not normalized: the client normalizes, as it must for any real model.
 *
 * @example
 * ```ts
 * standinVector('Capital call notice', 64).length  // 64
 * ```
 */
export function standinVector(text: string, dimension: number): number[] {
  const vector: number[] = Array.from({ length: dimension }, () => 0)
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  for (const word of words) {
    for (let k = 0; k < DIMENSIONS_PER_WORD; k++) {
      const hash = fnv1a(word, k)
      const at = hash % dimension
      vector[at] = (vector[at] ?? 0) + (((hash >>> 16) & 1) === 1 ? 1 : -1)
    }
  }
  // A text without words still needs a direction; all of them share this one.
  if (!vector.some((x) => x !== 0)) vector[0] = 1
  return vector
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (part: Buffer) => {
      size += part.length
      if (size <= MAX_BODY_BYTES) parts.push(part)
    })
    req.on('end', () => {
      resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(parts).toString('utf8'))
    })
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/**
 * Starts the stand-in on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const standin = await startEmbeddingsStandin({ dimension: 64 })
 * const email = createEmailIntegration({ db, directory, config: { embeddings: { url: standin.url, model: 'standin' } } })
 * await standin.close()
 * ```
 */
export async function startEmbeddingsStandin(options: EmbeddingsStandinOptions = {}): Promise<EmbeddingsStandin> {
  const dimension = options.dimension ?? 64
  if (!Number.isInteger(dimension) || dimension < 1) throw new TypeError(`Expected \`dimension\` to be a positive integer, got ${String(dimension)}`)
  let fault: EmbeddingsStandinFault = false
  let faultsLeft = Infinity
  let calls = 0
  let inputs = 0
  let lastAuthorization: string | null = null
  const hanging = new Set<ServerResponse>()

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    calls++
    lastAuthorization = req.headers.authorization ?? null
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/embeddings') {
      send(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } })
      return
    }
    const current = faultsLeft > 0 ? fault : false
    if (current !== false) {
      faultsLeft--
      if (faultsLeft <= 0) fault = false
    }
    if (current === 'slow') {
      hanging.add(res)
      return
    }
    if (current === true) send(res, 503, { error: { message: 'unavailable', type: 'server_error' } })
    else if (current === 429) send(res, 429, { error: { message: 'rate limited', type: 'rate_limit_error' } }, { 'retry-after': '1' })
    else if (current === 'malformed') send(res, 200, { object: 'list', data: 'no vectors today' })
    if (current !== false) return
    let request: { model?: unknown; input?: unknown }
    try {
      request = body === null ? {} : (JSON.parse(body) as { model?: unknown; input?: unknown })
    } catch {
      request = {}
    }
    const input = typeof request.input === 'string' ? [request.input] : request.input
    if (typeof request.model !== 'string' || !Array.isArray(input) || input.some((t) => typeof t !== 'string' || t === '')) {
      send(res, 400, { error: { message: 'expected { model, input: non-empty string[] }', type: 'invalid_request_error' } })
      return
    }
    inputs += input.length
    // Reversed on purpose: clients must order by `index`, which the API does not promise to follow.
    const data = (input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: standinVector(text, dimension) })).reverse()
    send(res, 200, { object: 'list', data, model: request.model, usage: { prompt_tokens: 0, total_tokens: 0 } })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: { message: 'stand-in failed' } })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return calls
    },
    get inputs() {
      return inputs
    },
    get lastAuthorization() {
      return lastAuthorization
    },
    setDown(down, times) {
      fault = down
      faultsLeft = times ?? Infinity
      if (down !== 'slow') {
        releaseHanging(hanging)
      }
    },
    close: () => closeStandin(server, hanging),
  }
}
