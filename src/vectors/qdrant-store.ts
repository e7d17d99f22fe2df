/**
 * The Qdrant vector store, over Qdrant's documented REST API: one collection (`crm_emails` by
 * default) of cosine vectors, one point per chunk (id `emailId * MAX_CHUNKS_PER_EMAIL + chunk`),
 * with a payload Qdrant filters on before ranking (identities, date, sharing, mailboxes). The
 * payload is a prefilter: every match is still checked against the SQL tables.
 *
 * The URL may carry the API key as its userinfo (`https://:key@qdrant.example`, or `key@`): it is
 * sent as Qdrant's `api-key` header and never appears in an error.
 */
import { DisabledError } from '../errors.js'
import { endpointRequest } from '../secrets/endpoint.js'
import { redactError } from '../secrets/redact.js'
import { MAX_CHUNKS_PER_EMAIL, type VectorFilter, type VectorMatch, type VectorPayload, type VectorStore } from './types.js'

/** The default collection. */
export const QDRANT_COLLECTION = 'crm_emails'
/** How long one call may take; the indexer retries on its next run, a search degrades. */
export const QDRANT_TIMEOUT_MS = 10_000
/** Points per upsert: a few hundred vectors keep a request within Qdrant's default body limit. */
const UPSERT_POINTS = 256
/** Points read per scroll page. */
const SCROLL_POINTS = 1_000
/** Chunks asked for per wanted email at first: an email's chunks collapse to one match. */
const OVERSAMPLE = 4
/** The first page of chunks is at most this large; each next one twice the last. */
const FIRST_PAGE_MAX = 400
const PAGE_MAX = 1_600
/** How far down Qdrant's ranking a search walks before answering what it has. */
const MAX_RANKED_CHUNKS = 10_000

/** Payload fields Qdrant indexes, with their schema: the ones a search filters on. */
const PAYLOAD_INDEXES = { email_id: 'integer', identities: 'keyword', date: 'integer', shared_in_full: 'bool', mailboxes: 'integer' } as const

/** Options of {@link createQdrantStore}. */
export interface QdrantStoreOptions {
  /** The collection; default {@link QDRANT_COLLECTION}. */
  readonly collection?: string
  /** Milliseconds per call; default {@link QDRANT_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** Qdrant's API key; default: the URL's userinfo (its password, else its user name). */
  readonly apiKey?: string
}

interface Answer {
  readonly status: number
  readonly result: unknown
}

interface ScoredPoint {
  readonly score: number
  readonly payload: { email_id?: unknown; chunk?: unknown; attachment_id?: unknown } | null
}

type Condition = Readonly<Record<string, unknown>>

function unavailable(message: string, cause?: unknown): DisabledError {
  return new DisabledError(`search backend unavailable: Qdrant ${message}`, { code: 'backend_unavailable', cause: redactError(cause) })
}

function payloadOf(payload: VectorPayload): Record<string, unknown> {
  return { identities: payload.identities, date: payload.date, shared_in_full: payload.sharedInFull, mailboxes: payload.mailboxes }
}

function emailsFilter(emailIds: readonly number[]): { must: Condition[] } {
  return { must: [{ key: 'email_id', match: { any: emailIds } }] }
}

/** The prefilter of a search: identity and dates must hold; shared in full, or held by the viewer. */
function searchFilter(filter: VectorFilter): { must: Condition[] } {
  const must: Condition[] = []
  if (filter.identity !== undefined) must.push({ key: 'identities', match: { value: filter.identity } })
  if (filter.fromDate !== undefined || filter.toDate !== undefined) {
    must.push({ key: 'date', range: { ...(filter.fromDate === undefined ? {} : { gte: filter.fromDate }), ...(filter.toDate === undefined ? {} : { lt: filter.toDate }) } })
  }
  const should: Condition[] = [{ key: 'shared_in_full', match: { value: true } }]
  if (filter.viewerAccountIds !== null && filter.viewerAccountIds.length > 0) should.push({ key: 'mailboxes', match: { any: filter.viewerAccountIds } })
  must.push({ should })
  return { must }
}

/**
 * The Qdrant store at `url`.
 *
 * @example
 * ```ts
 * const store = createQdrantStore('http://127.0.0.1:6333', { collection: 'crm_emails' })
 * const { reset } = await store.prepare(384)
 * ```
 */
export function createQdrantStore(url: string, options: QdrantStoreOptions = {}): VectorStore {
  const collection = options.collection ?? QDRANT_COLLECTION
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(collection)) throw new TypeError(`Expected \`collection\` to be letters, digits, _ or -, got ${JSON.stringify(collection)}`)
  const timeoutMs = options.timeoutMs ?? QDRANT_TIMEOUT_MS
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError(`Expected \`timeoutMs\` to be a positive integer, got ${String(timeoutMs)}`)
  const parsed = new URL(url)
  const fromUrl = decodeURIComponent(parsed.password !== '' ? parsed.password : parsed.username)
  const apiKey = options.apiKey ?? (fromUrl === '' ? null : fromUrl)
  const base = `/collections/${collection}`

  /** One call; 404 is answered (a missing collection is news, not a failure), any other failure throws. */
  async function call(method: string, pathAndQuery: string, body?: unknown): Promise<Answer> {
    const [path = '', query] = pathAndQuery.split('?')
    const target = endpointRequest(url, path)
    const address = new URL(target.url)
    // The query goes after the path (endpointRequest keeps the configured URL's own query).
    for (const [name, value] of new URLSearchParams(query)) address.searchParams.set(name, value)
    // Qdrant reads its key from `api-key`, not from Basic authentication.
    const headers: Record<string, string> = apiKey === null ? { ...target.headers } : { 'api-key': apiKey }
    let response: Response
    try {
      response = await fetch(address, {
        method,
        headers: { ...headers, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError'
      throw unavailable(timedOut ? `did not answer within ${timeoutMs} ms` : 'is not reachable', error)
    }
    let answer: unknown
    try {
      answer = await response.json()
    } catch (error) {
      if (response.ok) throw unavailable(`answered ${method} ${path} with something other than JSON`, error)
      answer = null
    }
    if (response.ok || response.status === 404) return { status: response.status, result: (answer as { result?: unknown } | null)?.result }
    const reason = (answer as { status?: { error?: unknown } } | null)?.status?.error
    const detail = typeof reason === 'string' ? `: ${reason.slice(0, 200)}` : ''
    throw unavailable(`answered ${response.status} to ${method} ${path}${detail}`)
  }

  async function create(dimension: number): Promise<void> {
    const created = await call('PUT', base, { vectors: { size: dimension, distance: 'Cosine' } })
    if (created.status === 404) throw unavailable(`refused to create the collection ${collection}`)
  }

  async function ensureIndexes(existing: Readonly<Record<string, unknown>>): Promise<void> {
    for (const [field, schema] of Object.entries(PAYLOAD_INDEXES)) {
      if (field in existing) continue
      await call('PUT', `${base}/index?wait=true`, { field_name: field, field_schema: schema })
    }
  }

  async function deletePoints(emailIds: readonly number[]): Promise<void> {
    if (emailIds.length === 0) return
    const deleted = await call('POST', `${base}/points/delete?wait=true`, { filter: emailsFilter(emailIds) })
    if (deleted.status === 404) throw unavailable(`has no collection ${collection}: the index must be prepared first`)
  }

  async function search(vector: Float32Array, limit: number, filter: VectorFilter): Promise<VectorMatch[]> {
    if (limit < 1) return []
    const seen = new Set<number>()
    const out: VectorMatch[] = []
    let offset = 0
    let page = Math.min(limit * OVERSAMPLE, FIRST_PAGE_MAX)
    while (offset < MAX_RANKED_CHUNKS) {
      const answer = await call('POST', `${base}/points/search`, {
        vector: Array.from(vector),
        limit: page,
        offset,
        filter: searchFilter(filter),
        with_payload: ['email_id', 'chunk', 'attachment_id'],
        with_vector: false,
      })
      if (answer.status === 404) return []
      const points = Array.isArray(answer.result) ? (answer.result as ScoredPoint[]) : []
      const candidates: VectorMatch[] = []
      for (const p of points) {
        const emailId = p.payload?.email_id
        if (typeof emailId !== 'number' || seen.has(emailId)) continue
        seen.add(emailId)
        const attachment = p.payload?.attachment_id
        candidates.push({ emailId, chunk: Number(p.payload?.chunk ?? 0), attachmentId: typeof attachment === 'number' ? attachment : null, score: p.score })
      }
      if (candidates.length > 0) {
        const passed = await filter.check(candidates.map((c) => c.emailId))
        for (const c of candidates) {
          if (!passed.has(c.emailId)) continue
          out.push(c)
          if (out.length >= limit) return out
        }
      }
      if (points.length < page) return out
      offset += page
      page = Math.min(page * 2, PAGE_MAX)
    }
    return out
  }

  return {
    name: 'qdrant',
    key: `qdrant:${collection}`,

    async prepare(dimension) {
      if (!Number.isInteger(dimension) || dimension < 1) throw new TypeError(`Expected \`dimension\` to be a positive integer, got ${String(dimension)}`)
      const found = await call('GET', base)
      const info = found.result as { config?: { params?: { vectors?: { size?: unknown } } }; payload_schema?: Record<string, unknown> } | undefined
      if (found.status === 200 && info?.config?.params?.vectors?.size === dimension) {
        await ensureIndexes(info.payload_schema ?? {})
        return { reset: false }
      }
      // Missing, or made for another dimension (or another vector layout): made again, empty.
      if (found.status === 200) await call('DELETE', base)
      await create(dimension)
      await ensureIndexes({})
      return { reset: true }
    },

    async replace(emailIds, points) {
      await deletePoints([...new Set([...emailIds, ...points.map((p) => p.emailId)])])
      for (let start = 0; start < points.length; start += UPSERT_POINTS) {
        const batch = points.slice(start, start + UPSERT_POINTS).map((p) => {
          if (!Number.isInteger(p.chunk) || p.chunk < 0 || p.chunk >= MAX_CHUNKS_PER_EMAIL) throw new RangeError(`chunk ${p.chunk} of email ${p.emailId} is outside 0..${MAX_CHUNKS_PER_EMAIL - 1}`)
          return {
            id: p.emailId * MAX_CHUNKS_PER_EMAIL + p.chunk,
            vector: Array.from(p.vector),
            payload: { email_id: p.emailId, chunk: p.chunk, attachment_id: p.attachmentId, ...payloadOf(p.payload) },
          }
        })
        const upserted = await call('PUT', `${base}/points?wait=true`, { points: batch })
        if (upserted.status === 404) throw unavailable(`has no collection ${collection}: the index must be prepared first`)
      }
    },

    remove: deletePoints,

    async setPayload(emailId, payload) {
      const set = await call('POST', `${base}/points/payload?wait=true`, { payload: payloadOf(payload), filter: emailsFilter([emailId]) })
      if (set.status === 404) throw unavailable(`has no collection ${collection}: the index must be prepared first`)
    },

    search,

    async countByEmail() {
      const counts = new Map<number, number>()
      let offset: unknown = null
      do {
        const answer = await call('POST', `${base}/points/scroll`, { limit: SCROLL_POINTS, with_payload: ['email_id'], with_vector: false, ...(offset === null ? {} : { offset }) })
        if (answer.status === 404) return counts
        const result = answer.result as { points?: { payload?: { email_id?: unknown } | null }[]; next_page_offset?: unknown } | undefined
        for (const p of result?.points ?? []) {
          const id = p.payload?.email_id
          if (typeof id === 'number') counts.set(id, (counts.get(id) ?? 0) + 1)
        }
        offset = result?.next_page_offset ?? null
      } while (offset !== null)
      return counts
    },
  }
}
