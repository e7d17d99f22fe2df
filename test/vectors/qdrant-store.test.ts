import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DisabledError } from '../../src/errors.js'
import { startQdrantStandin, type QdrantStandin } from '../../src/testing/index.js'
import { createQdrantStore } from '../../src/vectors/qdrant-store.js'
import { MAX_CHUNKS_PER_EMAIL } from '../../src/vectors/types.js'
import { DIMENSION, filterOf, PAYLOAD, point, QUERY, storeContract, type StoreWorld } from './store-contract.js'

const REAL_QDRANT = process.env.EMAIL_TEST_QDRANT_URL ?? ''

/** A world over a Qdrant at `url` (the stand-in or a real one), in a collection of its own. */
function qdrantWorld(url: string, close: () => Promise<void>): StoreWorld {
  const collection = `crm_test_${randomBytes(5).toString('hex')}`
  let next = 1
  return {
    store: createQdrantStore(url, { collection }),
    emails: (count) => Promise.resolve(Array.from({ length: count }, () => next++)),
    another: () => createQdrantStore(url, { collection }),
    async close() {
      await fetch(`${url}/collections/${collection}`, { method: 'DELETE' }).catch(() => undefined)
      await close()
    },
  }
}

async function failure(promise: Promise<unknown>): Promise<DisabledError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DisabledError)
  expect(error).toMatchObject({ code: 'backend_unavailable', status: 503 })
  expect((error as Error).message).toMatch(/Qdrant/)
  return error as DisabledError
}

describe('Qdrant vector store (stand-in)', () => {
  describe('the store contract', () => {
    storeContract(async () => {
      const standin = await startQdrantStandin()
      return qdrantWorld(standin.url, () => standin.close())
    })
  })

  let qdrant: QdrantStandin
  beforeEach(async () => {
    qdrant = await startQdrantStandin()
  })
  afterEach(async () => {
    await qdrant.close()
  })

  it('creates its collection with payload indexes once, and stores points by email and chunk', async () => {
    const store = createQdrantStore(qdrant.url)
    expect([store.name, store.key]).toEqual(['qdrant', 'qdrant:crm_emails'])
    expect(await store.search(QUERY, 5, filterOf())).toEqual([])
    expect(await store.prepare(DIMENSION)).toEqual({ reset: true })
    expect(await store.prepare(DIMENSION)).toEqual({ reset: false })
    expect(qdrant.requests.filter((r) => r === 'PUT /collections/crm_emails/index')).toHaveLength(5)
    await store.replace([7], [point(7, 0.1), point(7, 0.2, 3, 41)])
    expect(qdrant.points('crm_emails').map((p) => [p.id, p.payload])).toEqual([
      [7 * MAX_CHUNKS_PER_EMAIL, { email_id: 7, chunk: 0, attachment_id: null, identities: ['fund:1'], date: PAYLOAD.date, shared_in_full: true, mailboxes: [1] }],
      [7 * MAX_CHUNKS_PER_EMAIL + 3, { email_id: 7, chunk: 3, attachment_id: 41, identities: ['fund:1'], date: PAYLOAD.date, shared_in_full: true, mailboxes: [1] }],
    ])
    await expect(store.replace([8], [point(8, 0.1, MAX_CHUNKS_PER_EMAIL)])).rejects.toThrow(RangeError)
  })

  it('prefilters by identity, dates and who may read the email in full, and follows payload changes', async () => {
    const store = createQdrantStore(qdrant.url)
    await store.prepare(DIMENSION)
    const mine = { identities: ['fund:1', 'contact:2'], date: 100, sharedInFull: false, mailboxes: [3] }
    const shared = { identities: ['fund:2'], date: 200, sharedInFull: true, mailboxes: [4] }
    await store.replace([1, 2], [point(1, 0.1, 0, null, mine), point(2, 0.2, 0, null, shared)])
    const ids = async (extra: Parameters<typeof filterOf>[1]) => (await store.search(QUERY, 5, filterOf(undefined, extra))).map((m) => m.emailId)
    expect(await ids({ viewerAccountIds: [3] })).toEqual([1, 2])
    expect(await ids({ viewerAccountIds: [4] })).toEqual([2])
    expect(await ids({ viewerAccountIds: null })).toEqual([2])
    expect(await ids({ viewerAccountIds: [3], identity: 'contact:2' })).toEqual([1])
    expect(await ids({ viewerAccountIds: [3], fromDate: 150 })).toEqual([2])
    expect(await ids({ viewerAccountIds: [3], toDate: 200 })).toEqual([1])
    expect(await ids({ viewerAccountIds: [3], fromDate: 100, toDate: 101 })).toEqual([1])
    await store.setPayload(1, { ...mine, sharedInFull: true })
    expect(await ids({ viewerAccountIds: null })).toEqual([1, 2])
    await store.setPayload(2, { ...shared, identities: [] })
    expect(await ids({ viewerAccountIds: null, identity: 'fund:2' })).toEqual([])
  })

  it('answers 503 naming Qdrant when it is down, slow or refuses, and never shows its key', async () => {
    await qdrant.close()
    qdrant = await startQdrantStandin({ apiKey: 'qd-key-d41d8cd98f00b204e9800998ecf8427e' })
    const withKey = qdrant.url.replace('http://', 'http://:qd-key-d41d8cd98f00b204e9800998ecf8427e@')
    const store = createQdrantStore(withKey)
    expect(await store.prepare(DIMENSION)).toEqual({ reset: true })
    const messages: string[] = []
    const note = (e: DisabledError) => {
      for (let x: unknown = e; x instanceof Error; x = x.cause) messages.push(x.message, String(x.stack))
    }
    note(await failure(createQdrantStore(qdrant.url).prepare(DIMENSION)))
    expect(messages.join()).toMatch(/answered 401/)
    qdrant.setDown(true)
    note(await failure(store.search(QUERY, 5, filterOf())))
    note(await failure(store.replace([1], [point(1, 0)])))
    qdrant.setDown('slow')
    note(await failure(createQdrantStore(withKey, { timeoutMs: 200 }).remove([1])))
    expect(messages.join()).toMatch(/within 200 ms/)
    qdrant.setDown(false)
    await qdrant.close()
    note(await failure(store.countByEmail()))
    expect(messages.join()).toMatch(/not reachable/)
    expect(messages.join()).not.toMatch(/qd-key|d41d8cd98f/)
    qdrant = await startQdrantStandin()
  })

  it('writes to a missing collection are refused rather than lost', async () => {
    const store = createQdrantStore(qdrant.url)
    await failure(store.replace([1], [point(1, 0)]))
    await failure(store.setPayload(1, PAYLOAD))
    expect(await store.countByEmail()).toEqual(new Map())
  })

  it('counts points per email across scroll pages', async () => {
    const store = createQdrantStore(qdrant.url)
    await store.prepare(DIMENSION)
    const ids = Array.from({ length: 700 }, (_, i) => i + 1)
    await store.replace(ids, ids.flatMap((id) => [point(id, 0.1), point(id, 0.2, 1)]))
    const counts = await store.countByEmail()
    expect(counts.size).toBe(700)
    expect([...counts.values()].every((n) => n === 2)).toBe(true)
    expect(qdrant.requests.filter((r) => r.endsWith('/points/scroll')).length).toBeGreaterThan(1)
  })
})

describe.runIf(REAL_QDRANT !== '')('Qdrant vector store (EMAIL_TEST_QDRANT_URL)', () => {
  storeContract(() => Promise.resolve(qdrantWorld(REAL_QDRANT, () => Promise.resolve())))
})
