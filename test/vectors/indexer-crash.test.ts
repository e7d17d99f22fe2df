import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBlobStore } from '../../src/db/blob-store.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import { createIndexer } from '../../src/vectors/indexer.js'
import { testContext } from '../helpers/context.js'
import { runKillableChild } from '../helpers/kill-child.js'
import { buildSyncChild, openSqliteFile } from '../helpers/sync/process.js'
import type { IndexerTarget } from './indexer-crash-child.js'

// The indexer killed with SIGKILL after its N-th statement, several times over a few hundred
// emails: the next run completes, and the store holds every visible email exactly once.

const EMAILS = 300
const MODEL = 'standin'

describe('the indexer killed with SIGKILL (SQLite file, embedded store)', () => {
  let t: ReturnType<typeof openSqliteFile>
  let dir: string
  let standin: EmbeddingsStandin
  let built: Awaited<ReturnType<typeof buildSyncChild>>
  const db = () => t.db as unknown as Kysely<EmailDatabase>

  beforeAll(async () => {
    t = openSqliteFile()
    dir = mkdtempSync(join(tmpdir(), 'email-indexer-crash-'))
    standin = await startEmbeddingsStandin({ dimension: 16 })
    built = await buildSyncChild('../vectors/indexer-crash-child')
    await migrateToLatest(t.db as unknown as Kysely<unknown>)
    const at = '2026-06-01T12:00:00.000Z'
    const thread = await db().insertInto('email_threads').values({ subject: 'Notes', first_at: at, last_at: at, merged_into: null, created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()
    for (let i = 0; i < EMAILS; i++) {
      await db().insertInto('emails').values({
        message_id: `m${i}@acme.vc`, fingerprint: `f${i}`, thread_id: thread.id, subject: `Notes ${i}`, from_address: 'partner@acme.vc', from_name: null,
        sent_at: at, in_reply_to: null, snippet: '', body_text: `Round ${i}: ${'word '.repeat(i % 7 === 0 ? 400 : 20)}`, body_html: null, size_bytes: null,
        // Every tenth email is hidden: it must never reach the store.
        hidden_at: i % 10 === 9 ? at : null, hidden_by: null, created_at: at, updated_at: at,
      }).execute()
    }
  }, 120_000)

  afterAll(async () => {
    built.remove()
    await standin.close()
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('resumes after every kill without duplicates, and ends with every visible email stored exactly once', async () => {
    const target: IndexerTarget = { sqlite: t.path, dir, embeddingsUrl: standin.url, model: MODEL }
    const indexed = async () => (await db().selectFrom('email_vector_index').select('email_id').execute()).length
    let stoppedMidway = false
    for (const killAfter of [3, 25, 60, 140, 300]) {
      const output = await runKillableChild(built.script, 'INDEXER_CHILD', { ...target, killAfter })
      expect(output).not.toMatch(/Error/)
      const n = await indexed()
      if (!output.includes('done') && n > 0 && n < EMAILS * 0.9) stoppedMidway = true
    }
    expect(stoppedMidway).toBe(true)
    const vectors = { embeddings: createEmbeddingsClient({ url: standin.url, model: MODEL }), store: createEmbeddedStore(db(), { model: MODEL }) }
    const indexer = createIndexer(testContext(t.db), createBlobStore(dir), vectors)
    expect((await indexer.run({ limit: 100_000 })).error).toBeNull()
    expect(await indexer.run()).toMatchObject({ embedded: 0, pending: 0, error: null })
    const visible = (await db().selectFrom('emails').select('id').where('hidden_at', 'is', null).orderBy('id').execute()).map((r) => r.id)
    const rows = await db().selectFrom('email_vector_index').select(['email_id', 'chunks']).orderBy('email_id').execute()
    const counts = await vectors.store.countByEmail()
    expect(rows.map((r) => r.email_id)).toEqual(visible)
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(visible)
    for (const r of rows) expect(counts.get(r.email_id)).toBe(r.chunks)
    // Exactly once: no (email, chunk) pair twice, chunks numbered from 0 without gaps.
    const points = await db().selectFrom('email_vector_chunks').select(['email_id', 'chunk']).orderBy('email_id').orderBy('chunk').execute()
    const seen = new Map<number, number[]>()
    for (const p of points) seen.set(p.email_id, [...(seen.get(p.email_id) ?? []), p.chunk])
    for (const [id, chunks] of seen) expect(chunks).toEqual([...Array(counts.get(id)).keys()])
  }, 300_000)
})
