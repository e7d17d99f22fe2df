import { randomBytes } from 'node:crypto'
import { readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Kysely } from 'kysely'
import type { BlobStore } from '../db/blob-store.js'
import type { EmailDatabase } from '../db/database.js'
import type { DialectStrategy } from '../db/dialect.js'
import { isMissing, statOrNull } from '../housekeeping/store-files.js'

/** What removing the contents of erased attachments deleted. */
export interface ErasedBlobs {
  /** Blob files deleted (with their `email_blobs` rows). */
  readonly removed: number
  /** Their total size in bytes. */
  readonly bytesFreed: number
}

/** Queued contents read per round: bounds the memory of a very large erasure. */
const QUEUE_PAGE = 500

/**
 * Deletes, at once, the blob files (and `email_blobs` rows) of the queued contents
 * (`email_blob_erasures`, what erased emails carried) that no attachment row references any
 * more, and empties the queue; a content referenced again is kept. Unlike housekeeping, it does not
 * wait for a blob to age, since erased bytes must not stay on disk. Each file is first renamed
 * aside, so a capture storing the same content meanwhile writes it afresh (the rename is then
 * undone); its references are read again in a transaction that (on PostgreSQL) locks the blob's
 * row, which a capture upserts before it references the blob; only then are the row and the
 * file deleted; the queue entry goes last. Set-aside files a crashed run left for these
 * contents are deleted too, so a crash at any point is finished by the next call.
 *
 * @example
 * ```ts
 * const { removed, bytesFreed } = await removeErasedBlobs(context.db, context.dialect, blobs)
 * ```
 */
export async function removeErasedBlobs(db: Kysely<EmailDatabase>, dialect: DialectStrategy, blobs: BlobStore): Promise<ErasedBlobs> {
  let removed = 0
  let bytesFreed = 0
  let after = ''
  for (;;) {
    const page = await db.selectFrom('email_blob_erasures').select('sha256').where('sha256', '>', after).orderBy('sha256').limit(QUEUE_PAGE).execute()
    for (const { sha256 } of page) {
      const freed = await removeOne(db, dialect, blobs, sha256)
      await db.deleteFrom('email_blob_erasures').where('sha256', '=', sha256).execute()
      if (freed === null) continue
      removed += 1
      bytesFreed += freed
    }
    const last = page.at(-1)
    if (last === undefined) return { removed, bytesFreed }
    after = last.sha256
  }
}

/** Removes one content unless it is referenced; the bytes freed, or `null` when nothing was removed. */
async function removeOne(db: Kysely<EmailDatabase>, dialect: DialectStrategy, blobs: BlobStore, sha256: string): Promise<number | null> {
  if (await isReferenced(db, sha256)) return null
  const path = blobs.pathOf(sha256)
  const before = await statOrNull(path)
  const aside = `${path}.gc-${Date.now()}-${randomBytes(4).toString('hex')}`
  if (before !== null && !(await moved(path, aside))) return null
  const after = before === null ? null : await statOrNull(aside)
  // A capture touched the content between the stat and the rename: it is about to reference it.
  if (before !== null && (after === null || after.mtimeMs > before.mtimeMs)) return putBack(aside, path)
  const outcome = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('email_blobs')
      .select('size')
      .where('sha256', '=', sha256)
      .$if(dialect.name === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst()
    if (await isReferenced(trx, sha256)) return 'referenced'
    if (before !== null && (await statOrNull(path)) !== null) return 'rewritten'
    if (row !== undefined) await trx.deleteFrom('email_blobs').where('sha256', '=', sha256).execute()
    return row === undefined && before === null ? 'absent' : 'released'
  })
  if (outcome === 'referenced') return before === null ? null : putBack(aside, path)
  if (before !== null) await rm(aside, { force: true })
  await removeStaleSetAside(path)
  return outcome === 'released' ? (before?.size ?? 0) : null
}

async function isReferenced(db: Kysely<EmailDatabase>, sha256: string): Promise<boolean> {
  const row = await db.selectFrom('email_attachments').select('id').where('sha256', '=', sha256).limit(1).executeTakeFirst()
  return row !== undefined
}

/** Renames a file; `false` when it was gone (another run took it). */
async function moved(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to)
    return true
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

async function putBack(aside: string, path: string): Promise<null> {
  await moved(aside, path)
  return null
}

/** Deletes the set-aside copies (`<sha256>.gc-...`) of a released content that a crashed run left. */
async function removeStaleSetAside(path: string): Promise<void> {
  const folder = dirname(path)
  const prefix = `${basename(path)}.gc-`
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (error) {
    if (isMissing(error)) return
    throw error
  }
  for (const name of names) if (name.startsWith(prefix)) await rm(join(folder, name), { force: true })
}
