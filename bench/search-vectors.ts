/**
 * The vector side of the search benchmark: `email.search.index()` over the corpus with the
 * embeddings stand-in (dimension 384) and the embedded store, then hybrid latency over the same
 * queries as keyword. It runs only where the vector indexer exists; otherwise it says what is
 * missing instead of failing the whole benchmark.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../src/db/database.js'
import { createEmailIntegration, type EmailIntegration } from '../src/index.js'
import { startEmbeddingsStandin } from '../src/testing/index.js'
import { progress } from './measure.js'
import { timeQueries, type ModeTimings, type QueryCase } from './search-latency.js'

/** The stand-in's vector size: a small sentence model's (all-MiniLM-L6-v2 and its kin). */
export const BENCH_DIMENSION = 384
/** Emails embedded per `index()` call; the benchmark calls it until nothing is pending. */
const INDEX_LIMIT = 2000

/** Indexing throughput and hybrid latency, or why they were not measured. */
export type VectorResult =
  | { readonly skipped: string }
  | {
      readonly indexSeconds: number
      readonly embedded: number
      readonly chunks: number
      readonly emailsPerSecond: number
      readonly chunksPerSecond: number
      /** Seconds the stand-in alone takes for the same requests and texts, and that over indexSeconds. */
      readonly standinSeconds: number
      readonly standinShare: number
      readonly standinRequests: number
      readonly hybrid: ModeTimings
    }

/** The report of one `index()` run, as far as the benchmark reads it. */
interface IndexReportLike {
  readonly embedded: number
  readonly chunks: number
  readonly pending: number
  readonly error: string | null
}

type IndexFunction = (options?: { readonly limit?: number }) => Promise<IndexReportLike>

/** `email.search.index`, when the integration has it. */
function indexOf(email: EmailIntegration): IndexFunction | null {
  const index: unknown = (email.search as unknown as { readonly index?: unknown }).index
  return typeof index === 'function' ? (index as IndexFunction) : null
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Times the stand-in alone: `requests` requests carrying `inputs` texts in all, the texts taken
 * from the corpus's bodies (the indexer's chunks are of that size or shorter).
 */
async function replayStandin(db: Kysely<EmailDatabase>, requests: number, inputs: number): Promise<number> {
  const bodies = (await db.selectFrom('emails').select('body_text').limit(200).execute()).map((r) => (r.body_text ?? '').slice(0, 1200))
  const standin = await startEmbeddingsStandin({ dimension: BENCH_DIMENSION })
  try {
    const perRequest = Math.max(1, Math.ceil(inputs / Math.max(1, requests)))
    const started = performance.now()
    for (let r = 0, sent = 0; r < requests && sent < inputs; r++) {
      const input = Array.from({ length: Math.min(perRequest, inputs - sent) }, (_, i) => bodies[(sent + i) % bodies.length] ?? 'text')
      sent += input.length
      const answer = await fetch(`${standin.url}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'standin', input }),
      })
      await answer.arrayBuffer()
    }
    return (performance.now() - started) / 1000
  } finally {
    await standin.close()
  }
}

/**
 * Indexes the corpus in `db` into the embedded store through the stand-in and times hybrid
 * search; `{ skipped }` when the indexer or the embedded store's configuration is missing.
 *
 * @example
 * ```ts
 * const vectors = await measureVectors(db, benchQueries(corpus.vocabulary), { repeats: 20 })
 * if (!('skipped' in vectors)) vectors.hybrid.all.p95 // milliseconds
 * ```
 */
export async function measureVectors(
  db: Kysely<EmailDatabase>,
  queries: readonly QueryCase[],
  options: { readonly repeats: number },
): Promise<VectorResult> {
  const standin = await startEmbeddingsStandin({ dimension: BENCH_DIMENSION })
  let email: EmailIntegration
  try {
    email = createEmailIntegration({
      db,
      config: { enabled: false, embeddings: { url: standin.url, model: 'standin' } },
      directory: () => Promise.resolve([]),
    })
  } catch (error) {
    await standin.close()
    return { skipped: `an embeddings endpoint without Qdrant (the embedded store) is not accepted yet: ${message(error)}` }
  }
  try {
    const index = indexOf(email)
    if (index === null) return { skipped: 'email.search.index() (the vector indexer) has not landed' }
    let embedded = 0
    let chunks = 0
    const started = performance.now()
    for (;;) {
      const report = await index({ limit: INDEX_LIMIT })
      if (report.error !== null) return { skipped: `email.search.index() failed: ${report.error}` }
      embedded += report.embedded
      chunks += report.chunks
      if (report.pending === 0 || report.embedded === 0) break
    }
    const indexSeconds = (performance.now() - started) / 1000
    progress(`search vectors: ${embedded} emails, ${chunks} chunks indexed in ${indexSeconds.toFixed(1)}s; timing hybrid queries`)
    const standinRequests = standin.calls
    const standinSeconds = await replayStandin(db, standinRequests, standin.inputs)
    const hybrid = await timeQueries(email, queries, { mode: 'hybrid', repeats: options.repeats })
    const perSecond = (n: number) => Math.round(n / Math.max(indexSeconds, 1e-6))
    return {
      indexSeconds: Math.round(indexSeconds * 100) / 100,
      embedded,
      chunks,
      emailsPerSecond: perSecond(embedded),
      chunksPerSecond: perSecond(chunks),
      standinSeconds: Math.round(standinSeconds * 100) / 100,
      standinShare: Math.round((standinSeconds / Math.max(indexSeconds, 1e-6)) * 1000) / 1000,
      standinRequests,
      hybrid,
    }
  } catch (error) {
    return { skipped: `the vector side failed: ${message(error)}` }
  } finally {
    await email.close()
    await standin.close()
  }
}
