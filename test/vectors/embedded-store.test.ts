import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { EmailDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { DIMENSION, filterOf, point, QUERY, storeContract, type StoreWorld } from './store-contract.js'

/** Inserts `count` emails in one thread, as capture would have stored them. */
async function insertEmails(db: Kysely<EmailDatabase>, count: number): Promise<number[]> {
  const now = new Date().toISOString()
  const thread = await db.insertInto('email_threads').values({ subject: 'Deck', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()
  const ids: number[] = []
  for (let start = 0; start < count; start += 200) {
    const rows = Array.from({ length: Math.min(200, count - start) }, (_, i) => ({
      message_id: `m${start + i}-${Math.random()}@acme.vc`,
      fingerprint: `f${start + i}-${Math.random()}`,
      thread_id: thread.id,
      subject: 'Deck',
      sent_at: now,
      snippet: '',
      created_at: now,
      updated_at: now,
    }))
    const inserted = await db.insertInto('emails').values(rows).returning('id').execute()
    ids.push(...inserted.map((r) => r.id))
  }
  return ids.sort((a, b) => a - b)
}

async function embeddedWorld(t: TestDatabase): Promise<StoreWorld & { db: Kysely<EmailDatabase> }> {
  const db = t.db as unknown as Kysely<EmailDatabase>
  await migrateToLatest(t.db as unknown as Kysely<unknown>)
  return {
    db,
    store: createEmbeddedStore(db, { model: 'm' }),
    emails: (count) => insertEmails(db, count),
    another: () => createEmbeddedStore(db, { model: 'm' }),
    close: () => t.close(),
  }
}

describeEachDialect('embedded vector store', (open) => {
  describe('the store contract', () => {
    storeContract(async () => embeddedWorld(await open()))
  })

  it('is named embedded, keeps its rows in email_vector_chunks with the model, and ignores payload', async () => {
    const world = await embeddedWorld(await open())
    try {
      const { store, db } = world
      expect([store.name, store.key]).toEqual(['embedded', 'embedded'])
      const [a] = (await world.emails(1)) as [number]
      expect(await store.prepare(DIMENSION)).toEqual({ reset: false })
      await store.replace([a], [point(a, 0.25, 0, null), point(a, 0.5, 1, 9)])
      const rows = await db.selectFrom('email_vector_chunks').selectAll().orderBy('chunk').execute()
      expect(rows.map((r) => [r.email_id, r.chunk, r.attachment_id, r.model, r.vector.length])).toEqual([
        [a, 0, null, 'm', DIMENSION * 4],
        [a, 1, 9, 'm', DIMENSION * 4],
      ])
      // Little-endian float32, as the table's type says.
      const first = Buffer.from(rows[0]!.vector)
      expect(first.readFloatLE(0)).toBeCloseTo(Math.cos(0.25), 6)
      await store.setPayload(a, { identities: [], date: 0, sharedInFull: false, mailboxes: [] })
      // A payload that would exclude it changes nothing: the SQL check decides.
      const matches = await store.search(QUERY, 5, filterOf(undefined, { identity: 'fund:9', viewerAccountIds: [] }))
      expect(matches.map((m) => m.emailId)).toEqual([a])
    } finally {
      await world.close()
    }
  })

  it('drops the vectors of erased emails at its next search (rows deleted by another path)', async () => {
    const world = await embeddedWorld(await open())
    try {
      const { store, db } = world
      const ids = await world.emails(4)
      await store.prepare(DIMENSION)
      await store.replace(ids, ids.map((id, i) => point(id, i * 0.3)))
      expect((await store.search(QUERY, 10, filterOf())).map((m) => m.emailId)).toEqual(ids)
      // Erasure deletes the email; its vectors go with it (in its transaction, or by the foreign key).
      await db.deleteFrom('email_vector_chunks').where('email_id', '=', ids[1]!).execute()
      await db.deleteFrom('emails').where('id', '=', ids[1]!).execute()
      await db.deleteFrom('emails').where('id', '=', ids[3]!).execute()
      expect((await store.search(QUERY, 10, filterOf())).map((m) => m.emailId)).toEqual([ids[0], ids[2]])
      // Rows added and removed elsewhere with the count unchanged: the maximum id moved, so it reads again.
      const [e] = (await world.emails(1)) as [number]
      await world.another().replace([e], [point(e, 0.05)])
      await db.deleteFrom('email_vector_chunks').where('email_id', '=', ids[2]!).execute()
      expect((await store.search(QUERY, 10, filterOf())).map((m) => m.emailId)).toEqual([ids[0], e])
    } finally {
      await world.close()
    }
  })

  it('holds thousands of vectors across many replaces and removes in step with the table', async () => {
    const world = await embeddedWorld(await open())
    try {
      const { store } = world
      const ids = await world.emails(3000)
      await store.prepare(DIMENSION)
      await store.replace(ids, ids.map((id, i) => point(id, (i / ids.length) * 3)))
      expect((await store.search(QUERY, 1, filterOf()))[0]?.emailId).toBe(ids[0])
      // Re-embedding most of them leaves as many removed rows as live ones in memory.
      await store.replace(ids.slice(0, 2500), ids.slice(0, 2500).map((id, i) => point(id, 3 - (i / ids.length) * 3)))
      await store.remove(ids.slice(2500, 2600))
      const matches = await store.search(QUERY, 3000, filterOf())
      expect(matches).toHaveLength(2900)
      expect(matches[0]?.emailId).toBe(ids[2499])
      expect(matches.at(-1)?.emailId).toBe(ids[0])
      const fresh = await world.another().search(QUERY, 3000, filterOf())
      expect(fresh.map((m) => m.emailId)).toEqual(matches.map((m) => m.emailId))
    } finally {
      await world.close()
    }
  })
})
