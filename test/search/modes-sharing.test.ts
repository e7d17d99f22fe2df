import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { EmailDatabase } from '../../src/db/database.js'
import { createSearchApi, type SearchApi, type SearchItem } from '../../src/search/api.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import { directoryCacheOf, testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { READERS, SHARED_NAMES, sharingWorld, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { ANN } from '../helpers/team.js'
import { fillStore } from '../helpers/vector-fill.js'

type ReaderName = keyof typeof READERS
const READER_NAMES = Object.keys(READERS) as ReaderName[]
/** Words every email of the world holds in its body: each is near the query, none is found by keyword alone. */
const SHARED_WORDS = 'notes round rest nowhereword'

// The sharing world (test/helpers/sharing-world.ts) with ann's mailbox at `subject`: alpha is
// hers alone, epsilon hers and cat's (cat: `metadata`). A vector embeds the body, so only a
// reader who may read an email in full may find it by meaning.
describeEachDialect('semantic search under the sharing rule', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  let standin: EmbeddingsStandin
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
    t = await open()
    w = await sharingWorld(t)
    await w.setLevel(ANN, 'subject')
    standin = await startEmbeddingsStandin({ dimension: 64 })
    const vectors = { embeddings: createEmbeddingsClient({ url: standin.url, model: 'standin' }), store: createEmbeddedStore(db()) }
    await fillStore(db(), vectors)
    const context = testContext(t.db)
    api = createSearchApi(context, directoryCacheOf(context), vectors)
  })
  afterEach(async () => {
    await standin.close()
    await w.close()
    await t.close()
  })

  it('finds by meaning only the mail each reader may read in full: the owners, never a subject-level teammate', async () => {
    expect(await found('ann')).toEqual(['alpha', 'epsilon'])
    expect(await found('bob')).toEqual(['beta', 'delta'])
    expect(await found('cat')).toEqual(['delta', 'epsilon', 'gamma'])
    expect(await found('dee')).toEqual([])
    // Being an admin changes nothing.
    expect(await found('eve')).toEqual([])
    // Hybrid adds no vector hit the semantic side would not show (no keyword holds every word).
    for (const reader of READER_NAMES) expect(await found(reader, 'hybrid'), reader).toEqual(await found(reader))
  })

  it('shows a vector hit with its body-level snippet only to readers of the body, and follows a level change at once', async () => {
    for (const reader of READER_NAMES) {
      for (const item of (await api.search(SHARED_WORDS, { viewer: READERS[reader].email, mode: 'semantic' })).items) {
        expect(item.email.access === 'owner' || item.email.access === 'everything', `${reader} ${nameOf(item)}`).toBe(true)
        expect(item.highlight).toBe(item.email.snippet)
      }
    }
    // The store's payload is stale (it was filled at `subject`); the SQL rule decides anyway.
    await w.setLevel(ANN, 'everything')
    expect(await found('dee')).toEqual(['alpha', 'epsilon'])
    await w.setLevel(ANN, 'metadata')
    expect(await found('dee')).toEqual([])
    expect(await found('bob')).toEqual(['beta', 'delta'])
  })

  it('never finds a private thread by meaning for anyone but its owners', async () => {
    await w.setLevel(ANN, 'everything')
    expect(await found('dee')).toEqual(['alpha', 'epsilon'])
    await w.email.threads.setPrivate(w.emails.alpha.threadId, true, { actor: ANN })
    expect(await found('dee')).toEqual(['epsilon'])
    expect(await found('ann')).toEqual(['alpha', 'epsilon'])
  })
})
