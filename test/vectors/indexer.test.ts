import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { IntegrationContext } from '../../src/context.js'
import { createBlobStore } from '../../src/db/blob-store.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { chunkText, CHUNK_CHARS } from '../../src/vectors/chunking.js'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import { createIndexer } from '../../src/vectors/indexer.js'
import { MAX_CHUNKS_PER_EMAIL, type VectorSetup } from '../../src/vectors/types.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const EVE = 'eve@fund.example'

it('chunks text between words, overlapping, within the size, and at most max chunks', () => {
  const words = Array.from({ length: 900 }, (_, i) => `w${i}`)
  const chunks = chunkText(words.join(' \n '))
  expect(chunks.length).toBeGreaterThan(3)
  for (const c of chunks) {
    expect(c.length).toBeLessThanOrEqual(CHUNK_CHARS)
    // Whole words only: every piece is one of the words.
    for (const piece of c.split(' ')) expect(words).toContain(piece)
  }
  // Consecutive chunks share words (the overlap), and together hold every word.
  const first = new Set(chunks[0]?.split(' '))
  expect(chunks[1]?.split(' ').some((w) => first.has(w))).toBe(true)
  expect(new Set(chunks.flatMap((c) => c.split(' ')))).toEqual(new Set(words))
  expect(chunkText(words.join(' '), 2)).toHaveLength(2)
  expect(chunkText('  ')).toEqual([])
  expect(chunkText('Term sheet attached.')).toEqual(['Term sheet attached.'])
})

describeEachDialect('the indexer over the embedded store', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let context: IntegrationContext
  let standin: EmbeddingsStandin
  const db = () => t.db as unknown as Kysely<EmailDatabase>

  const setupOf = (model = 'standin'): VectorSetup => ({
    embeddings: createEmbeddingsClient({ url: standin.url, model }, { retries: 0 }),
    store: createEmbeddedStore(db(), { model }),
  })
  const indexerOf = (vectors: VectorSetup | null) => createIndexer(context, createBlobStore(w.attachmentsDir), vectors)
  const visibleIds = async () => (await db().selectFrom('emails').select('id').where('hidden_at', 'is', null).orderBy('id').execute()).map((r) => r.id)
  const idOf = async (subject: string) => (await db().selectFrom('emails').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()).id

  /** Every visible email in the store exactly once, with the row's chunk count, and nothing else. */
  async function expectInStep(vectors: VectorSetup): Promise<void> {
    const counts = await vectors.store.countByEmail()
    const rows = await db().selectFrom('email_vector_index').select(['email_id', 'chunks', 'store', 'model']).orderBy('email_id').execute()
    const visible = await visibleIds()
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(visible)
    expect(rows.map((r) => r.email_id)).toEqual(visible)
    for (const r of rows) {
      expect(counts.get(r.email_id)).toBe(r.chunks)
      expect(r).toMatchObject({ store: vectors.store.key, model: vectors.embeddings.model })
    }
  }

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    const long = Array.from({ length: 400 }, (_, i) => `clause${i}`).join(' ')
    w.emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Term sheet', body: `The term sheet. ${long}` }).raw)
    w.emu.addMessage(ANN, mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', body: 'Happy to introduce our team.' }).raw)
    w.emu.addMessage(BOB, mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', body: 'Please wire the capital call by Friday.' }).raw)
    w.emu.addMessage(BOB, mail({ from: 'Dana Diaz <dana@gmail.com>', to: [BOB], subject: 'Coffee?', body: 'Coffee next week?' }).raw)
    await w.email.sync.runAll()
    context = { ...testContext(t.db), directory: () => Promise.resolve(DIRECTORY) }
    standin = await startEmbeddingsStandin({ dimension: 32 })
  })

  afterEach(async () => {
    await standin.close()
    await w.close()
    await t.close()
  })

  it('embeds every visible email once, long ones in several chunks, and a second run does nothing', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    const visible = await visibleIds()
    expect(visible.length).toBe(4)
    expect((await indexer.status()).pending).toBe(4)
    const report = await indexer.run()
    expect(report).toMatchObject({ embedded: 4, removed: 0, payloadsUpdated: 0, pending: 0, error: null })
    await expectInStep(vectors)
    const counts = await vectors.store.countByEmail()
    const term = counts.get(await idOf('Term sheet')) ?? 0
    expect(term).toBeGreaterThan(1)
    expect(term).toBeLessThanOrEqual(MAX_CHUNKS_PER_EMAIL)
    expect(report.chunks).toBe([...counts.values()].reduce((a, b) => a + b, 0))
    const calls = standin.calls
    const again = await indexer.run()
    expect(again).toMatchObject({ embedded: 0, chunks: 0, removed: 0, payloadsUpdated: 0, pending: 0, error: null })
    await expectInStep(vectors)
    // At most the probe that tells the dimension: no email was embedded again.
    expect(standin.calls - calls).toBeLessThanOrEqual(1)
    const status = await indexer.status()
    expect(status).toMatchObject({ store: 'embedded', model: 'standin', visible: 4, indexed: 4, pending: 0 })
    expect(status.lastRun?.report).toEqual(again)
  })

  it('a hidden email leaves the store at the next run, and comes back once restored', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    await indexer.run()
    const id = await idOf('Capital call')
    await w.email.emails.hide(String(id), EVE)
    expect((await indexer.run()).removed).toBe(1)
    expect((await vectors.store.countByEmail()).has(id)).toBe(false)
    await expectInStep(vectors)
    await w.email.emails.restore(String(id), { actor: EVE })
    expect((await indexer.run()).embedded).toBe(1)
    expect((await vectors.store.countByEmail()).has(id)).toBe(true)
    await expectInStep(vectors)
  })

  it('a purge takes the vectors with the mail at once, and removeStale forgets its rows', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    await indexer.run()
    const id = await idOf('Globex intro')
    await w.email.purge({ address: 'ceo@globex.example' })
    expect((await vectors.store.countByEmail()).has(id)).toBe(false)
    expect(await indexer.removeStale()).toBe(1)
    expect(await indexer.removeStale()).toBe(0)
    await expectInStep(vectors)
  })

  it('a sharing change marks the payloads of the account\'s mail, and the next run rewrites them without embedding', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    await indexer.run()
    await w.email.accounts.setSharing(BOB, 'subject', { actor: EVE })
    const dirty = await db().selectFrom('email_vector_index').select('email_id').where('payload_dirty', '=', 1).execute()
    expect(dirty.map((r) => r.email_id).sort()).toEqual([await idOf('Capital call'), await idOf('Coffee?')].sort())
    const report = await indexer.run()
    expect(report).toMatchObject({ embedded: 0, payloadsUpdated: 2, error: null })
    expect(await db().selectFrom('email_vector_index').select('email_id').where('payload_dirty', '<>', 0).execute()).toEqual([])
  })

  it('a new model re-embeds everything; an outdated mark re-embeds one email', async () => {
    await indexerOf(setupOf()).run()
    const next = setupOf('standin-2')
    const report = await indexerOf(next).run()
    expect(report).toMatchObject({ embedded: 4, pending: 0, error: null })
    await expectInStep(next)
    const id = await idOf('Coffee?')
    await db().updateTable('email_vector_index').set({ model: '' }).where('email_id', '=', id).execute()
    expect((await indexerOf(next).run()).embedded).toBe(1)
    await expectInStep(next)
  })

  it('the embeddings endpoint down stops the run with its error and marks nothing done; the next run completes', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    standin.setDown(true)
    const failed = await indexer.run()
    expect(failed.error).not.toBeNull()
    expect(failed).toMatchObject({ embedded: 0, pending: 4 })
    expect(await db().selectFrom('email_vector_index').select('email_id').execute()).toEqual([])
    standin.setDown(false)
    expect(await indexer.run()).toMatchObject({ embedded: 4, pending: 0, error: null })
    await expectInStep(vectors)
  })

  it('honours limit and signal: a bounded run leaves the rest pending for the next', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    expect(await indexer.run({ limit: 1 })).toMatchObject({ embedded: 1, pending: 3 })
    const stopped = new AbortController()
    stopped.abort()
    const aborted = await indexer.run({ signal: stopped.signal })
    expect(aborted.error).not.toBeNull()
    expect(aborted.pending).toBe(3)
    expect(await indexer.run()).toMatchObject({ embedded: 3, pending: 0, error: null })
    await expectInStep(vectors)
  })

  it('the integration runs it after a scheduled sync and from email.search.index(), reports it in its status, and a private thread dirties its payloads', async () => {
    const email = w.integration({ embeddings: { url: standin.url, model: 'standin' } })
    try {
      expect((await email.status()).index).toMatchObject({ store: 'embedded', model: 'standin', visible: 4, indexed: 0, pending: 4 })
      await email.scheduler.runNow().reports
      const status = await email.status()
      expect(status.index).toMatchObject({ visible: 4, indexed: 4, pending: 0 })
      expect(status.index.lastRun?.report).toMatchObject({ embedded: 4, error: null })
      const thread = await db().selectFrom('emails').select('thread_id').where('subject', '=', 'Coffee?').executeTakeFirstOrThrow()
      await email.threads.setPrivate(thread.thread_id, true, { actor: BOB })
      const dirty = await db().selectFrom('email_vector_index').select('email_id').where('payload_dirty', '=', 1).execute()
      expect(dirty.map((r) => r.email_id)).toEqual([await idOf('Coffee?')])
      expect(await email.search.index()).toMatchObject({ embedded: 0, payloadsUpdated: 1, error: null })
    } finally {
      await email.close()
    }
  })

  it('a copy of an indexed email captured from another mailbox dirties its payload, rewritten at the next run', async () => {
    const vectors = setupOf()
    const indexer = indexerOf(vectors)
    const shared = mail({ from: 'partner@acme.vc', to: [ANN, BOB], subject: 'Shared memo', body: 'For both of you.' })
    w.emu.addMessage(ANN, shared.raw)
    await w.email.sync.runAll()
    expect((await indexer.run()).embedded).toBe(5)
    w.emu.addMessage(BOB, shared.raw)
    await w.email.sync.runAll()
    const id = await idOf('Shared memo')
    const dirty = await db().selectFrom('email_vector_index').select('email_id').where('payload_dirty', '=', 1).execute()
    expect(dirty.map((r) => r.email_id)).toEqual([id])
    expect(await indexer.run()).toMatchObject({ embedded: 0, payloadsUpdated: 1, error: null })
    await expectInStep(vectors)
  })

  it('without vectors a run reads attachment texts only and reports nothing pending', async () => {
    const report = await indexerOf(null).run()
    expect(report).toMatchObject({ embedded: 0, chunks: 0, removed: 0, pending: 0, error: null })
    expect(await indexerOf(null).status()).toMatchObject({ store: null, model: null, visible: 4, indexed: 0, pending: 0 })
  })
})
