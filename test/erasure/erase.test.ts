import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createBlobStore } from '../../src/db/blob-store.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { eraseEmails } from '../../src/erasure/erase.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { sharingWorld, type SharingWorld } from '../helpers/sharing-world.js'

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

describeEachDialect('eraseEmails', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  let db: Kysely<EmailDatabase>

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
    db = t.db as unknown as Kysely<EmailDatabase>
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  const erase = (ids: readonly string[]) => eraseEmails(testContext(db), createBlobStore(w.attachmentsDir), ids.map(Number))

  it('deletes the emails from every table, the index and the store, and leaves the others whole', async () => {
    const before = filesUnder(w.attachmentsDir).length
    const counts = await erase([w.emails.gamma.emailId, w.emails.delta.emailId])
    expect(counts.emails).toBe(2)
    expect(counts.attachments).toBe(2)
    expect(counts.blobsRemoved).toBe(2)
    expect(counts.bytesFreed).toBeGreaterThan(0)
    expect(filesUnder(w.attachmentsDir)).toHaveLength(before - 2)
    const ids = [Number(w.emails.gamma.emailId), Number(w.emails.delta.emailId)]
    for (const table of ['email_participants', 'email_copies', 'email_attachments', 'email_identity_links', 'email_references'] as const) {
      expect(await db.selectFrom(table).select('email_id').where('email_id', 'in', ids).execute()).toEqual([])
    }
    expect(await db.selectFrom('email_threads').select('id').where('id', 'in', [Number(w.emails.gamma.threadId), Number(w.emails.delta.threadId)]).execute()).toEqual([])
    expect((await w.email.search('gammabody')).items).toEqual([])
    expect((await w.email.search('alphabody')).items).toHaveLength(1)
    expect(await erase([w.emails.gamma.emailId])).toEqual({ emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0 })
  })
})
