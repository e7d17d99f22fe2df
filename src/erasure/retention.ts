/**
 * Retention (SPEC §12): with `CRM_GMAIL_RETENTION_DAYS` set, mail sent before the cutoff (now
 * minus that many days) is erased for good through {@link eraseEmails}, a bounded batch at a
 * time; the scheduler runs it after a sync at most once a day.
 */
import { actorOf, recordAudit, type ActorOptions } from '../audit-log/store.js'
import type { BlobStore } from '../db/blob-store.js'
import { IN_LIST_CHUNK } from '../db/chunks.js'
import { nowIso, type IntegrationContext } from '../context.js'
import { errorMessage } from '../errors.js'
import { atMostEvery } from '../scheduler/due.js'
import { eraseEmails, type ErasureCounts } from './erase.js'

/** The scheduler runs retention after a sync at most this often: the cutoff moves by a day a day. */
export const RETENTION_INTERVAL_MS = 24 * 60 * 60 * 1000

/** A day in milliseconds: retention counts whole days back from now. */
const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Expired emails read per round, oldest first: one IN list, so a round's ids are held in
 * memory and handed to the erasure (which commits them in smaller batches) at once.
 */
export const RETENTION_ROUND = IN_LIST_CHUNK

/** What one retention run erased. */
export interface RetentionReport extends ErasureCounts {
  /** `CRM_GMAIL_RETENTION_DAYS` as configured; 0: retention is off and nothing was erased. */
  readonly retentionDays: number
  /** Mail sent before this instant (ISO) was erased; `null` when retention is off. */
  readonly cutoff: string | null
}

/** Options of {@link RetentionApi.run}: who asks, for the audit log. */
export type RetentionRunOptions = ActorOptions

/** `email.retention`: erasing mail older than the retention period. */
export interface RetentionApi {
  /**
   * Erases every email sent before now minus `CRM_GMAIL_RETENTION_DAYS` days (hidden ones
   * too), everywhere it is kept: rows, index entries, and the attachment files no remaining
   * email references (a file a kept email shares stays). Runs in bounded batches; a crash
   * leaves whole emails only, and the next run erases the rest. With retention off (0) it
   * erases nothing and reports `cutoff: null`. A run that erased mail, or that a principal
   * asked for (`actor`), writes a `mail.expired` entry to the audit log with its counts.
   *
   * @example
   * ```ts
   * const { emails, blobsRemoved, bytesFreed, cutoff } = await email.retention.run({ actor: 'admin@fund.example' })
   * ```
   */
  readonly run: (options?: RetentionRunOptions) => Promise<RetentionReport>
}

/** The retention API and what the scheduler calls after each sync. */
export interface Retention extends RetentionApi {
  /**
   * Runs retention if this process has not in the last {@link RETENTION_INTERVAL_MS} and
   * retention is on; a failure is logged, not thrown, and tried again after the next sync.
   */
  readonly runIfDue: (signal: AbortSignal) => Promise<void>
}

/**
 * The retention cutoff at `now`: `days` days before it, or `null` (keep everything) for 0.
 *
 * @example
 * ```ts
 * retentionCutoff(new Date('2026-12-02T00:00:00Z'), 30) // '2026-11-02T00:00:00.000Z'
 * retentionCutoff(new Date(), 0)                        // null
 * ```
 */
export function retentionCutoff(now: Date, days: number): string | null {
  return days === 0 ? null : new Date(now.getTime() - days * DAY_MS).toISOString()
}

/**
 * Builds retention over the integration's database and blob store.
 *
 * @example
 * ```ts
 * const retention = createRetention(context, blobs)
 * await retention.run()
 * ```
 */
export function createRetention(context: IntegrationContext, blobs: BlobStore): Retention {
  const { config, logger } = context
  const expire = async (actor: string | null, signal: AbortSignal | null): Promise<RetentionReport> => {
    const retentionDays = config.retentionDays
    const cutoff = retentionCutoff(context.clock.now(), retentionDays)
    const report = { retentionDays, cutoff, emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0 }
    if (cutoff === null) {
      logger.info({ retentionDays }, 'email retention is off (CRM_GMAIL_RETENTION_DAYS is 0): nothing erased')
      return report
    }
    while (signal?.aborted !== true) {
      const round = await context.db
        .selectFrom('emails')
        .select('id')
        .where('sent_at', '<', cutoff)
        .orderBy('sent_at')
        .orderBy('id')
        .limit(RETENTION_ROUND)
        .execute()
      // Called even with none: it also removes the files an erasure cut short left queued.
      const erased = await eraseEmails(context, blobs, round.map((r) => r.id))
      report.emails += erased.emails
      report.attachments += erased.attachments
      report.blobsRemoved += erased.blobsRemoved
      report.bytesFreed += erased.bytesFreed
      // None erased: another process took this round; what is left is the next run's.
      if (erased.emails === 0 || round.length < RETENTION_ROUND) break
    }
    if (report.emails > 0 || actor !== null) {
      await recordAudit(context.db, nowIso(context), { action: 'mail.expired', actor, target: null, details: report })
    }
    logger.info({ ...report, actor }, 'email retention done')
    return report
  }
  const runIfDue = atMostEvery(
    RETENTION_INTERVAL_MS,
    (signal) => (config.retentionDays === 0 ? Promise.resolve() : expire(null, signal)),
    (error) => {
      logger.error({ error: errorMessage(error) }, 'email retention failed')
    },
  )
  return {
    async run(options) {
      return expire(actorOf(options), null)
    },
    runIfDue,
  }
}
