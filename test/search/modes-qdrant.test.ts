import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DisabledError } from '../../src/errors.js'
import { startQdrantStandin, type QdrantStandin } from '../../src/testing/qdrant-standin.js'
import { createQdrantStore, QDRANT_COLLECTION } from '../../src/vectors/qdrant-store.js'
import { openSqlite, type TestDatabase } from '../helpers/databases.js'
import { READERS, SHARED_NAMES } from '../helpers/sharing-world.js'
import { SHARED_WORDS, semanticWorld, type SemanticWorld } from '../helpers/semantic-world.js'

// The same modes over Qdrant (its stand-in): the store prefilters by payload, the SQL check
// decides. ann's mailbox is at `subject`, so alpha is hers alone (see modes-sharing.test.ts).
describe('search modes over Qdrant [sqlite]', () => {
  let t: TestDatabase
  let qdrant: QdrantStandin
  let s: SemanticWorld
  let w: SemanticWorld['w']
  let api: SemanticWorld['api']
  let nameOf: SemanticWorld['nameOf']
  let found: SemanticWorld['found']

  beforeEach(async () => {
    t = await openSqlite()
    qdrant = await startQdrantStandin()
    s = await semanticWorld(t, () => createQdrantStore(qdrant.url))
    ;({ w, api, nameOf, found } = s)
  })
  afterEach(async () => {
    await qdrant.close()
    await s.close()
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
