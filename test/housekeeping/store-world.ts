import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { createEmailIntegration, type EmailDatabase, type EmailIntegration } from '../../src/index.js'
import { createBlobStore, type BlobStore } from '../../src/db/blob-store.js'
import type { TestDatabase } from '../helpers/databases.js'

// A migrated database with one email and an attachment store in a folder of its own, where a
// test stores blobs of any age and points attachment rows at them.

export const HOUR_MS = 60 * 60 * 1000
export const DAY_MS = 24 * HOUR_MS

/** A stored blob of the world. */
export interface WorldBlob {
  readonly sha256: string
  readonly size: number
  readonly path: string
}

export interface StoreWorld {
  readonly email: EmailIntegration
  readonly db: Kysely<EmailDatabase>
  readonly blobs: BlobStore
  readonly dir: string
  /** Stores random bytes as a blob whose file was last written `ageMs` ago. */
  blob(ageMs: number, size?: number): Promise<WorldBlob>
  /** Commits an attachment row (stored, of the world's email) referencing the blob, as a capture does. */
  reference(blob: WorldBlob): Promise<void>
  /** Writes a temporary file beside a blob, as a `put` cut short leaves, last written `ageMs` ago. */
  tempFile(ageMs: number): string
  /** Sets a file's mtime to `ageMs` ago. */
  age(path: string, ageMs: number): void
  exists(path: string): boolean
  close(): Promise<void>
}

/** Opens the world over a fresh test database. */
export async function storeWorld(t: TestDatabase): Promise<StoreWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'email-housekeeping-'))
  const email = createEmailIntegration({ db: t.db, config: { attachmentsDir: dir }, directory: () => Promise.resolve([]) })
  await email.migrate()
  const db = t.db as unknown as Kysely<EmailDatabase>
  const blobs = createBlobStore(dir)
  const now = new Date().toISOString()
  const thread = await db.insertInto('email_threads').values({ subject: 'Deck', first_at: now, last_at: now, merged_into: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()
  const row = await db
    .insertInto('emails')
    .values({
      message_id: 'deck@acme.vc', fingerprint: 'f', thread_id: thread.id, subject: 'Deck', from_address: 'dana@acme.vc', from_name: null, sent_at: now,
      in_reply_to: null, snippet: '', body_text: null, body_html: null, size_bytes: null, hidden_at: null, hidden_by: null, created_at: now, updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  let position = 0
  const age = (path: string, ageMs: number) => {
    const at = new Date(Date.now() - ageMs)
    utimesSync(path, at, at)
  }
  return {
    email,
    db,
    blobs,
    dir,
    age,
    exists: existsSync,
    async blob(ageMs, size = 1000) {
      const stored = await blobs.put(randomBytes(size))
      const path = blobs.pathOf(stored.sha256)
      age(path, ageMs)
      return { ...stored, path }
    },
    async reference(blob) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('email_blobs').values({ sha256: blob.sha256, size: blob.size, created_at: now }).onConflict((oc) => oc.column('sha256').doNothing()).execute()
        await trx
          .insertInto('email_attachments')
          .values({
            email_id: row.id, position: position++, copy_id: null, gmail_attachment_id: null, part_id: null, filename: 'deck.pdf', mime_type: 'application/pdf',
            size: blob.size, content_id: null, sha256: blob.sha256, status: 'stored', error: null, created_at: now, updated_at: now,
          })
          .execute()
      })
    },
    tempFile(ageMs) {
      const sha = randomBytes(32).toString('hex')
      const path = `${blobs.pathOf(sha)}.tmp-${randomBytes(6).toString('hex')}`
      mkdirSync(join(dir, sha.slice(0, 2), sha.slice(2, 4)), { recursive: true })
      writeFileSync(path, randomBytes(100))
      age(path, ageMs)
      return path
    },
    async close() {
      await email.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
