/**
 * The embeddings client: an OpenAI-compatible endpoint (`POST {url}/embeddings` with
 * `{ model, input }`, answered by `{ data: [{ index, embedding }] }`). The indexer embeds many
 * chunks at a time and can wait; a search embeds one query and cannot, so the caller picks the
 * retries per call. Credentials in the configured URL travel as a header (`endpointRequest`)
 * and never reach an error.
 */
import type { ModelEndpointConfig } from '../config/index.js'
import { DisabledError } from '../errors.js'
import { endpointRequest } from '../secrets/endpoint.js'
import { redactError } from '../secrets/redact.js'
import type { EmbeddingsClient } from './types.js'
import { timerSleep } from '../gmail/quota.js'

/** Texts per request: large enough to amortise a round trip, small enough for any server's limits. */
export const EMBEDDINGS_BATCH_SIZE = 64
/** How long one request may take while indexing: a local model embeds a full batch in seconds. */
export const EMBEDDINGS_TIMEOUT_MS = 30_000
/** Tries after the first: a busy or restarting endpoint recovers within a few backoffs. */
export const EMBEDDINGS_RETRIES = 4
/** The first backoff; each next one doubles, with jitter so parallel indexers spread out. */
export const EMBEDDINGS_BACKOFF_MS = 500
/** The longest `Retry-After` honoured: a server asking for more is treated as asking for this. */
export const MAX_RETRY_AFTER_MS = 30_000
/**
 * The longest text sent, in characters: models take a few thousand tokens at most, and the
 * chunker keeps chunks well below this anyway; a longer one would be refused whole.
 */
export const MAX_EMBEDDING_INPUT_CHARS = 8_000
/** The largest answer read: 64 vectors of 4,096 numbers written as JSON stay far below. */
const MAX_ANSWER_CHARS = 64 * 1024 * 1024

/** Options of {@link createEmbeddingsClient}. */
export interface EmbeddingsClientOptions {
  /** Texts per request; default {@link EMBEDDINGS_BATCH_SIZE}. */
  readonly batchSize?: number
  /** Milliseconds one request may take; default {@link EMBEDDINGS_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** Tries after the first, unless a call says otherwise; default {@link EMBEDDINGS_RETRIES}. */
  readonly retries?: number
  /** The first backoff in milliseconds; default {@link EMBEDDINGS_BACKOFF_MS}. */
  readonly backoffMs?: number
}

/** A failed attempt: whether trying again may help, and how long the server asked us to wait. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly waitMs: number | null = null,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause })
  }
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`Expected \`${name}\` to be an integer >= ${min}, got ${String(value)}`)
  return value
}

/** `Retry-After` as milliseconds (seconds or an HTTP date), bounded; `null` when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null || header.trim() === '') return null
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  if (Number.isNaN(ms)) return null
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS)
}

/** A text cut to {@link MAX_EMBEDDING_INPUT_CHARS}, never through a surrogate pair. */
function capped(text: string): string {
  if (text.length <= MAX_EMBEDDING_INPUT_CHARS) return text
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_EMBEDDING_INPUT_CHARS - 1)) ? MAX_EMBEDDING_INPUT_CHARS - 1 : MAX_EMBEDDING_INPUT_CHARS
  return text.slice(0, end)
}

/** The vector L2-normalized as float32; `null` when it is not an array of finite numbers with some length. */
function normalized(value: unknown): Float32Array | null {
  if (!Array.isArray(value) || value.length === 0) return null
  const out = new Float32Array(value.length)
  let sum = 0
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i]
    if (typeof x !== 'number' || !Number.isFinite(x)) return null
    out[i] = x
    sum += x * x
  }
  // A zero vector has no direction: no similarity can be computed from it.
  if (sum === 0) return null
  const norm = Math.sqrt(sum)
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / norm
  return out
}

/** The batch's vectors in input order, or an error naming what is wrong with the answer. */
function readAnswer(body: unknown, count: number): Float32Array[] {
  const data = (body as { data?: unknown } | null)?.data
  if (!Array.isArray(data)) throw new AttemptError('the embeddings endpoint answered without a data list', false)
  if (data.length !== count) throw new AttemptError(`the embeddings endpoint answered ${data.length} vectors for ${count} texts`, false)
  const vectors = new Array<Float32Array | undefined>(count)
  for (const [position, item] of (data as unknown[]).entries()) {
    const record = item as { index?: unknown; embedding?: unknown } | null
    // Servers that leave `index` out answer in input order.
    const index = record?.index ?? position
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || vectors[index] !== undefined) {
      throw new AttemptError('the embeddings endpoint answered a missing, repeated or out-of-range index', false)
    }
    const vector = normalized(record?.embedding)
    if (vector === null) throw new AttemptError('the embeddings endpoint answered an embedding that is not a non-zero list of finite numbers', false)
    vectors[index] = vector
  }
  return vectors as Float32Array[]
}


function unavailable(message: string, cause?: unknown): DisabledError {
  return new DisabledError(`search backend unavailable: ${message}`, { code: 'backend_unavailable', cause: redactError(cause) })
}

/**
 * The embeddings client of an OpenAI-compatible endpoint. Each call batches its texts, retries
 * 429 (after `Retry-After` when given), 5xx, network errors and timeouts with exponential
 * backoff and jitter, and never retries another 4xx or a malformed answer (neither changes by
 * asking again). Vectors come back L2-normalized, so a dot product is their cosine similarity.
 *
 * @example
 * ```ts
 * const embeddings = createEmbeddingsClient({ url: 'http://127.0.0.1:8080/v1', model: 'bge-small' })
 * const [query] = await embeddings.embed(['capital call notice'], { retries: 0 })
 * ```
 */
export function createEmbeddingsClient(config: ModelEndpointConfig, options: EmbeddingsClientOptions = {}): EmbeddingsClient {
  const batchSize = positiveInteger('batchSize', options.batchSize ?? EMBEDDINGS_BATCH_SIZE, 1)
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? EMBEDDINGS_TIMEOUT_MS, 1)
  const defaultRetries = positiveInteger('retries', options.retries ?? EMBEDDINGS_RETRIES, 0)
  const backoffMs = positiveInteger('backoffMs', options.backoffMs ?? EMBEDDINGS_BACKOFF_MS, 0)

  async function attempt(input: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const target = endpointRequest(config.url, '/embeddings')
    const timeout = AbortSignal.timeout(timeoutMs)
    let response: Response
    try {
      response = await fetch(target.url, {
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ model: config.model, input }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      })
    } catch (error) {
      if (signal?.aborted === true) throw error
      const timedOut = timeout.aborted
      throw new AttemptError(timedOut ? `the embeddings endpoint did not answer within ${timeoutMs} ms` : 'the embeddings endpoint is not reachable', true, null, error)
    }
    if (!response.ok) {
      await response.body?.cancel()
      const retryable = response.status === 429 || response.status >= 500
      const wait = response.status === 429 ? retryAfterMs(response.headers.get('retry-after')) : null
      throw new AttemptError(`the embeddings endpoint answered ${response.status}`, retryable, wait)
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      if (signal?.aborted === true) throw error
      throw new AttemptError('the embeddings endpoint broke off its answer', true, null, error)
    }
    if (text.length > MAX_ANSWER_CHARS) throw new AttemptError('the embeddings endpoint answered too much data', false)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (error) {
      throw new AttemptError('the embeddings endpoint answered something other than JSON', false, null, error)
    }
    return readAnswer(body, input.length)
  }

  async function embedBatch(input: readonly string[], retries: number, signal: AbortSignal | undefined): Promise<Float32Array[]> {
    for (let tried = 0; ; tried++) {
      try {
        return await attempt(input, signal)
      } catch (error) {
        if (signal?.aborted === true) throw unavailable('the embeddings request was cancelled', error)
        if (!(error instanceof AttemptError)) throw unavailable('the embeddings endpoint failed', error)
        if (!error.retryable || tried >= retries) {
          const suffix = error.retryable && tried > 0 ? ` (after ${tried + 1} tries)` : ''
          throw unavailable(`${error.message}${suffix}`, error.cause)
        }
        const exponential = backoffMs * 2 ** tried
        const wait = error.waitMs ?? exponential / 2 + Math.random() * (exponential / 2)
        try {
          await timerSleep(wait, signal)
        } catch (abort) {
          throw unavailable('the embeddings request was cancelled', abort)
        }
      }
    }
  }

  return {
    model: config.model,
    async embed(texts, callOptions = {}) {
      const retries = positiveInteger('retries', callOptions.retries ?? defaultRetries, 0)
      const out: Float32Array[] = []
      let dimension: number | null = null
      for (let start = 0; start < texts.length; start += batchSize) {
        const vectors = await embedBatch(texts.slice(start, start + batchSize).map(capped), retries, callOptions.signal)
        for (const vector of vectors) {
          dimension ??= vector.length
          if (vector.length !== dimension) {
            throw unavailable(`the embeddings endpoint answered vectors of ${dimension} and ${vector.length} dimensions`)
          }
          out.push(vector)
        }
      }
      return out
    },
  }
}
