import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { IntegrationContext } from '../../src/context.js'
import { createBlobStore } from '../../src/db/blob-store.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { startQdrantStandin, type QdrantStandin } from '../../src/testing/qdrant-standin.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import { createIndexer } from '../../src/vectors/indexer.js'
import { createQdrantStore, QDRANT_COLLECTION } from '../../src/vectors/qdrant-store.js'
import { MAX_CHUNKS_PER_EMAIL, type VectorSetup } from '../../src/vectors/types.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const EVE = 'eve@fund.example'

describeEachDialect('the indexer over the Qdrant stand-in', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let context: IntegrationContext
  let embeddings: EmbeddingsStandin
  let qdrant: QdrantStandin
  let vectors: VectorSetup
  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const indexer = () => createIndexer(context, createBlobStore(w.attachmentsDir), vectors)
  const idOf = async (subject: string) => (await db().selectFrom('emails').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()).id

  /** The stand-in's points per email id, read from the point ids (`emailId * MAX_CHUNKS_PER_EMAIL + chunk`). */
  const pointsByEmail = (): Map<number, number> => {
    const counts = new Map<number, number>()
    for (const p of qdrant.points(QDRANT_COLLECTION)) {
      const emailId = Math.floor(p.id / MAX_CHUNKS_PER_EMAIL)
      counts.set(emailId, (counts.get(emailId) ?? 0) + 1)
    }
    return counts
  }

  /** Every visible email in the collection exactly once, with the row's chunk count, nothing else. */
  async function expectInStep(): Promise<void> {
    const visible = (await db().selectFrom('emails').select('id').where('hidden_at', 'is', null).orderBy('id').execute()).map((r) => r.id)
    const rows = await db().selectFrom('email_vector_index').select(['email_id', 'chunks']).orderBy('email_id').execute()
    const counts = pointsByEmail()
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(visible)
    expect(rows.map((r) => r.email_id)).toEqual(visible)
    for (const r of rows) expect(counts.get(r.email_id)).toBe(r.chunks)
    expect(await vectors.store.countByEmail()).toEqual(counts)
  }

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    w.emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Term sheet', body: `Terms. ${'clause '.repeat(600)}` }).raw)
    w.emu.addMessage(ANN, mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', body: 'Happy to introduce our team.' }).raw)
    w.emu.addMessage(BOB, mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', body: 'Please wire the capital call by Friday.' }).raw)
    await w.email.sync.runAll()
    context = { ...testContext(t.db), directory: () => Promise.resolve(DIRECTORY) }
    embeddings = await startEmbeddingsStandin({ dimension: 16 })
    qdrant = await startQdrantStandin()
    vectors = { embeddings: createEmbeddingsClient({ url: embeddings.url, model: 'standin' }, { retries: 0 }), store: createQdrantStore(qdrant.url) }
  })

  afterEach(async () => {
    await qdrant.close()
    await embeddings.close()
    await w.close()
    await t.close()
  })

  it('fills the collection with every visible email once; a second run embeds nothing', async () => {
    expect(await indexer().run()).toMatchObject({ embedded: 3, pending: 0, error: null })
    await expectInStep()
    expect(pointsByEmail().get(await idOf('Term sheet'))).toBeGreaterThan(1)
    expect(await indexer().run()).toMatchObject({ embedded: 0, removed: 0, payloadsUpdated: 0, error: null })
    await expectInStep()
  })

  it('a hidden email leaves the collection at the next run; a purged one once removeStale runs', async () => {
    await indexer().run()
    const hidden = await idOf('Capital call')
    await w.email.emails.hide(String(hidden), EVE)
    expect((await indexer().run()).removed).toBe(1)
    await expectInStep()
    const purged = await idOf('Globex intro')
    await w.email.purge({ address: 'ceo@globex.example' })
    expect(pointsByEmail().has(purged)).toBe(true)
    expect(await indexer().removeStale()).toBe(1)
    expect(pointsByEmail().has(purged)).toBe(false)
    await expectInStep()
  })

  it('a sharing change reaches the payload: sharedInFull false for the account\'s mail', async () => {
    await indexer().run()
    const call = await idOf('Capital call')
    const payloadOf = (emailId: number) => qdrant.points(QDRANT_COLLECTION).filter((p) => Math.floor(p.id / MAX_CHUNKS_PER_EMAIL) === emailId).map((p) => p.payload)
    expect(payloadOf(call).every((p) => p.shared_in_full === true)).toBe(true)
    await w.email.accounts.setSharing(BOB, 'subject', { actor: EVE })
    expect(await indexer().run()).toMatchObject({ embedded: 0, payloadsUpdated: 1, error: null })
    expect(payloadOf(call).length).toBeGreaterThan(0)
    expect(payloadOf(call).every((p) => p.shared_in_full === false)).toBe(true)
    expect(payloadOf(await idOf('Globex intro')).every((p) => p.shared_in_full === true)).toBe(true)
  })

  it('an emptied Qdrant (restarted without its data) is seen at the next run, which indexes everything again', async () => {
    await indexer().run()
    const dropped = await fetch(`${qdrant.url}/collections/${QDRANT_COLLECTION}`, { method: 'DELETE' })
    expect(dropped.ok).toBe(true)
    expect(qdrant.hasCollection(QDRANT_COLLECTION)).toBe(false)
    expect(await indexer().run()).toMatchObject({ embedded: 3, pending: 0, error: null })
    await expectInStep()
  })

  it('Qdrant down stops the run with a redacted error and marks nothing done; the next run completes', async () => {
    qdrant.setDown(true)
    const failed = await indexer().run()
    expect(failed.error).toMatch(/Qdrant/)
    expect(failed.pending).toBe(3)
    expect(await db().selectFrom('email_vector_index').select('email_id').execute()).toEqual([])
    qdrant.setDown(false)
    expect(await indexer().run()).toMatchObject({ embedded: 3, pending: 0, error: null })
    await expectInStep()
  })
})
