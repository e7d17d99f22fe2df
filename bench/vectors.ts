/**
 * The embedded vector store at size: one exact search over 10,000 and 100,000 vectors of 384
 * values (p50/p95 of the in-memory pass that ranks every email, and of a whole `store.search`
 * with its freshness query on SQLite), the time to read the matrix from the table, and, for the
 * choice the store made, the same pass over int8-quantized vectors with a float re-rank of the
 * best candidates. Wall times suffer on a busy machine; the CPU times (user time of this
 * process) show what a search costs on an idle core. Prints JSON.
 *
 * `npx tsx bench/vectors.ts [--sizes 10000,100000] [--queries 50]`
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { EmailDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createEmbeddedStore } from '../src/vectors/embedded-store.js'
import { VectorMatrix, vectorBytes, type MatrixRow } from '../src/vectors/matrix.js'
import type { VectorFilter } from '../src/vectors/types.js'
import { progress, round } from './measure.js'

const DIMENSION = 384
/** Chunks per email in the generated index: a body and an attachment or two on average. */
const CHUNKS_PER_EMAIL = 3
/** Emails a search answers. */
const LIMIT = 20
/** Candidates the int8 pass hands to the float re-rank. */
const RERANK = 200

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}

/** A deterministic generator: the same vectors every run. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return s / 2 ** 32
  }
}

function unitVector(next: () => number): Float32Array {
  const v = new Float32Array(DIMENSION)
  let sum = 0
  for (let i = 0; i < DIMENSION; i++) {
    const x = next() * 2 - 1
    v[i] = x
    sum += x * x
  }
  const norm = Math.sqrt(sum)
  for (let i = 0; i < DIMENSION; i++) v[i] = v[i]! / norm
  return v
}

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return { p50: round(at(0.5), 2), p95: round(at(0.95), 2) }
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** The int8 alternative: each vector scaled by 127 and rounded; candidates re-ranked in float. */
function int8Search(codes: Int8Array, floats: Float32Array, rows: number, query: Float32Array): number {
  const q = new Int8Array(DIMENSION)
  for (let i = 0; i < DIMENSION; i++) q[i] = Math.round(query[i]! * 127)
  const scores = new Int32Array(rows)
  for (let r = 0; r < rows; r++) {
    let sum = 0
    const base = r * DIMENSION
    for (let i = 0; i < DIMENSION; i++) sum += codes[base + i]! * q[i]!
    scores[r] = sum
  }
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!).slice(0, RERANK)
  let best = -Infinity
  for (const r of order) {
    let sum = 0
    for (let i = 0; i < DIMENSION; i++) sum += floats[r * DIMENSION + i]! * query[i]!
    best = Math.max(best, sum)
  }
  return best
}

async function measure(size: number, queries: number): Promise<Record<string, unknown>> {
  const next = random(size)
  const rows: MatrixRow[] = []
  const floats = new Float32Array(size * DIMENSION)
  for (let r = 0; r < size; r++) {
    const v = unitVector(next)
    floats.set(v, r * DIMENSION)
    rows.push({ id: r + 1, emailId: Math.floor(r / CHUNKS_PER_EMAIL) + 1, chunk: r % CHUNKS_PER_EMAIL, attachmentId: null, bytes: vectorBytes(v) })
  }
  const probes = Array.from({ length: queries }, () => unitVector(next))

  const matrix = new VectorMatrix(DIMENSION)
  matrix.append(rows)
  const rank: number[] = []
  const rankCpu = process.cpuUsage()
  for (const query of probes) {
    const start = process.hrtime.bigint()
    let taken = 0
    for (const match of matrix.rank(query)) {
      if (match.score > 2 || ++taken >= LIMIT) break
    }
    rank.push(ms(start))
  }
  // CPU time per search: what one search costs on an idle core, however busy the machine is.
  const rankCpuMs = (process.cpuUsage(rankCpu).user / 1000) / probes.length

  const codes = new Int8Array(size * DIMENSION)
  for (let i = 0; i < codes.length; i++) codes[i] = Math.round(floats[i]! * 127)
  const int8: number[] = []
  for (const query of probes) {
    const start = process.hrtime.bigint()
    int8Search(codes, floats, size, query)
    int8.push(ms(start))
  }

  progress(`vectors: writing ${size} rows to SQLite`)
  const dir = mkdtempSync(join(tmpdir(), 'bench-vectors-'))
  const database = new Database(join(dir, 'crm.db'))
  database.pragma('journal_mode = WAL')
  const db = new Kysely<EmailDatabase>({ dialect: new SqliteDialect({ database }) })
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>)
    // The vectors' emails, written directly: the store only needs their ids to exist.
    database.pragma('foreign_keys = OFF')
    const insert = database.prepare('insert into email_vector_chunks (email_id, chunk, attachment_id, model, vector) values (?, ?, null, ?, ?)')
    database.transaction(() => {
      for (const row of rows) insert.run(row.emailId, row.chunk, 'bench', row.bytes)
    })()
    const store = createEmbeddedStore(db, { model: 'bench' })
    const all: VectorFilter = { viewerAccountIds: null, check: (ids) => Promise.resolve(new Set(ids)) }
    const loadStart = process.hrtime.bigint()
    const loadCpu = process.cpuUsage()
    await store.search(probes[0]!, LIMIT, all)
    const loadMs = ms(loadStart)
    const loadCpuMs = process.cpuUsage(loadCpu).user / 1000
    const whole: number[] = []
    for (const query of probes) {
      const start = process.hrtime.bigint()
      await store.search(query, LIMIT, all)
      whole.push(ms(start))
    }
    return {
      vectors: size,
      emails: Math.ceil(size / CHUNKS_PER_EMAIL),
      dimension: DIMENSION,
      matrixMegabytes: round((size * DIMENSION * 4) / 2 ** 20, 1),
      float32RankMs: percentiles(rank),
      float32RankCpuMsMean: round(rankCpuMs, 2),
      storeSearchMs: percentiles(whole),
      loadMatrixMs: round(loadMs, 1),
      loadMatrixCpuMs: round(loadCpuMs, 1),
      int8WithRerankMs: percentiles(int8),
      int8Megabytes: round((size * DIMENSION) / 2 ** 20, 1),
    }
  } finally {
    await db.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

const sizes = option('sizes', '10000,100000').split(',').map(Number)
const queries = Number(option('queries', '50'))
const results: Record<string, unknown>[] = []
for (const size of sizes) {
  progress(`vectors: ${size} x ${DIMENSION}`)
  results.push(await measure(size, queries))
}
console.log(JSON.stringify({ embeddedStore: results }, null, 2))
