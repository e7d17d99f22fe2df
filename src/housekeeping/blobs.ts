import { randomBytes } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Kysely } from 'kysely'
import { SHA256_PATTERN, type BlobStore } from '../db/blob-store.js'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { isMissing, statOrNull, storeFiles, type StoreFile } from './store-files.js'

/**
 * How long a blob file must have gone untouched before it may be collected. A capture writes
 * (or, when the content is already stored, touches) the blob before the transaction that
 * commits the attachment row referencing it, so a blob in use by a capture in flight is always
 * younger than this; a day is far beyond any page's transaction, and collecting a day late
 * costs only disk.
 */
export const BLOB_MIN_AGE_MS = 24 * 60 * 60 * 1000

/**
 * How long a set-aside file (`<sha256>.gc-<ms>-<hex>`) may stand before another run puts it
 * back: a live collection holds one for a few milliseconds, so an older one is what a crash left.
 */
const SET_ASIDE_MAX_AGE_MS = 60 * 60 * 1000

const SET_ASIDE_NAME = /^([0-9a-f]{64})\.gc-(\d{1,15})-[0-9a-f]+$/

/** What one collection removed. */
export interface BlobCollection {
  /** Blob files deleted (with their `email_blobs` rows). */
  readonly removed: number
  /** Their total size in bytes. */
  readonly bytesFreed: number
  /** Set-aside files a crashed run left, put back in place. */
  readonly restored: number
}

/** Options of {@link collectUnreferencedBlobs}. */
export interface CollectOptions {
  /** The current time as the file system counts it (`Date.now()`): mtimes are compared with it. */
  readonly nowMs: number
  /** Age below which a blob is kept (default {@link BLOB_MIN_AGE_MS}). */
  readonly minAgeMs?: number
  /** Called with the unreferenced hashes found, before any is removed (tests race a commit here). */
  readonly afterScan?: (sha256s: readonly string[]) => Promise<void>
}

/**
 * Deletes blob files that no attachment row references and that have gone untouched for
 * {@link BLOB_MIN_AGE_MS}, with their `email_blobs` rows. Each candidate is first renamed
 * aside, so a concurrent `put` either touched it before (its mtime moved: it is put back) or
 * finds it gone and writes it afresh; then, in one transaction, the references are read again
 * (a row committed since the scan keeps the blob: it is put back) and the `email_blobs` row is
 * deleted; the file goes last. A crash at any point leaves either a set-aside file (put back by
 * the next run, which then decides again) or a file without a row (collected by the next run):
 * never an attachment row without its file.
 *
 * @example
 * ```ts
 * const { removed, bytesFreed } = await collectUnreferencedBlobs(context.db, blobs, { nowMs: Date.now() })
 * ```
 */
export async function collectUnreferencedBlobs(db: Kysely<EmailDatabase>, blobs: BlobStore, options: CollectOptions): Promise<BlobCollection> {
  const minAgeMs = options.minAgeMs ?? BLOB_MIN_AGE_MS
  let files = await storeFiles(blobs.dir)
  const restored = await restoreSetAside(files, options.nowMs)
  if (restored > 0) files = await storeFiles(blobs.dir)
  const old = files.filter((f) => SHA256_PATTERN.test(f.name) && blobs.pathOf(f.name) === f.path && options.nowMs - f.mtimeMs >= minAgeMs)
  const referenced = await queryInChunks(
    old.map((f) => f.name),
    (chunk) => db.selectFrom('email_attachments').select('sha256').distinct().where('sha256', 'in', chunk).execute(),
  )
  const kept = new Set(referenced.map((r) => r.sha256))
  const candidates = old.filter((f) => !kept.has(f.name))
  await options.afterScan?.(candidates.map((f) => f.name))
  let removed = 0
  let bytesFreed = 0
  for (const file of candidates) {
    if (!(await collect(db, file, options.nowMs))) continue
    removed += 1
    bytesFreed += file.size
  }
  return { removed, bytesFreed, restored }
}

/** Removes one blob unless it came back into use; `true` when it is gone. */
async function collect(db: Kysely<EmailDatabase>, file: StoreFile, nowMs: number): Promise<boolean> {
  const aside = `${file.path}.gc-${nowMs}-${randomBytes(4).toString('hex')}`
  try {
    await rename(file.path, aside)
  } catch (error) {
    // Another run took it first.
    if (isMissing(error)) return false
    throw error
  }
  const info = await statOrNull(aside)
  if (info === null) return false
  if (info.mtimeMs > file.mtimeMs) return putBack(aside, file.path)
  const outcome = await db
    .transaction()
    .execute(async (trx) => {
      const row = await trx.selectFrom('email_attachments').select('id').where('sha256', '=', file.name).limit(1).executeTakeFirst()
      if (row !== undefined) return 'referenced'
      // A put since the rename wrote the content afresh: a capture is about to reference it.
      if ((await statOrNull(file.path)) !== null) return 'rewritten'
      await trx.deleteFrom('email_blobs').where('sha256', '=', file.name).execute()
      return 'released'
    })
    // On PostgreSQL a capture holding the row (its upsert locks it) may reference it before the
    // delete runs: the delete then waits for that commit and fails its foreign key.
    .catch((error: unknown) => {
      if (isForeignKeyViolation(error)) return 'referenced' as const
      throw error
    })
  if (outcome === 'referenced') return putBack(aside, file.path)
  await rm(aside, { force: true })
  return outcome === 'released'
}

/** Moves a set-aside file back to its blob path (identical bytes, should a put have written it meanwhile). */
async function putBack(aside: string, target: string): Promise<false> {
  try {
    await rename(aside, target)
  } catch (error) {
    if (!isMissing(error)) throw error
  }
  return false
}

/** Puts back the set-aside files a crashed run left (old enough not to be a live run's). */
async function restoreSetAside(files: readonly StoreFile[], nowMs: number): Promise<number> {
  let restored = 0
  for (const file of files) {
    const [, sha256, setAsideMs] = SET_ASIDE_NAME.exec(file.name) ?? []
    if (sha256 === undefined || nowMs - Number(setAsideMs) < SET_ASIDE_MAX_AGE_MS) continue
    await putBack(file.path, join(dirname(file.path), sha256))
    restored += 1
  }
  return restored
}

/** PostgreSQL's foreign_key_violation (SQLSTATE 23503). */
function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503'
}
