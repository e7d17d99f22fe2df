import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EmailDatabase } from '../../src/db/database.js'
import { DisabledError } from '../../src/errors.js'
import { createSearchApi, type SearchApi, type SearchItem } from '../../src/search/api.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { startQdrantStandin, type QdrantStandin } from '../../src/testing/qdrant-standin.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import { createQdrantStore, QDRANT_COLLECTION } from '../../src/vectors/qdrant-store.js'
import { directoryCacheOf, testContext } from '../helpers/context.js'
import { openSqlite, type TestDatabase } from '../helpers/databases.js'
import { READERS, SHARED_NAMES, sharingWorld, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { ANN } from '../helpers/team.js'
import { fillStore } from '../helpers/vector-fill.js'

type ReaderName = keyof typeof READERS
/** Words every email of the world holds in its body. */
const SHARED_WORDS = 'notes round rest nowhereword'

// The same modes over Qdrant (its stand-in): the store prefilters by payload, the SQL check
// decides. ann's mailbox is at `subject`, so alpha is hers alone (see modes-sharing.test.ts).
describe('search modes over Qdrant [sqlite]', () => {
  let t: TestDatabase
  let w: SharingWorld
  let embeddings: EmbeddingsStandin
  let qdrant: QdrantStandin
  let api: SearchApi

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const nameOf = (item: SearchItem): SharedName => {
    const name = SHARED_NAMES.find((n) => w.emails[n].emailId === item.email.id)
    if (name === undefined) throw new Error(`an email outside the world: ${item.email.id}`)
    return name
  }
  const found = async (reader: ReaderName, mode: 'semantic' | 'hybrid' = 'semantic') =>
    (await api.search(SHARED_WORDS, { viewer: READERS[reader].email, mode })).items.map(nameOf).sort()

  beforeEach(async () => {
    t = await openSqlite()
    w = await sharingWorld(t)
    await w.setLevel(ANN, 'subject')
    embeddings = await startEmbeddingsStandin({ dimension: 64 })
    qdrant = await startQdrantStandin()
    const vectors = { embeddings: createEmbeddingsClient({ url: embeddings.url, model: 'standin' }), store: createQdrantStore(qdrant.url) }
    await fillStore(db(), vectors)
    const context = testContext(t.db)
    api = createSearchApi(context, directoryCacheOf(context), vectors)
  })
  afterEach(async () => {
    await qdrant.close()
    await embeddings.close()
    await w.close()
    await t.close()
  })

  it('answers semantic from Qdrant, only mail each reader may read in full, and names it', async () => {
    expect(qdrant.points(QDRANT_COLLECTION)).toHaveLength(SHARED_NAMES.length)
    const answer = await api.search(SHARED_WORDS, { viewer: READERS.ann.email, mode: 'semantic' })
    expect(answer).toMatchObject({ mode: 'semantic', backend: 'qdrant', backends: ['qdrant'] })
    expect(await found('ann')).toEqual(['alpha', 'epsilon'])
    expect(await found('bob')).toEqual(['beta', 'delta'])
    expect(await found('cat')).toEqual(['delta', 'epsilon', 'gamma'])
    expect(await found('dee')).toEqual([])
    expect(await api.search('alphabody', { viewer: READERS.ann.email })).toMatchObject({ mode: 'hybrid', backend: 'hybrid', backends: ['fts5', 'qdrant'] })
  })

  it('keeps hidden mail out although Qdrant still holds its points', async () => {
    await w.email.emails.hide(w.emails.alpha.emailId, 'admin@fund.example')
    expect(qdrant.points(QDRANT_COLLECTION)).toHaveLength(SHARED_NAMES.length)
    expect(await found('ann')).toEqual(['epsilon'])
    expect(await found('ann', 'hybrid')).toEqual(['epsilon'])
  })

  it('answers semantic 503 naming Qdrant, and hybrid degraded keyword results, while Qdrant is down', async () => {
    qdrant.setDown(true)
    const error: unknown = await api.search(SHARED_WORDS, { mode: 'semantic' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DisabledError)
    expect(error).toMatchObject({ code: 'backend_unavailable', status: 503, message: 'semantic search is unavailable: the qdrant vector store is not reachable' })
    const hybrid = await api.search('alphabody', { viewer: READERS.ann.email })
    expect(hybrid).toMatchObject({ mode: 'hybrid', backends: ['fts5'], degraded: true, reason: 'the qdrant vector store is not reachable' })
    expect(hybrid.items.map(nameOf)).toEqual(['alpha'])
    expect(hybrid.items[0]?.highlight).toContain('«alphabody»')
    qdrant.setDown('slow')
    await expect(api.search(SHARED_WORDS, { mode: 'semantic' })).rejects.toThrow('semantic search is unavailable: the qdrant vector store did not answer within 5 s')
  })
})
