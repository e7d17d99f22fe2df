/**
 * The indexer (SPEC §9): keeps a vector store in step with the SQL tables, which stay
 * canonical. It never runs inside capture: capture commits first, and the bookkeeping of
 * `email_vector_index` (with the marks of index-state.ts) tells the next run what changed.
 * Crash-safe by order: the store is written first and the row after, and every store write is
 * idempotent, so a run killed anywhere resumes without duplicates or gaps.
 */
import { sql } from 'kysely'
import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import type { BlobStore } from '../db/blob-store.js'
import { inChunks } from '../db/chunks.js'
import { errorMessage } from '../errors.js'
import { extractAttachmentTexts, type ExtractTextsReport } from '../extract/extract-texts.js'
import { redactText } from '../secrets/redact.js'
import { emailChunks } from './documents.js'
import { emailPayloads } from './payload.js'
import { readIndexStatus, type IndexStatus } from './index-status.js'
import type { VectorPoint, VectorSetup } from './types.js'

export type { IndexStatus } from './index-status.js'

/** Options of one indexer run. */
export interface IndexRunOptions {
  /** Stops between batches; what was done stays done. */
  readonly signal?: AbortSignal
  /** Emails embedded at most this run (default {@link DEFAULT_INDEX_LIMIT}). */
  readonly limit?: number
}

/** What one run did. */
export interface IndexReport {
  /** The attachment texts read first (keyword search reads them too, vectors or not). */
  readonly attachments: ExtractTextsReport
  /** Emails whose vectors were written. */
  readonly embedded: number
  /** Points (chunks) written for them. */
  readonly chunks: number
  /** Emails whose vectors were deleted (hidden, erased). */
  readonly removed: number
  /** Emails whose filtering payload was rewritten without embedding again. */
  readonly payloadsUpdated: number
  /** Visible emails still without vectors of the current model (0 without vectors). */
  readonly pending: number
  /** Why the run stopped early (an endpoint or store down), redacted; `null` when it did not. */
  readonly error: string | null
}

/** The indexer of one integration. */
export interface Indexer {
  /** Reads attachment texts, then brings the vector store in step (see {@link IndexReport}). */
  run(options?: IndexRunOptions): Promise<IndexReport>
  /** Deletes the vectors of hidden and erased emails only; the number of emails. */
  removeStale(): Promise<number>
  /** Counts for the status route. */
  status(): Promise<IndexStatus>
}

/** Emails embedded per run by default: bounds a scheduled run's duration. */
export const DEFAULT_INDEX_LIMIT = 2_000

/** Emails per batch: one embeddings round trip (in the client's own batches) and one store write. */
const EMAIL_BATCH = 32

/** Payloads rewritten per batch. */
const PAYLOAD_BATCH = 200

const NO_ATTACHMENTS: ExtractTextsReport = Object.freeze({ extracted: 0, empty: 0, unsupported: 0, failed: 0, remaining: 0 })

/** `payload_dirty` while a run rewrites the payload: a new mark (1) made meanwhile survives the run's clearing. */
const PAYLOAD_CLAIMED = 2

/**
 * Builds the indexer. `vectors` is `createVectorSetup(context)`: with `null`, a run only reads
 * attachment texts.
 *
 * @example
 * ```ts
 * const indexer = createIndexer(context, blobs, createVectorSetup(context))
 * const report = await indexer.run({ limit: 500 })
 * // { embedded: 500, chunks: 731, removed: 0, payloadsUpdated: 0, pending: 1200, error: null, ... }
 * ```
 */
export function createIndexer(context: IntegrationContext, blobs: BlobStore, vectors: VectorSetup | null): Indexer {
  const { db } = context
  let lastRun: { readonly at: string; readonly report: IndexReport } | null = null
  // One run at a time in this process: a second caller waits for the run in progress.
  let running: Promise<unknown> = Promise.resolve()

  async function removeStaleOf(setup: VectorSetup): Promise<number> {
    const { store } = setup
    let removed = 0
    for (;;) {
      const stale = await db
        .selectFrom('email_vector_index as v')
        .select('v.email_id')
        .where('v.store', '=', store.key)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('emails as e').select('e.id').whereRef('e.id', '=', 'v.email_id').where('e.hidden_at', 'is', null))))
        .orderBy('v.email_id')
        .limit(500)
        .execute()
      if (stale.length === 0) return removed
      const ids = stale.map((r) => r.email_id)
      await store.remove(ids)
      await db.deleteFrom('email_vector_index').where('store', '=', store.key).where('email_id', 'in', ids).execute()
      removed += ids.length
    }
  }

  async function updatePayloads(setup: VectorSetup, signal: AbortSignal | undefined): Promise<number> {
    let updated = 0
    for (;;) {
      signal?.throwIfAborted()
      const rows = await db
        .selectFrom('email_vector_index')
        .select('email_id')
        .where('store', '=', setup.store.key)
        .where('payload_dirty', '<>', 0)
        .orderBy('email_id')
        .limit(PAYLOAD_BATCH)
        .execute()
      if (rows.length === 0) return updated
      const ids = rows.map((r) => r.email_id)
      // Claimed before the payload is read: a change committed after this sets 1 again.
      await db.updateTable('email_vector_index').set({ payload_dirty: PAYLOAD_CLAIMED }).where('email_id', 'in', ids).where('payload_dirty', '<>', 0).execute()
      const payloads = await emailPayloads(db, ids, context.config.defaultSharing)
      for (const [id, payload] of payloads) await setup.store.setPayload(id, payload)
      // Emails gone meanwhile keep their mark: the stale step removes their rows.
      const done = [...payloads.keys()]
      for (const chunk of inChunks(done)) {
        await db.updateTable('email_vector_index').set({ payload_dirty: 0 }).where('email_id', 'in', chunk).where('payload_dirty', '=', PAYLOAD_CLAIMED).execute()
      }
      updated += done.length
      if (done.length < ids.length) return updated
    }
  }

  /** Visible emails without vectors of the current model in this store, after `afterId`. */
  function missing(setup: VectorSetup, afterId: number, limit: number) {
    return db
      .selectFrom('emails as e')
      .leftJoin('email_vector_index as v', (join) =>
        join.onRef('v.email_id', '=', 'e.id').on('v.store', '=', setup.store.key).on('v.model', '=', setup.embeddings.model),
      )
      .select('e.id')
      .where('e.hidden_at', 'is', null)
      .where('v.email_id', 'is', null)
      .where('e.id', '>', afterId)
      .orderBy('e.id')
      .limit(limit)
      .execute()
  }

  /** Embeds and writes one batch; the store first, the rows after. */
  async function indexBatch(setup: VectorSetup, ids: readonly number[], signal: AbortSignal | undefined): Promise<{ emails: number; chunks: number }> {
    const texts = await emailChunks(db, ids)
    const all = [...texts.values()].flat()
    if (all.length === 0) return { emails: 0, chunks: 0 }
    const vectorsOf = await setup.embeddings.embed(all.map((c) => c.text), signal === undefined ? {} : { signal })
    // Read after embedding, just before the write: the shortest window for a change to miss.
    const payloads = await emailPayloads(db, [...texts.keys()], context.config.defaultSharing)
    const points: VectorPoint[] = []
    all.forEach((c, i) => {
      const payload = payloads.get(c.emailId)
      const vector = vectorsOf[i]
      if (payload !== undefined && vector !== undefined) points.push({ emailId: c.emailId, chunk: c.chunk, attachmentId: c.attachmentId, vector, payload })
    })
    const emailIds = [...payloads.keys()]
    await setup.store.replace(emailIds, points)
    const at = nowIso(context)
    for (const id of emailIds) {
      const chunks = points.filter((p) => p.emailId === id).length
      await db
        .insertInto('email_vector_index')
        .values({ email_id: id, store: setup.store.key, model: setup.embeddings.model, chunks, payload_dirty: 0, indexed_at: at })
        .onConflict((oc) =>
          oc.column('email_id').doUpdateSet({ store: setup.store.key, model: setup.embeddings.model, chunks, payload_dirty: 0, indexed_at: at }),
        )
        .execute()
    }
    return { emails: emailIds.length, chunks: points.length }
  }

  /** Readies the store; rows it cannot back (a reset store, another store's) are forgotten. */
  async function prepare(setup: VectorSetup, size: number): Promise<void> {
    const { reset } = await setup.store.prepare(size)
    if (reset) await db.deleteFrom('email_vector_index').where('store', '=', setup.store.key).execute()
    await db.deleteFrom('email_vector_index').where('store', '<>', setup.store.key).execute()
  }

  async function runOnce(options: IndexRunOptions): Promise<IndexReport> {
    const { signal } = options
    const limit = Math.max(0, Math.floor(options.limit ?? DEFAULT_INDEX_LIMIT))
    let attachments = NO_ATTACHMENTS
    let embedded = 0
    let chunks = 0
    let removed = 0
    let payloadsUpdated = 0
    let error: string | null = null
    try {
      attachments = await extractAttachmentTexts(context, blobs, signal === undefined ? {} : { signal })
      if (vectors !== null) {
        // A probe tells the model's dimension; readying the store with it comes first, so a
        // store emptied meanwhile (a restarted Qdrant) is seen before anything else touches it
        // and its rows are forgotten before the missing emails are listed.
        const [probe] = await vectors.embeddings.embed(['dimension'], signal === undefined ? {} : { signal })
        await prepare(vectors, probe?.length ?? 0)
        removed = await removeStaleOf(vectors)
        payloadsUpdated = await updatePayloads(vectors, signal)
        let afterId = 0
        let batch = await missing(vectors, afterId, Math.min(EMAIL_BATCH, limit))
        while (batch.length > 0 && embedded < limit) {
          signal?.throwIfAborted()
          const done = await indexBatch(vectors, batch.map((r) => r.id), signal)
          embedded += done.emails
          chunks += done.chunks
          afterId = batch[batch.length - 1]?.id ?? afterId
          const room = limit - embedded
          batch = room > 0 ? await missing(vectors, afterId, Math.min(EMAIL_BATCH, room)) : []
        }
      }
    } catch (cause) {
      error = redactText(errorMessage(cause))
      context.logger.warn({ error }, 'vector index: the run stopped early')
    }
    const pending = vectors === null ? 0 : await countPending(vectors)
    return { attachments, embedded, chunks, removed, payloadsUpdated, pending, error }
  }

  async function countPending(setup: VectorSetup): Promise<number> {
    const row = await db
      .selectFrom('emails as e')
      .leftJoin('email_vector_index as v', (join) =>
        join.onRef('v.email_id', '=', 'e.id').on('v.store', '=', setup.store.key).on('v.model', '=', setup.embeddings.model),
      )
      .select(sql<number | string>`count(*)`.as('n'))
      .where('e.hidden_at', 'is', null)
      .where('v.email_id', 'is', null)
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = running.then(fn, fn)
    running = next.catch(() => undefined)
    return next
  }

  return {
    run: (options = {}) =>
      exclusive(async () => {
        const report = await runOnce(options)
        lastRun = { at: nowIso(context), report }
        return report
      }),
    removeStale: () => (vectors === null ? Promise.resolve(0) : exclusive(() => removeStaleOf(vectors))),
    status: () => readIndexStatus(context, vectors, lastRun),
  }
}
