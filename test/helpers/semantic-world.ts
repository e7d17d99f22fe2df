import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'
import { createSearchApi, type SearchApi, type SearchItem } from '../../src/search/api.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import type { VectorStore } from '../../src/vectors/types.js'
import { directoryCacheOf, testContext } from './context.js'
import type { TestDatabase } from './databases.js'
import { READERS, SHARED_NAMES, sharingWorld, type SharedName, type SharingWorld } from './sharing-world.js'
import { ANN } from './team.js'
import { fillStore } from './vector-fill.js'

/** A reader of the sharing world. */
export type ReaderName = keyof typeof READERS

/** Words every email of the world holds in its body: each is near the query, none is found by keyword alone. */
export const SHARED_WORDS = 'notes round rest nowhereword'

/** The sharing world searched by meaning: its store filled, a search API over it. */
export interface SemanticWorld {
  readonly w: SharingWorld
  readonly api: SearchApi
  readonly embeddings: EmbeddingsStandin
  /** The world's name of a result (an email outside the world throws). */
  readonly nameOf: (item: SearchItem) => SharedName
  /** The names a reader finds for {@link SHARED_WORDS}, sorted. */
  readonly found: (reader: ReaderName, mode?: 'semantic' | 'hybrid') => Promise<SharedName[]>
  readonly close: () => Promise<void>
}

/**
 * The sharing world (sharing-world.ts) with ann's mailbox at `subject` (alpha is hers alone,
 * epsilon hers and cat's), every email's vectors in the store `storeOf` makes, embedded by the
 * deterministic stand-in.
 *
 * @example
 * const s = await semanticWorld(t, (db) => createEmbeddedStore(db))
 * expect(await s.found('bob')).toEqual(['beta', 'delta'])
 */
export async function semanticWorld(t: TestDatabase, storeOf: (db: Kysely<EmailDatabase>) => VectorStore): Promise<SemanticWorld> {
  const db = t.db as unknown as Kysely<EmailDatabase>
  const w = await sharingWorld(t)
  await w.setLevel(ANN, 'subject')
  const embeddings = await startEmbeddingsStandin({ dimension: 64 })
  const vectors = { embeddings: createEmbeddingsClient({ url: embeddings.url, model: 'standin' }), store: storeOf(db) }
  await fillStore(db, vectors)
  const context = testContext(t.db)
  const api = createSearchApi(context, directoryCacheOf(context), vectors)
  const nameOf = (item: SearchItem): SharedName => {
    const name = SHARED_NAMES.find((n) => w.emails[n].emailId === item.email.id)
    if (name === undefined) throw new Error(`an email outside the world: ${item.email.id}`)
    return name
  }
  return {
    w,
    api,
    embeddings,
    nameOf,
    found: async (reader, mode = 'semantic') => (await api.search(SHARED_WORDS, { viewer: READERS[reader].email, mode })).items.map(nameOf).sort(),
    close: async () => {
      await embeddings.close()
      await w.close()
    },
  }
}
