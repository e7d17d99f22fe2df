import type { BlobStore } from '../db/blob-store.js'
import type { IntegrationContext } from '../context.js'
import { errorMessage } from '../errors.js'
import { collectUnreferencedBlobs } from './blobs.js'
import { removeLeftoverTempFiles } from './temp-files.js'
import { atMostEvery } from '../scheduler/due.js'

/** The scheduler runs housekeeping after a sync at most this often. */
export const HOUSEKEEPING_INTERVAL_MS = 24 * 60 * 60 * 1000

/** What one housekeeping run removed. */
export interface HousekeepingReport {
  /** Attachment files no attachment row referenced any more, deleted. */
  readonly blobsRemoved: number
  /** Their total size in bytes. */
  readonly bytesFreed: number
  /** Temporary files a crash left in the attachment store, deleted. */
  readonly tempFilesRemoved: number
}

/** `email.housekeeping`: clearing what the attachment store no longer needs. */
export interface HousekeepingApi {
  /**
   * Removes leftover temporary files (older than an hour) and blob files no attachment row
   * references (untouched for a day) from the attachment store. Safe to run from several
   * processes at once and beside a running sync.
   *
   * @example
   * ```ts
   * const { blobsRemoved, bytesFreed, tempFilesRemoved } = await email.housekeeping.run()
   * ```
   */
  readonly run: () => Promise<HousekeepingReport>
}

/** The housekeeping API and what the scheduler calls after each sync. */
export interface Housekeeping extends HousekeepingApi {
  /**
   * Runs housekeeping if this process has not in the last {@link HOUSEKEEPING_INTERVAL_MS}
   * (so the first sync after start clears what a crash left); a failure is logged, not thrown,
   * and tried again after the next sync.
   */
  readonly runIfDue: (signal: AbortSignal) => Promise<void>
}

/**
 * Builds housekeeping over the integration's database and blob store. File ages are measured
 * with the system time, as the file system writes mtimes, not with the context's clock.
 *
 * @example
 * ```ts
 * const housekeeping = createHousekeeping(context, blobs)
 * await housekeeping.run()
 * ```
 */
export function createHousekeeping(context: IntegrationContext, blobs: BlobStore): Housekeeping {
  const run = async (): Promise<HousekeepingReport> => {
    const nowMs = Date.now()
    const tempFilesRemoved = await removeLeftoverTempFiles(blobs.dir, nowMs)
    const collected = await collectUnreferencedBlobs(context.db, blobs, { nowMs })
    const report = { blobsRemoved: collected.removed, bytesFreed: collected.bytesFreed, tempFilesRemoved }
    context.logger.info({ ...report, restored: collected.restored }, 'email housekeeping done')
    return report
  }
  return {
    run,
    runIfDue: atMostEvery(HOUSEKEEPING_INTERVAL_MS, run, (error) => {
      context.logger.error({ error: errorMessage(error) }, 'email housekeeping failed')
    }),
  }
}
