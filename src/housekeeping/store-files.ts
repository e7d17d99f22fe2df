import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** A folder level of the blob store's layout: two hex digits of the hash. */
const LAYOUT_FOLDER = /^[0-9a-f]{2}$/

/** A file in one of the blob store's leaf folders, with what `stat` said of it. */
export interface StoreFile {
  readonly name: string
  readonly path: string
  readonly mtimeMs: number
  readonly size: number
}

/**
 * The files in the blob store's leaf folders (`<dir>/<xx>/<yy>/`), the only places the store
 * writes; anything else under `dir` is not the store's and is left alone. A file gone between
 * the listing and its `stat` (another process removed it) is skipped; a store never written to
 * (no `dir`) holds nothing.
 *
 * @example
 * ```ts
 * for (const file of await storeFiles(blobs.dir)) console.log(file.name, file.size)
 * ```
 */
export async function storeFiles(dir: string): Promise<StoreFile[]> {
  const files: StoreFile[] = []
  for (const first of await folders(dir)) {
    for (const second of await folders(join(dir, first))) {
      const leaf = join(dir, first, second)
      for (const entry of await entries(leaf)) {
        if (!entry.isFile()) continue
        const path = join(leaf, entry.name)
        const info = await statOrNull(path)
        if (info !== null) files.push({ name: entry.name, path, mtimeMs: info.mtimeMs, size: info.size })
      }
    }
  }
  return files
}

async function folders(dir: string): Promise<string[]> {
  return (await entries(dir)).filter((e) => e.isDirectory() && LAYOUT_FOLDER.test(e.name)).map((e) => e.name)
}

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }
}

/**
 * `stat` of a path, or `null` when it is gone.
 *
 * @example
 * ```ts
 * const info = await statOrNull(blobs.pathOf(sha256))
 * ```
 */
export async function statOrNull(path: string) {
  try {
    return await stat(path)
  } catch (error) {
    if (isMissing(error)) return null
    throw error
  }
}

/**
 * Whether a file-system error says the path is not there.
 *
 * @example
 * ```ts
 * await rm(path).catch((error: unknown) => { if (!isMissing(error)) throw error })
 * ```
 */
export function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT'
}
