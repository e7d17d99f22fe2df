/**
 * The embedded vector store: vectors in the host's own database (`email_vector_chunks`, SQLite
 * or PostgreSQL), searched exactly over a matrix held in memory.
 *
 * Why the host's database and no package: the vectors then live beside the mail, so an erasure
 * deletes them in its own transaction, a backup holds them, and there is no second file to
 * place, lock or lose. A SQLite vector extension (sqlite-vec) cannot be used: the library is
 * handed a Kysely instance, never the raw connection, and better-sqlite3 turns SQL
 * `load_extension` off; PostgreSQL's pgvector is an extension the host may not have. Approximate
 * indexes (hnswlib, usearch) keep their own file outside the host's transactions and need native
 * builds. Exact search over a Float32Array is measured by bench/vectors.ts (384 values per
 * vector): about 11 ms of CPU per search at 10,000 vectors, about 70 ms at 100,000, where
 * reading the matrix once costs about 1.4 s. That suits a team's mailboxes of some tens of
 * thousands of emails; past that, Qdrant is the configured answer.
 *
 * Keeping the matrix in step costs one query per search (`count(*)`, `max(id)`): rows added since
 * (by the indexer in any process) are read by id; rows removed by this process are dropped
 * locally; any other difference (an erasure, another process's replace) reads the table again.
 */
import type { Kysely } from 'kysely'
import { inChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { DisabledError } from '../errors.js'
import { VectorMatrix, vectorBytes, type MatrixRow } from './matrix.js'
import type { VectorFilter, VectorMatch, VectorStore } from './types.js'

/** Rows read per query when loading: bounds the memory of one result set. */
const LOAD_PAGE_ROWS = 4_096
/** Rows inserted per statement: 6 parameters each stays under every driver's limit. */
const INSERT_ROWS = 500
/** Emails checked at first; each next page is twice as large, so a narrow filter ends in a few queries. */
const FIRST_CHECK_PAGE = 200
/** The largest page of emails handed to the SQL check at once. */
const MAX_CHECK_PAGE = 6_400

/** Options of {@link createEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** The embedding model recorded with each row (`email_vector_chunks.model`); default `''`. */
  readonly model?: string
}

/** A store's state between searches: the matrix, once read, and the live rows the table had then. */
interface Loaded {
  matrix: VectorMatrix
  /** Rows of another dimension seen while reading (left out of the matrix, counted to stay in step). */
  foreign: number
}

function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value)
}

function unavailable(message: string, cause?: unknown): DisabledError {
  return new DisabledError(`search backend unavailable: the embedded vector store ${message}`, { code: 'backend_unavailable', cause })
}

/**
 * The embedded store over the integration's database. One instance per integration: it holds
 * the matrix, read on the first search and kept in step after.
 *
 * @example
 * ```ts
 * const store = createEmbeddedStore(db, { model: 'bge-small' })
 * await store.prepare(384)
 * await store.replace([42], points)
 * const matches = await store.search(query, 20, filter)
 * ```
 */
export function createEmbeddedStore(db: Kysely<EmailDatabase>, options: EmbeddedStoreOptions = {}): VectorStore {
  const model = options.model ?? ''
  let loaded: Loaded | null = null
  // One refresh at a time: two searches arriving together read the new rows once.
  let refreshing: Promise<Loaded | null> = Promise.resolve(null)

  async function readRows(afterId: number, into: VectorMatrix): Promise<number> {
    let foreign = 0
    for (let after = afterId; ; ) {
      const page = await db
        .selectFrom('email_vector_chunks')
        .select(['id', 'email_id', 'chunk', 'attachment_id', 'vector'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(LOAD_PAGE_ROWS)
        .execute()
      const rows: MatrixRow[] = page.map((r) => ({
        id: toNumber(r.id),
        emailId: toNumber(r.email_id),
        chunk: toNumber(r.chunk),
        attachmentId: r.attachment_id === null ? null : toNumber(r.attachment_id),
        bytes: r.vector,
      }))
      foreign += into.append(rows)
      if (page.length < LOAD_PAGE_ROWS) return foreign
      after = into.lastId
    }
  }

  async function storedDimension(): Promise<number | null> {
    const row = await db.selectFrom('email_vector_chunks').select('vector').orderBy('id', 'desc').limit(1).executeTakeFirst()
    return row === undefined ? null : row.vector.length / 4
  }

  async function reload(): Promise<Loaded | null> {
    const dimension = await storedDimension()
    if (dimension === null) return null
    const matrix = new VectorMatrix(dimension)
    const foreign = await readRows(0, matrix)
    return { matrix, foreign }
  }

  async function refresh(): Promise<Loaded | null> {
    const totals = await db
      .selectFrom('email_vector_chunks')
      .select((eb) => [eb.fn.countAll().as('rows'), eb.fn.max('id').as('last')])
      .executeTakeFirstOrThrow()
    const rows = toNumber(totals.rows)
    if (rows === 0) return null
    const last = toNumber(totals.last)
    const current = loaded
    if (current === null || last < current.matrix.lastId) return reload()
    if (last > current.matrix.lastId) current.foreign += await readRows(current.matrix.lastId, current.matrix)
    // Equal counts mean nothing else changed: rows are only ever added after lastId or deleted.
    return current.matrix.live + current.foreign === rows ? current : reload()
  }

  function inStep(): Promise<Loaded | null> {
    refreshing = refreshing.then(
      () => refresh(),
      () => refresh(),
    )
    return refreshing.then((state) => {
      loaded = state
      return state
    })
  }

  async function walk(ranking: Generator<VectorMatch, undefined, undefined>, limit: number, filter: VectorFilter): Promise<VectorMatch[]> {
    const out: VectorMatch[] = []
    let page = FIRST_CHECK_PAGE
    for (;;) {
      const candidates: VectorMatch[] = []
      for (let next = ranking.next(); next.done !== true; next = ranking.next()) {
        candidates.push(next.value)
        if (candidates.length >= page) break
      }
      if (candidates.length === 0) return out
      const passed = await filter.check(candidates.map((c) => c.emailId))
      for (const candidate of candidates) {
        if (!passed.has(candidate.emailId)) continue
        out.push(candidate)
        if (out.length >= limit) return out
      }
      if (candidates.length < page) return out
      page = Math.min(page * 2, MAX_CHECK_PAGE)
    }
  }

  return {
    name: 'embedded',
    key: 'embedded',

    async prepare(dimension) {
      if (!Number.isInteger(dimension) || dimension < 1) throw new TypeError(`Expected \`dimension\` to be a positive integer, got ${String(dimension)}`)
      const stored = await storedDimension()
      if (stored === null || stored === dimension) return { reset: false }
      // Vectors of another length cannot be compared with the new model's: none of them is usable.
      await db.deleteFrom('email_vector_chunks').execute()
      loaded = null
      return { reset: true }
    },

    async replace(emailIds, points) {
      const ids = [...new Set([...emailIds, ...points.map((p) => p.emailId)])]
      await db.transaction().execute(async (trx) => {
        for (const chunk of inChunks(ids)) await trx.deleteFrom('email_vector_chunks').where('email_id', 'in', chunk).execute()
        for (let start = 0; start < points.length; start += INSERT_ROWS) {
          const values = points.slice(start, start + INSERT_ROWS).map((p) => ({
            email_id: p.emailId,
            chunk: p.chunk,
            attachment_id: p.attachmentId,
            model,
            vector: vectorBytes(p.vector),
          }))
          await trx.insertInto('email_vector_chunks').values(values).execute()
        }
      })
      loaded?.matrix.remove(ids)
    },

    async remove(emailIds) {
      for (const chunk of inChunks(emailIds)) await db.deleteFrom('email_vector_chunks').where('email_id', 'in', chunk).execute()
      loaded?.matrix.remove(emailIds)
    },

    setPayload() {
      // The payload is only a prefilter for stores that filter before ranking; this one ranks
      // everything and `filter.check` asks the SQL tables themselves, which are always current.
      return Promise.resolve()
    },

    async search(vector, limit, filter) {
      if (limit < 1) return []
      const state = await inStep()
      if (state === null) return []
      if (state.matrix.dimension !== vector.length) {
        throw unavailable(`holds vectors of ${state.matrix.dimension} values and the query has ${vector.length}: the index is being rebuilt`)
      }
      return walk(state.matrix.rank(vector), limit, filter)
    },

    async countByEmail() {
      const rows = await db
        .selectFrom('email_vector_chunks')
        .select((eb) => ['email_id', eb.fn.countAll().as('points')])
        .groupBy('email_id')
        .execute()
      return new Map(rows.map((r) => [toNumber(r.email_id), toNumber(r.points)]))
    },
  }
}
