/**
 * The vector index's parts (SPEC §9): an embeddings client (an OpenAI-compatible endpoint) and a
 * vector store (the embedded one in the host's database, or Qdrant). The indexer writes through
 * them, semantic and hybrid search read through them; neither decides what a user may see: every
 * match is checked against the SQL tables, which are canonical.
 */

/** The most points (chunks) one email may have: point ids are `emailId * MAX_CHUNKS_PER_EMAIL + chunk`. */
export const MAX_CHUNKS_PER_EMAIL = 64

/**
 * What a store may filter on before the SQL check: a prefilter, never the last word (a stale
 * payload can only make a match fall away later, not show something it should not).
 */
export interface VectorPayload {
  /** The CRM identities the email is linked to (`fund:7`, `contact:12`). */
  readonly identities: readonly string[]
  /** Gmail's internal date of the email, in Unix seconds. */
  readonly date: number
  /**
   * Whether a teammate who owns no copy reads it in full (the most permissive live copy is
   * `everything` and the thread is not private): vectors embed the body.
   */
  readonly sharedInFull: boolean
  /** The accounts holding a live copy: their owners read it in full. */
  readonly mailboxes: readonly number[]
}

/** One vector: a chunk of an email's own text or of one of its attachments. */
export interface VectorPoint {
  readonly emailId: number
  /** 0-based, below {@link MAX_CHUNKS_PER_EMAIL}. */
  readonly chunk: number
  /** The attachment whose text the chunk holds; `null` for the email's subject, people and body. */
  readonly attachmentId: number | null
  readonly vector: Float32Array
  readonly payload: VectorPayload
}

/** A store's prefilter for one search (see {@link VectorPayload}). */
export interface VectorFilter {
  readonly identity?: string | undefined
  /** Unix seconds, inclusive. */
  readonly fromDate?: number | undefined
  /** Unix seconds, exclusive. */
  readonly toDate?: number | undefined
  /**
   * Whose search it is: matches must be `sharedInFull` or held by one of these accounts; `null`
   * for the team's view (only `sharedInFull`).
   */
  readonly viewerAccountIds: readonly number[] | null
  /**
   * The SQL check every match must pass (visible, inside the filter, readable in full by the
   * reader): given email ids, the ones that pass. A store that ranks everything itself (the
   * embedded one) uses it to walk down its ranking until it has enough; the caller applies it to
   * every store's answer anyway.
   */
  readonly check: (emailIds: readonly number[]) => Promise<ReadonlySet<number>>
}

/** One match: the best-scoring chunk of an email (one per email, best first). */
export interface VectorMatch {
  readonly emailId: number
  readonly chunk: number
  readonly attachmentId: number | null
  /** Cosine similarity, higher is better. */
  readonly score: number
}

/**
 * Where vectors live.
 *
 * @example
 * ```ts
 * const { reset } = await store.prepare(768)
 * await store.replace([42], points)
 * const matches = await store.search(queryVector, 20, filter)
 * ```
 */
export interface VectorStore {
  /** `embedded` or `qdrant`: reported with every answer. */
  readonly name: 'embedded' | 'qdrant'
  /** The key `email_vector_index.store` records (`embedded`, `qdrant:<collection>`). */
  readonly key: string
  /**
   * Makes the store ready for vectors of `dimension` values. `reset: true` when it holds none of
   * the vectors the SQL bookkeeping may claim (it was just created, or recreated for a new
   * dimension): the indexer then forgets every `email_vector_index` row of {@link key}.
   */
  prepare(dimension: number): Promise<{ readonly reset: boolean }>
  /** Replaces every point of these emails by `points` (all of which belong to them). Idempotent. */
  replace(emailIds: readonly number[], points: readonly VectorPoint[]): Promise<void>
  /** Deletes every point of these emails. Idempotent. */
  remove(emailIds: readonly number[]): Promise<void>
  /** Sets the payload of every point of one email. */
  setPayload(emailId: number, payload: VectorPayload): Promise<void>
  /** The emails nearest to `vector`, one match per email, best first, at most `limit`. */
  search(vector: Float32Array, limit: number, filter: VectorFilter): Promise<VectorMatch[]>
  /** Points stored per email id (for status and tests). */
  countByEmail(): Promise<Map<number, number>>
}

/**
 * An OpenAI-compatible embeddings endpoint (`POST {url}/embeddings`).
 *
 * @example
 * ```ts
 * const [a, b] = await embeddings.embed(['term sheet from Acme', 'capital call notice'])
 * ```
 */
export interface EmbeddingsClient {
  /** The model name sent with each request (`CRM_GMAIL_EMBEDDINGS_MODEL`). */
  readonly model: string
  /**
   * Vectors of the texts, in order, L2-normalized. Batches and retries (429, 5xx, timeouts)
   * inside; throws `DisabledError` with code `backend_unavailable` when the endpoint cannot be
   * reached or answers malformed data after its retries.
   */
  embed(texts: readonly string[], options?: { readonly signal?: AbortSignal; readonly retries?: number }): Promise<Float32Array[]>
}

/** The configured vector side of an integration: `null` when no embeddings endpoint is set. */
export interface VectorSetup {
  readonly embeddings: EmbeddingsClient
  readonly store: VectorStore
}
