/**
 * The attachment text job (SPEC §9): reads the text of stored attachments that have none yet
 * and records one `email_attachment_texts` row per attachment, with the email's keyword index
 * row rewritten and its vectors marked for re-embedding in the same transaction. A crash
 * between reading and committing only means the file is read again next run.
 */
import { availableParallelism } from 'node:os'
import pLimit from 'p-limit'
import { nowIso, type IntegrationContext } from '../context.js'
import type { BlobStore } from '../db/blob-store.js'
import { indexEmails } from '../db/search-index.js'
import type { AttachmentTextStatus } from '../db/search-tables.js'
import { markForReembedding } from '../vectors/index-state.js'
import { textFormatOf } from './formats.js'
import { resolveExtractionLimits, type ExtractionLimits } from './limits.js'
import { extractWorkerScript, workerExtractor, type ExtractionOutcome, type TextExtractor } from './runner.js'

/** Attachments one run reads by default: bounds a run's duration. */
export const DEFAULT_EXTRACT_LIMIT = 200

/** Files read at once: one per core, at least two, at most four (each worker holds its own heap). */
export const EXTRACT_CONCURRENCY = Math.min(4, Math.max(2, availableParallelism()))

/** Options of {@link extractAttachmentTexts}. */
export interface ExtractTextsOptions {
  /** The most attachments to read in this run, oldest first (default {@link DEFAULT_EXTRACT_LIMIT}). */
  readonly limit?: number
  /** Stops before the next file; a file being read is abandoned, and read again next run. */
  readonly signal?: AbortSignal
  /** Bounds of one file's reading (time, worker heap, size), each defaulting as `DEFAULT_EXTRACTION_LIMITS` says (20 s, 256 MB, 25 MB). */
  readonly limits?: Partial<ExtractionLimits>
}

/** What one run did. */
export interface ExtractTextsReport {
  readonly extracted: number
  readonly empty: number
  readonly unsupported: number
  readonly failed: number
  /** Stored attachments still without a text row. */
  readonly remaining: number
}

/** A stored attachment without a text row. */
interface Unread {
  readonly id: number
  readonly email_id: number
  readonly filename: string
  readonly mime_type: string
  readonly is_inline: number
  readonly sha256: string | null
}

/**
 * Reads the text of stored attachments that have none yet (status 'stored', sha256 set, no
 * email_attachment_texts row), oldest first, `limit` per run (default 200). A file that cannot
 * be read is recorded `failed` with a short reason; the run goes on to the next.
 *
 * @example
 * ```ts
 * const report = await extractAttachmentTexts(context, blobs, { limit: 50 })
 * // { extracted: 41, empty: 2, unsupported: 6, failed: 1, remaining: 120 }
 * ```
 */
export async function extractAttachmentTexts(
  context: IntegrationContext,
  blobs: BlobStore,
  options: ExtractTextsOptions = {},
): Promise<ExtractTextsReport> {
  return extractTextsWith(context, blobs, options, workerExtractor(extractWorkerScript(), resolveExtractionLimits(options.limits)))
}

/**
 * {@link extractAttachmentTexts} with the reader given: tests pass one whose worker misbehaves.
 *
 * @example
 * ```ts
 * await extractTextsWith(context, blobs, {}, workerExtractor({ path: loopScript, typescript: false }, limits))
 * ```
 */
export async function extractTextsWith(
  context: IntegrationContext,
  blobs: BlobStore,
  options: ExtractTextsOptions,
  extract: TextExtractor,
): Promise<ExtractTextsReport> {
  const limit = options.limit ?? DEFAULT_EXTRACT_LIMIT
  if (!Number.isInteger(limit) || limit <= 0) throw new TypeError(`Expected \`limit\` to be a positive integer, got ${String(limit)}`)
  const counts: Record<AttachmentTextStatus, number> = { extracted: 0, empty: 0, unsupported: 0, failed: 0 }
  // Files are read a few at a time (each in its own worker, bounded on its own): most of a
  // small file's time is its worker starting, which the cores can overlap.
  const parallel = pLimit(EXTRACT_CONCURRENCY)
  let stopped = false
  const one = async (row: Unread): Promise<void> => {
    if (stopped || options.signal?.aborted === true) return
    const outcome = await read(row, blobs, extract, options.signal)
    if (outcome === null) {
      stopped = true
      return
    }
    // Another process that recorded the file first counts it, not this run.
    if (!(await record(context, row, outcome))) return
    counts[outcome.status] += 1
    if (outcome.status === 'failed') context.logger.warn({ attachment: row.id, error: outcome.error }, 'attachment text could not be read')
  }
  await Promise.all((await unread(context, limit)).map((row) => parallel(() => one(row))))
  const report = { ...counts, remaining: await countUnread(context) }
  context.logger.info({ ...report }, 'attachment texts read')
  return report
}

type RecordedOutcome = ExtractionOutcome | { readonly status: 'unsupported'; readonly text: null; readonly error: null }

/** The outcome for one attachment, or `null` when the run was stopped while reading it. */
async function read(row: Unread, blobs: BlobStore, extract: TextExtractor, signal?: AbortSignal): Promise<RecordedOutcome | null> {
  const format = row.is_inline === 1 ? null : textFormatOf(row.mime_type, row.filename)
  if (format === null || row.sha256 === null) return { status: 'unsupported', text: null, error: null }
  try {
    return await extract(format, { path: blobs.pathOf(row.sha256) }, signal)
  } catch (error) {
    if (signal?.aborted === true) return null
    throw error
  }
}

function unreadQuery(context: IntegrationContext) {
  return context.db
    .selectFrom('email_attachments as a')
    .leftJoin('email_attachment_texts as t', 't.attachment_id', 'a.id')
    .where('a.status', '=', 'stored')
    .where('a.sha256', 'is not', null)
    .where('t.attachment_id', 'is', null)
}

async function unread(context: IntegrationContext, limit: number): Promise<Unread[]> {
  return unreadQuery(context)
    .select(['a.id', 'a.email_id', 'a.filename', 'a.mime_type', 'a.is_inline', 'a.sha256'])
    .orderBy('a.id')
    .limit(limit)
    .execute()
}

async function countUnread(context: IntegrationContext): Promise<number> {
  const row = await unreadQuery(context).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * The row, the email's keyword index row and its re-embedding mark in one transaction. Another
 * process may have recorded the same attachment meanwhile, and an erasure may have removed it:
 * either way this run's reading is dropped (`false`).
 */
async function record(context: IntegrationContext, row: Unread, outcome: RecordedOutcome): Promise<boolean> {
  return context.db.transaction().execute(async (trx) => {
    const still = await trx.selectFrom('email_attachments').select('id').where('id', '=', row.id).executeTakeFirst()
    if (still === undefined) return false
    // Files of one email recorded at once (this run's parallel reads, another process) take
    // turns on the email's row, so each index rewrite reads the texts the one before committed.
    if (context.dialect.concurrentWriters) {
      await trx.selectFrom('emails').select('id').where('id', '=', row.email_id).forUpdate().executeTakeFirst()
    }
    const inserted = await trx
      .insertInto('email_attachment_texts')
      .values({
        attachment_id: row.id,
        email_id: row.email_id,
        status: outcome.status,
        text: outcome.text,
        error: outcome.error,
        extracted_at: nowIso(context),
      })
      .onConflict((oc) => oc.column('attachment_id').doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false
    await indexEmails(trx, [row.email_id], context.dialect)
    await markForReembedding(trx, [row.email_id])
    return true
  })
}
