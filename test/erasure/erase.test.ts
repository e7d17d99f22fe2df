import { existsSync, renameSync } from 'node:fs'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createBlobStore, type BlobStore } from '../../src/db/blob-store.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { eraseEmails } from '../../src/erasure/erase.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { sharingWorld, type SharingWorld } from '../helpers/sharing-world.js'
import { CAT } from '../helpers/team.js'
import { filesUnder } from './residue.js'

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

  it('deletes an emptied thread with its Gmail thread keys and private mark', async () => {
    const threadId = Number(w.emails.gamma.threadId)
    await db.insertInto('email_private_threads').values({ thread_id: threadId, marked_by: CAT, marked_at: new Date().toISOString() }).execute()
    await erase([w.emails.gamma.emailId])
    expect(await db.selectFrom('email_thread_keys').select('thread_id').where('thread_id', '=', threadId).execute()).toEqual([])
    expect(await db.selectFrom('email_private_threads').select('thread_id').where('thread_id', '=', threadId).execute()).toEqual([])
  })

  it('finishes the files after a crash between the commit and their deletion, set-aside copies included', async () => {
    const blobs = createBlobStore(w.attachmentsDir)
    const [row] = await db.selectFrom('email_attachments').select('sha256').where('email_id', '=', Number(w.emails.gamma.emailId)).execute()
    const sha256 = row?.sha256 ?? ''
    const crashing: BlobStore = { ...blobs, pathOf: () => { throw new Error('killed') } }
    await expect(eraseEmails(testContext(db), crashing, [Number(w.emails.gamma.emailId)])).rejects.toThrow('killed')
    // The email is gone; its file is still there, and on record.
    expect(await db.selectFrom('emails').select('id').where('id', '=', Number(w.emails.gamma.emailId)).execute()).toEqual([])
    expect(existsSync(blobs.pathOf(sha256))).toBe(true)
    expect(await db.selectFrom('email_blob_erasures').select('sha256').execute()).toEqual([{ sha256 }])
    // A collection killed after setting the file aside and releasing its row.
    renameSync(blobs.pathOf(sha256), `${blobs.pathOf(sha256)}.gc-1-00ff`)
    await db.deleteFrom('email_blobs').where('sha256', '=', sha256).execute()

    expect(await erase([])).toEqual({ emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0 })
    expect(filesUnder(w.attachmentsDir).filter((f) => f.includes(sha256))).toEqual([])
    expect(await db.selectFrom('email_blob_erasures').select('sha256').execute()).toEqual([])
  })

  it('keeps a queued content that an attachment references again', async () => {
    const [row] = await db.selectFrom('email_attachments').select('sha256').where('email_id', '=', Number(w.emails.alpha.emailId)).execute()
    const sha256 = row?.sha256 ?? ''
    await db.insertInto('email_blob_erasures').values({ sha256, queued_at: new Date().toISOString() }).execute()
    expect(await erase([])).toMatchObject({ blobsRemoved: 0 })
    expect(existsSync(createBlobStore(w.attachmentsDir).pathOf(sha256))).toBe(true)
    expect(await db.selectFrom('email_blob_erasures').select('sha256').execute()).toEqual([])
    const alpha = await w.email.emails.get(w.emails.alpha.emailId)
    expect(alpha.attachments).toHaveLength(1)
  })
})
