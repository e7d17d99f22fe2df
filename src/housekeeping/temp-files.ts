import { rm } from 'node:fs/promises'
import { TEMP_MARKER } from '../db/blob-store.js'
import { isMissing, storeFiles } from './store-files.js'

/**
 * How old a temporary file must be before it counts as left over. `put` writes, syncs and
 * renames its temporary file within seconds; several processes share the attachments folder,
 * so a younger file may be one another live process is writing right now. An hour leaves room
 * for a slow disk or a process paused mid-write, and a leftover only costs disk until then.
 */
export const TEMP_FILE_MIN_AGE_MS = 60 * 60 * 1000

/** A blob store temporary file: `<sha256>.tmp-<hex>`. */
const TEMP_NAME = new RegExp(`^[0-9a-f]{64}${TEMP_MARKER.replace('.', '\\.')}[0-9a-f]+$`)

/**
 * Removes the blob store's temporary files (`<sha256>.tmp-<hex>`, what a crash between write
 * and rename leaves) whose mtime is at least {@link TEMP_FILE_MIN_AGE_MS} before `nowMs`.
 * Returns how many it removed; a file another process removed first is not counted.
 *
 * @example
 * ```ts
 * const removed = await removeLeftoverTempFiles(blobs.dir, Date.now())
 * ```
 */
export async function removeLeftoverTempFiles(dir: string, nowMs: number, minAgeMs = TEMP_FILE_MIN_AGE_MS): Promise<number> {
  let removed = 0
  for (const file of await storeFiles(dir)) {
    if (!TEMP_NAME.test(file.name) || nowMs - file.mtimeMs < minAgeMs) continue
    try {
      await rm(file.path)
      removed += 1
    } catch (error) {
      if (!isMissing(error)) throw error
    }
  }
  return removed
}
