/**
 * A stand-in for Qdrant, for tests and the demo: a real HTTP server on 127.0.0.1 answering the
 * REST calls the library's Qdrant store makes, in Qdrant's documented shapes (`{ result,
 * status: 'ok', time }`; a missing collection is 404 `{ status: { error } }`), with exact cosine
 * search and Qdrant's filter semantics (`must`, `should`, `must_not`, `match` by `value` or
 * `any`, `range`, nested filters; a condition on an array holds when any element does).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { closeStandin, releaseHanging } from './standin-server.js'

/** One stored point. */
export interface QdrantStandinPoint {
  readonly id: number
  readonly vector: readonly number[]
  readonly payload: Readonly<Record<string, unknown>>
}

/** Options of {@link startQdrantStandin}. */
export interface QdrantStandinOptions {
  /** When set, every request must carry it in the `api-key` header (else 401). */
  readonly apiKey?: string
}

/** A running stand-in. */
export interface QdrantStandin {
  /** The URL to configure (`http://127.0.0.1:<port>`). */
  readonly url: string
  /** Every request as `METHOD /path` (query string left out), in order. */
  readonly requests: string[]
  /** The points of a collection, by id order; empty when it does not exist. */
  points(collection: string): QdrantStandinPoint[]
  /** Whether a collection exists. */
  hasCollection(collection: string): boolean
  /** `true` answers 503 to everything, `'slow'` never answers (until closed), `false` is back up. */
  setDown(down: boolean | 'slow'): void
  close(): Promise<void>
}

interface Collection {
  readonly size: number
  readonly points: Map<number, QdrantStandinPoint>
  readonly indexes: Map<string, string>
}

type Json = Record<string, unknown>
/** That a request was answered. */
type Answered = true

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Whether a payload value (or, for an array, one of its elements) satisfies `test`. */
function anyValue(value: unknown, test: (v: unknown) => boolean): boolean {
  return Array.isArray(value) ? value.some(test) : value !== undefined && value !== null && test(value)
}

function holds(condition: unknown, payload: Json): boolean {
  if (!isObject(condition)) return false
  if (!('key' in condition)) return matches(condition, payload)
  const value = payload[String(condition.key)]
  const match = condition.match
  if (isObject(match)) {
    if ('value' in match) return anyValue(value, (v) => v === match.value)
    if (Array.isArray(match.any)) {
      const any = match.any as unknown[]
      return anyValue(value, (v) => any.includes(v))
    }
    return false
  }
  const range = condition.range
  if (isObject(range)) {
    return anyValue(value, (v) => {
      if (typeof v !== 'number') return false
      const bound = (name: string) => (typeof range[name] === 'number' ? (range[name]) : null)
      const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')]
      return (gt === null || v > gt) && (gte === null || v >= gte) && (lt === null || v < lt) && (lte === null || v <= lte)
    })
  }
  return false
}

/** Qdrant's filter: every `must`, at least one `should` (when any are given), no `must_not`. */
function matches(filter: unknown, payload: Json): boolean {
  if (filter === undefined || filter === null) return true
  if (!isObject(filter)) return false
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v])
  const should = list(filter.should)
  return (
    list(filter.must).every((c) => holds(c, payload)) &&
    (should.length === 0 || should.some((c) => holds(c, payload))) &&
    !list(filter.must_not).some((c) => holds(c, payload))
  )
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

function selectPayload(payload: Json, wanted: unknown): Json | null {
  if (wanted === true) return payload
  if (Array.isArray(wanted)) return Object.fromEntries(Object.entries(payload).filter(([k]) => wanted.includes(k)))
  return null
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const parts: Buffer[] = []
  for await (const part of req) parts.push(part as Buffer)
  if (parts.length === 0) return {}
  const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'))
  return isObject(parsed) ? parsed : {}
}

/**
 * Starts the stand-in on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const qdrant = await startQdrantStandin()
 * const store = createQdrantStore(qdrant.url)
 * await qdrant.close()
 * ```
 */
export async function startQdrantStandin(options: QdrantStandinOptions = {}): Promise<QdrantStandin> {
  const collections = new Map<string, Collection>()
  const requests: string[] = []
  let down: boolean | 'slow' = false
  const hanging = new Set<ServerResponse>()
  const started = process.hrtime.bigint()

  // Each returns that it answered, so a route reads `return ok(...)`.
  const ok = (res: ServerResponse, result: unknown): Answered => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ result, status: 'ok', time: Number(process.hrtime.bigint() - started) / 1e9 }))
    return true
  }
  const fail = (res: ServerResponse, status: number, error: string): Answered => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ status: { error }, time: 0 }))
    return true
  }

  function route(method: string, path: string, body: Json, res: ServerResponse): Answered {
    const parts = path.split('/').filter((p) => p !== '')
    if (parts[0] !== 'collections' || parts[1] === undefined) return fail(res, 404, `Not found: ${path}`)
    const name = decodeURIComponent(parts[1])
    const rest = parts.slice(2).join('/')
    const found = collections.get(name)
    if (rest === '' && method === 'PUT') {
      if (found !== undefined) return fail(res, 409, `Wrong input: Collection \`${name}\` already exists!`)
      const vectors = body.vectors
      const size = isObject(vectors) ? vectors.size : undefined
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) return fail(res, 400, 'Wrong input: vectors.size')
      collections.set(name, { size, points: new Map(), indexes: new Map() })
      return ok(res, true)
    }
    if (found === undefined) return fail(res, 404, `Not found: Collection \`${name}\` doesn't exist!`)
    if (rest === '' && method === 'GET') {
      const schema = Object.fromEntries([...found.indexes].map(([field, type]) => [field, { data_type: type, points: found.points.size }]))
      return ok(res, { status: 'green', points_count: found.points.size, config: { params: { vectors: { size: found.size, distance: 'Cosine' } } }, payload_schema: schema })
    }
    if (rest === '' && method === 'DELETE') {
      collections.delete(name)
      return ok(res, true)
    }
    const update = { operation_id: requests.length, status: 'completed' }
    const selected = (): QdrantStandinPoint[] => {
      if (Array.isArray(body.points)) return (body.points as unknown[]).flatMap((id) => found.points.get(Number(id)) ?? [])
      return [...found.points.values()].filter((p) => matches(body.filter, p.payload))
    }
    if (rest === 'index' && method === 'PUT') {
      found.indexes.set(String(body.field_name), String(body.field_schema))
      return ok(res, update)
    }
    if (rest === 'points' && method === 'PUT') {
      const points = Array.isArray(body.points) ? (body.points as Json[]) : []
      for (const p of points) {
        const vector = p.vector
        if (!Array.isArray(vector) || vector.length !== found.size) {
          return fail(res, 400, `Wrong input: Vector dimension error: expected dim: ${found.size}, got ${Array.isArray(vector) ? vector.length : 0}`)
        }
        if (typeof p.id !== 'number' || !Number.isSafeInteger(p.id) || p.id < 0) return fail(res, 400, 'Wrong input: point id')
      }
      for (const p of points) found.points.set(p.id as number, { id: p.id as number, vector: p.vector as number[], payload: isObject(p.payload) ? p.payload : {} })
      return ok(res, update)
    }
    if (rest === 'points/delete' && method === 'POST') {
      for (const p of selected()) found.points.delete(p.id)
      return ok(res, update)
    }
    if (rest === 'points/payload' && method === 'POST') {
      const payload = isObject(body.payload) ? body.payload : {}
      for (const p of selected()) found.points.set(p.id, { ...p, payload: { ...p.payload, ...payload } })
      return ok(res, update)
    }
    if (rest === 'points/search' && method === 'POST') {
      const vector = Array.isArray(body.vector) ? (body.vector as number[]) : []
      if (vector.length !== found.size) return fail(res, 400, `Wrong input: Vector dimension error: expected dim: ${found.size}, got ${vector.length}`)
      const limit = typeof body.limit === 'number' ? body.limit : 10
      const offset = typeof body.offset === 'number' ? body.offset : 0
      const scored = [...found.points.values()]
        .filter((p) => matches(body.filter, p.payload))
        .map((p) => ({ id: p.id, version: 0, score: cosine(vector, p.vector), payload: selectPayload(p.payload, body.with_payload) }))
        .sort((a, b) => b.score - a.score || a.id - b.id)
      return ok(res, scored.slice(offset, offset + limit))
    }
    if (rest === 'points/scroll' && method === 'POST') {
      const limit = typeof body.limit === 'number' ? body.limit : 10
      const from = typeof body.offset === 'number' ? body.offset : -1
      const all = [...found.points.values()].filter((p) => p.id >= from && matches(body.filter, p.payload)).sort((a, b) => a.id - b.id)
      const page = all.slice(0, limit).map((p) => ({ id: p.id, payload: selectPayload(p.payload, body.with_payload ?? true) }))
      return ok(res, { points: page, next_page_offset: all[limit]?.id ?? null })
    }
    return fail(res, 404, `Not found: ${method} ${path}`)
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const method = req.method ?? 'GET'
    requests.push(`${method} ${path}`)
    readJson(req)
      .then((body) => {
        if (down === 'slow') hanging.add(res)
        else if (down) fail(res, 503, 'Service unavailable')
        else if (options.apiKey !== undefined && req.headers['api-key'] !== options.apiKey) fail(res, 401, 'Must provide an API key or an Authorization bearer token')
        else route(method, path, body, res)
      })
      .catch(() => {
        fail(res, 400, 'Format error in JSON body')
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    points: (collection) => [...(collections.get(collection)?.points.values() ?? [])].sort((a, b) => a.id - b.id),
    hasCollection: (collection) => collections.has(collection),
    setDown(next) {
      down = next
      if (next !== 'slow') {
        releaseHanging(hanging)
      }
    },
    close: () => closeStandin(server, hanging),
  }
}
