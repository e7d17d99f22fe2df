import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat, utimes } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** A sha256 in lower-case hex: the only thing that ever becomes a path in the store. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/

/** What `put` appends to a blob's path to name the file it writes before the rename. */
export const TEMP_MARKER = '.tmp-'

/** A stored blob: its content hash and size. */
export interface StoredBlob {
  readonly sha256: string
  readonly size: number
}

/**
 * The content-addressed attachment store: each distinct content is one file at
 * `<dir>/<sha256[0:2]>/<sha256[2:4]>/<sha256>`, however many emails carry it. A file is
 * written to a temporary name in its final folder and renamed into place, so a reader (or a
 * crash) never sees half a file; the rename is atomic and idempotent for identical content.
 * File names from mail never reach the file system: only the hash does. Storing content that is
 * already there refreshes the file's mtime: housekeeping only collects blobs untouched for a
 * day, so a blob a capture is about to reference is never collected under it.
 */
export interface BlobStore {
  /** The store's root folder. */
  readonly dir: string
  /**
   * Stores bytes (if not already there) and returns their hash and size.
   *
   * @example
   * ```ts
   * const { sha256 } = await store.put(bytes)
   * ```
   */
  put(bytes: Uint8Array): Promise<StoredBlob>
  /** Whether a blob is stored. */
  has(sha256: string): Promise<boolean>
  /** A stream of a stored blob's bytes; throws when the hash is malformed. */
  read(sha256: string): ReadStream
  /** The file of a blob; throws when the hash is malformed. */
  pathOf(sha256: string): string
}

/**
 * Opens (and lazily creates) a blob store under `dir`.
 *
 * @example
 * ```ts
 * const store = createBlobStore(config.attachmentsDir)
 * ```
 */
export function createBlobStore(dir: string): BlobStore {
  const pathOf = (sha256: string): string => {
    if (!SHA256_PATTERN.test(sha256)) throw new TypeError('not a sha256 hex digest')
    return join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256)
  }
  const has = async (sha256: string): Promise<boolean> => {
    try {
      return (await stat(pathOf(sha256))).isFile()
    } catch {
      return false
    }
  }
  /** Marks a stored blob as in use now; `false` when it is not there (or cannot be touched: then it is rewritten). */
  const touch = async (file: string): Promise<boolean> => {
    try {
      const now = new Date()
      await utimes(file, now, now)
      return true
    } catch {
      return false
    }
  }
  return {
    dir,
    pathOf,
    has,
    read: (sha256) => createReadStream(pathOf(sha256)),
    async put(bytes) {
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      const target = pathOf(sha256)
      const blob = { sha256, size: bytes.byteLength }
      if (await touch(target)) return blob
      await mkdir(dirname(target), { recursive: true })
      const temp = `${target}${TEMP_MARKER}${randomBytes(6).toString('hex')}`
      try {
        const handle = await open(temp, 'wx', 0o600)
        try {
          await handle.writeFile(bytes)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await rename(temp, target)
      } catch (error) {
        await rm(temp, { force: true })
        throw error
      }
      return blob
    },
  }
}
