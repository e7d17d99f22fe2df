/**
 * The hybrid backend: vector search (an OpenAI-compatible embeddings endpoint + Qdrant) fused
 * with a keyword backend by reciprocal rank fusion. Vector hits are checked against the SQL
 * tables (visible, inside the filter, and readable in full by the reader: a vector embeds the
 * whole email, body included) before they count, so Qdrant never decides what a user may see.
 *
 * Indexing into Qdrant is not built yet (TODO(#7): embed each email at capture and upsert it as
 * point `emails.id` of {@link QDRANT_COLLECTION}; delete the point on hide). Until then the
 * collection does not exist, Qdrant answers 404, and the hybrid answer is the keyword answer.
 */
import type { Kysely } from 'kysely'
import type { ModelEndpointConfig } from '../config/index.js'
import type { EmailDatabase } from '../db/database.js'
import { endpointRequest } from '../secrets/endpoint.js'
import { DisabledError } from '../errors.js'
import { redactError } from '../secrets/redact.js'
import { emailConditions } from '../mail/threads.js'
import { accessAtLeast } from '../sharing/access.js'
import type { SearchBackend, SearchHit } from './backend.js'
import { queryWords } from './text.js'

/** How long one call to the embeddings endpoint or Qdrant may take: a search box must answer. */
export const HYBRID_TIMEOUT_MS = 3_000
/** The RRF constant: the usual 60 keeps one list's top rank from drowning the other list. */
export const RRF_K = 60
/** The Qdrant collection of email vectors (point id = `emails.id`). */
export const QDRANT_COLLECTION = 'crm_emails'
/**
 * Vector candidates fetched per wanted hit: some fall away when checked against the filter and
 * hidden mail in SQL.
 */
const VECTOR_OVERSAMPLE = 3
/** The most vector candidates asked for, whatever the limit. */
const MAX_VECTOR_CANDIDATES = 300

/** What the hybrid backend needs. */
export interface HybridBackendOptions {
  readonly db: Kysely<EmailDatabase>
  /** The keyword backend whose results are fused with the vector ones. */
  readonly keyword: SearchBackend
  readonly embeddings: ModelEndpointConfig
  readonly qdrantUrl: string
  /** Per call; default {@link HYBRID_TIMEOUT_MS}. */
  readonly timeoutMs?: number
}

function unavailable(what: string, cause?: unknown): DisabledError {
  return new DisabledError(`search backend unavailable: ${what}`, { code: 'backend_unavailable', cause })
}

/**
 * POSTs JSON to `path` under the configured `base` URL; `null` on 404; a `backend_unavailable`
 * error when unreachable, slow or failing. Credentials in the URL are sent as a header and
 * never reach an error or its cause.
 */
async function postJson(service: string, base: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const target = endpointRequest(base, path)
  let response: Response
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'not reachable'
    throw unavailable(`${service} ${reason}`, redactError(error))
  }
  if (response.status === 404) {
    await response.body?.cancel()
    return null
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw unavailable(`${service} answered ${response.status}`)
  }
  try {
    return await response.json()
  } catch (error) {
    throw unavailable(`${service} answered malformed JSON`, redactError(error))
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `data[0].embedding` of an OpenAI-compatible embeddings answer. */
function embeddingOf(answer: unknown): number[] {
  const first: unknown = isRecord(answer) && Array.isArray(answer.data) ? answer.data[0] : undefined
  const vector: unknown = isRecord(first) ? first.embedding : undefined
  if (!Array.isArray(vector) || vector.length === 0 || !vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw unavailable('the embeddings endpoint answered without an embedding')
  }
  return vector as number[]
}

/** The email ids of a Qdrant search answer, best first. */
function pointIdsOf(answer: unknown): number[] {
  const result: unknown = isRecord(answer) ? answer.result : undefined
  if (!Array.isArray(result)) throw unavailable('Qdrant answered without results')
  return result.flatMap((point: unknown) => {
    const id = isRecord(point) ? point.id : undefined
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? [id] : []
  })
}

/**
 * Builds the hybrid backend. Its searches throw `DisabledError` with code
 * `backend_unavailable` (503) when the embeddings endpoint or Qdrant cannot be reached.
 *
 * @example
 * ```ts
 * const hybrid = createHybridBackend({ db, keyword: createFts5Backend(db), embeddings, qdrantUrl })
 * ```
 */
export function createHybridBackend(options: HybridBackendOptions): SearchBackend {
  const { db, keyword, embeddings } = options
  const timeoutMs = options.timeoutMs ?? HYBRID_TIMEOUT_MS
  const { qdrantUrl } = options

  /** Email ids nearest to the text, best first; `[]` while the collection does not exist. */
  const vectorIds = async (text: string, limit: number): Promise<number[]> => {
    const vector = embeddingOf(
      await postJson('the embeddings endpoint', embeddings.url, '/embeddings', { model: embeddings.model, input: text }, timeoutMs),
    )
    const answer = await postJson(
      'Qdrant',
      qdrantUrl,
      `/collections/${QDRANT_COLLECTION}/points/search`,
      { vector, limit: Math.min(limit * VECTOR_OVERSAMPLE, MAX_VECTOR_CANDIDATES), with_payload: false },
      timeoutMs,
    )
    return answer === null ? [] : pointIdsOf(answer)
  }

  return {
    name: 'hybrid',
    async search(query) {
      if (queryWords(query.text).length === 0) return []
      const condition = emailConditions(query.filter)
      if (condition === null) return []
      const [keywordHits, candidates] = await Promise.all([keyword.search(query), vectorIds(query.text, query.limit)])
      // Only candidates the SQL tables call visible, inside the filter and readable in full take
      // part: a vector near the query may be near because of the body.
      const allowed =
        candidates.length === 0
          ? []
          : await db
              .selectFrom('emails')
              .select(['id', 'snippet'])
              .where('id', 'in', candidates)
              .where(condition)
              .where((eb) => accessAtLeast(eb, query.scope, 'everything'))
              .execute()
      const snippets = new Map(allowed.map((a) => [a.id, a.snippet]))
      const vectorRanked = candidates.filter((id) => snippets.has(id))

      const fused = new Map<number, { score: number; highlight: string }>()
      const add = (id: number, rank: number, highlight: string) => {
        const entry = fused.get(id) ?? { score: 0, highlight }
        entry.score += 1 / (RRF_K + rank + 1)
        fused.set(id, entry)
      }
      keywordHits.forEach((hit, rank) => {
        add(hit.emailId, rank, hit.highlight)
      })
      // A hit only the vectors found has no matched words to mark: its snippet stands in.
      vectorRanked.forEach((id, rank) => {
        add(id, rank, snippets.get(id) ?? '')
      })
      return [...fused.entries()]
        .map(([emailId, f]): SearchHit => ({ emailId, score: f.score, highlight: f.highlight }))
        .sort((a, b) => b.score - a.score || b.emailId - a.emailId)
        .slice(0, query.limit)
    },
  }
}
