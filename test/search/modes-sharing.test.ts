import { afterEach, beforeEach, expect, it } from 'vitest'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { READERS } from '../helpers/sharing-world.js'
import { SHARED_WORDS, semanticWorld, type ReaderName, type SemanticWorld } from '../helpers/semantic-world.js'
import { ANN } from '../helpers/team.js'

const READER_NAMES = Object.keys(READERS) as ReaderName[]

// The sharing world (test/helpers/sharing-world.ts) with ann's mailbox at `subject`: alpha is
// hers alone, epsilon hers and cat's (cat: `metadata`). A vector embeds the body, so only a
// reader who may read an email in full may find it by meaning.
describeEachDialect('semantic search under the sharing rule', (open) => {
  let t: TestDatabase
  let s: SemanticWorld
  let w: SemanticWorld['w']
  let api: SemanticWorld['api']
  let nameOf: SemanticWorld['nameOf']
  let found: SemanticWorld['found']

  beforeEach(async () => {
    t = await open()
    s = await semanticWorld(t, (db) => createEmbeddedStore(db))
    ;({ w, api, nameOf, found } = s)
  })
  afterEach(async () => {
    await s.close()
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
