/**
 * The vector side of an integration, chosen once from its configuration: no embeddings
 * endpoint, no vectors (keyword search only); with one, Qdrant when its URL is set, else the
 * embedded store in the host's own database.
 */
import type { IntegrationContext } from '../context.js'
import { createEmbeddedStore } from './embedded-store.js'
import { createEmbeddingsClient } from './embeddings.js'
import { createQdrantStore } from './qdrant-store.js'
import type { VectorSetup } from './types.js'

/**
 * The embeddings client and vector store the configuration asks for, or `null`.
 *
 * @example
 * ```ts
 * const vectors = createVectorSetup(context)
 * if (vectors !== null) await vectors.store.prepare((await vectors.embeddings.embed(['probe']))[0]!.length)
 * ```
 */
export function createVectorSetup(context: Pick<IntegrationContext, 'config' | 'db'>): VectorSetup | null {
  const endpoint = context.config.embeddings
  if (endpoint === null) return null
  const store = context.config.qdrantUrl === null ? createEmbeddedStore(context.db, { model: endpoint.model }) : createQdrantStore(context.config.qdrantUrl)
  return { embeddings: createEmbeddingsClient(endpoint), store }
}
