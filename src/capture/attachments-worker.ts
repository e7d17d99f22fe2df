import type { Selectable, Updateable } from 'kysely'
import pLimit from 'p-limit'
import { nowIso, type IntegrationContext } from '../context.js'
import type { EmailAttachmentsTable } from '../db/database.js'
import { errorMessage, isEmailIntegrationError, UpstreamError, ValidationError } from '../errors.js'
import type { GmailAttachmentData, GmailCallOptions, GmailClient } from '../gmail/client-types.js'
import type { GmailMessagePart } from '../gmail/types.js'
import type { BlobStore } from '../db/blob-store.js'
import { MIB } from './capture-attachments.js'
import { partInfo } from './parse/full-parts.js'

/** Failed downloads of one attachment before it is given up as `failed`: a broken part stays broken. */
export const MAX_ATTEMPTS = 3

/** Pending rows one run takes by default: bounds a run's duration and the rows it holds in memory. */
export const DEFAULT_DOWNLOAD_LIMIT = 500

/** Characters of an error message kept on the row: enough to act on, never a page of HTML. */
const MAX_ERROR_CHARS = 500

/** Reasons that say the account's credentials, not the attachment, are at fault. */
const CREDENTIAL_REASONS: ReadonlySet<string> = new Set(['invalid_grant', 'missing_refresh_token'])

/** Options of {@link downloadPendingAttachments}. */
export interface DownloadPendingOptions {
  /** Where the bytes go (the same store the capture writes to). */
  readonly blobs: BlobStore
  /** The Gmail client of a mailbox; called at most once per account and run. */
  readonly clientFor: (accountId: number, address: string) => GmailClient
  /** Stops picking new rows; downloads in flight are abandoned and their rows left as they were. */
  readonly signal?: AbortSignal
  /** The most pending rows to take in this run, oldest first (default {@link DEFAULT_DOWNLOAD_LIMIT}). */
  readonly limit?: number
}

/** What one run of the worker did. */
export interface DownloadReport {
  /** Rows whose bytes are now in the blob store. */
  readonly stored: number
  /** Rows given up this run, after {@link MAX_ATTEMPTS} failed downloads. */
  readonly failed: number
  /** Rows over `CRM_GMAIL_MAX_ATTACHMENT_MB`, recorded as skipped without a download. */
  readonly skipped: number
  /** Rows still pending after the run (not reached, deferred, or to be tried again). */
  readonly remaining: number
}

const PENDING_COLUMNS = ['id', 'email_id', 'copy_id', 'gmail_attachment_id', 'part_id', 'filename', 'size', 'attempts'] as const

type PendingRow = Pick<Selectable<EmailAttachmentsTable>, (typeof PENDING_COLUMNS)[number]>

/** A live mailbox copy to download from. */
type Source = NonNullable<Awaited<ReturnType<typeof chooseSource>>>

interface Run {
  readonly context: IntegrationContext
  readonly options: DownloadPendingOptions
  readonly call: GmailCallOptions
  readonly maxBytes: number
  /** The error of a row skipped for its size, worded as the capture words it. */
  readonly tooLarge: string
  readonly clients: Map<number, GmailClient>
  /** Accounts left alone for the rest of the run (credentials refused, or Gmail still failing after retries). */
  readonly blocked: Set<number>
  stopped: boolean
}

type Outcome = 'stored' | 'failed' | 'skipped' | 'pending'

/** A failure that is the attachment's own (missing part, wrong size): it counts as an attempt. */
class AttachmentProblem extends Error {}

/**
 * Downloads `pending` attachments (of messages captured as a `format=full` part tree) into the
 * blob store, oldest first, `config.attachConcurrency` at a time, from the row's own mailbox
 * copy or, when that is deleted, unusable or unknown, another live copy of the email (whose part
 * tree gives its own attachment id, by `part_id`, else file name and size). An id Gmail refuses
 * (400/404) is re-read once. The decoded size must match Gmail's; the blob row and `stored`
 * land in one transaction. Rows over `maxAttachmentMb` become `skipped`, undownloaded. Only the
 * hash ever becomes a path. Rows no live copy of an `active` account can serve are not picked
 * (a paused account's wait until it is resumed: its Gmail is not read).
 *
 * Failures of the attachment itself (missing part, size mismatch, message gone) count an
 * attempt: `pending` with the error until {@link MAX_ATTEMPTS}, then `failed`. A retryable Gmail
 * error that outlived the client's retries records the error but no attempt (an outage must not
 * use attachments up) and defers the account to the next run; refused credentials
 * (`invalid_grant`, 401, `clientFor` throwing) defer it untouched. A local failure (disk,
 * database) stops the run and is thrown. Writes are guarded by `status = 'pending'`.
 *
 * @example
 * ```ts
 * const blobs = createBlobStore(context.config.attachmentsDir)
 * const report = await downloadPendingAttachments(context, { blobs, clientFor: (id, address) => gmailFor(address), signal })
 * // { stored: 12, failed: 0, skipped: 1, remaining: 0 }
 * ```
 */
export async function downloadPendingAttachments(context: IntegrationContext, options: DownloadPendingOptions): Promise<DownloadReport> {
  const limit = options.limit ?? DEFAULT_DOWNLOAD_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError(`limit: expected a positive integer, got ${String(limit)}`)
  const maxBytes = context.config.maxAttachmentMb * MIB
  const call = options.signal === undefined ? {} : { signal: options.signal }
  const tooLarge = `larger than ${context.config.maxAttachmentMb} MB`
  const run: Run = { context, options, call, maxBytes, tooLarge, clients: new Map(), blocked: new Set(), stopped: false }
  const counts = { stored: 0, failed: 0, skipped: 0 }
  if (options.signal?.aborted !== true) {
    counts.skipped = await skipOversized(run)
    const rows = await pickPending(context, limit)
    const gate = pLimit(context.config.attachConcurrency)
    const stop = (error: unknown): never => {
      run.stopped = true
      throw error
    }
    const settled = await Promise.allSettled(rows.map((row) => gate(() => processRow(run, row).catch(stop))))
    for (const result of settled) {
      if (result.status === 'rejected') throw result.reason
      if (result.value !== 'pending') counts[result.value] += 1
    }
  }
  const remaining = await context.db
    .selectFrom('email_attachments')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow()
  const report = { ...counts, remaining: Number(remaining.n) }
  context.logger.info({ ...report }, 'attachment downloads done')
  return report
}

/** Marks every pending row over the size limit skipped, so it is never downloaded. */
async function skipOversized(run: Run): Promise<number> {
  const result = await run.context.db
    .updateTable('email_attachments')
    .set({ status: 'skipped', error: run.tooLarge, updated_at: nowIso(run.context) })
    .where('status', '=', 'pending')
    .where('size', '>', run.maxBytes)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The oldest pending rows that some live copy of an active account could serve. */
function pickPending(context: IntegrationContext, limit: number): Promise<PendingRow[]> {
  return context.db
    .selectFrom('email_attachments as a')
    .select(PENDING_COLUMNS.map((c) => `a.${c}` as const))
    .where('a.status', '=', 'pending')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('email_copies as c')
          .innerJoin('email_accounts as acc', 'acc.id', 'c.account_id')
          .select('c.id')
          .whereRef('c.email_id', '=', 'a.email_id')
          .where('c.deleted_at', 'is', null)
          .where('acc.status', '=', 'active'),
      ),
    )
    .orderBy('a.id')
    .limit(limit)
    .execute()
}

async function processRow(run: Run, row: PendingRow): Promise<Outcome> {
  if (run.stopped || run.options.signal?.aborted === true) return 'pending'
  const source = await chooseSource(run, row)
  const client = source === null ? null : clientOf(run, source)
  if (source === null || client === null) return 'pending'
  const attachment = await download(run, client, row, source).catch((error: unknown) => recordFailure(run, row, source, error))
  // A failed download was recorded; what it came to is the outcome.
  if (typeof attachment === 'string') return attachment
  // Only possible when Gmail gave no size up front (the check after the download then decides).
  if (attachment.data.byteLength > run.maxBytes) {
    await updatePending(run, row, { status: 'skipped', error: run.tooLarge })
    return 'skipped'
  }
  // Disk and database errors are not the attachment's fault: they propagate and stop the run.
  const blob = await run.options.blobs.put(attachment.data)
  await run.context.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('email_blobs')
      .values({ sha256: blob.sha256, size: blob.size, created_at: nowIso(run.context) })
      // Locks the row until this transaction ends, so housekeeping cannot release the blob under it.
      .onConflict((oc) => oc.column('sha256').doUpdateSet((eb) => ({ size: eb.ref('excluded.size') })))
      .execute()
    await updatePending(run, row, { status: 'stored', sha256: blob.sha256, size: blob.size, error: null }, trx)
  })
  return 'stored'
}

/** The row's own copy when it is live and its account usable, else another live copy. */
async function chooseSource(run: Run, row: PendingRow) {
  const copies = await run.context.db
    .selectFrom('email_copies as c')
    .innerJoin('email_accounts as acc', 'acc.id', 'c.account_id')
    .select(['c.id as copyId', 'c.account_id as accountId', 'acc.address as address', 'c.gmail_id as gmailId'])
    .where('c.email_id', '=', row.email_id)
    .where('c.deleted_at', 'is', null)
    .where('acc.status', '=', 'active')
    .orderBy('c.id')
    .execute()
  const usable = copies.filter((c) => !run.blocked.has(c.accountId))
  return usable.find((c) => c.copyId === row.copy_id) ?? usable[0] ?? null
}

function clientOf(run: Run, source: Source): GmailClient | null {
  try {
    const client = run.clients.get(source.accountId) ?? run.options.clientFor(source.accountId, source.address)
    run.clients.set(source.accountId, client)
    return client
  } catch (error) {
    blockAccount(run, source, error)
    return null
  }
}

/** Fetches the bytes, re-reading the attachment id from the part tree when it is unknown or stale. */
async function download(run: Run, client: GmailClient, row: PendingRow, source: Source): Promise<GmailAttachmentData> {
  const known = source.copyId === row.copy_id ? row.gmail_attachment_id : null
  let reread = known === null
  let attachmentId = known ?? (await rereadAttachmentId(run, client, row, source))
  for (;;) {
    try {
      const attachment = await client.getAttachment(source.gmailId, attachmentId, run.call)
      const size = attachment.data.byteLength
      // A row size of 0 means Gmail gave none up front; then only the download's own size is checked.
      if (attachment.size !== size || (row.size > 0 && row.size !== size)) {
        throw new AttachmentProblem(`size mismatch: expected ${row.size} bytes, Gmail reported ${attachment.size}, decoded ${size}`)
      }
      return attachment
    } catch (error) {
      if (reread || !isStaleId(error)) throw error
      const fresh = await rereadAttachmentId(run, client, row, source)
      reread = true
      if (fresh === attachmentId) throw error
      attachmentId = fresh
    }
  }
}

/** Reads the message's part tree, finds the row's part, and records its current attachment id. */
async function rereadAttachmentId(run: Run, client: GmailClient, row: PendingRow, source: Source): Promise<string> {
  const message = await client.getMessage(source.gmailId, { ...run.call, format: 'full' })
  const leaves = flatten(message.payload).filter((p) => (p.body?.attachmentId ?? '') !== '')
  const part =
    (row.part_id === null ? undefined : leaves.find((p) => p.partId === row.part_id)) ??
    leaves.find((p) => partInfo(p, 'application/octet-stream').filename === row.filename && p.body?.size === row.size)
  const attachmentId = part?.body?.attachmentId
  if (attachmentId === undefined) throw new AttachmentProblem('the attachment is no longer in the message part tree')
  await updatePending(run, row, { copy_id: source.copyId, gmail_attachment_id: attachmentId })
  return attachmentId
}

function flatten(part: GmailMessagePart | undefined): GmailMessagePart[] {
  return part === undefined ? [] : [part, ...(part.parts ?? []).flatMap(flatten)]
}

/** Gmail refuses an attachment id it has since replaced with 400 or 404 (a token refusal is no such thing). */
function isStaleId(error: unknown): boolean {
  if (isCredentialFailure(error)) return false
  if (error instanceof UpstreamError) return error.upstreamStatus === 400 || error.upstreamStatus === 404
  return isEmailIntegrationError(error) && error.code === 'validation_failed'
}

function isCredentialFailure(error: unknown): boolean {
  if (error instanceof UpstreamError) return error.upstreamStatus === 401 || CREDENTIAL_REASONS.has(error.reason ?? '')
  return isEmailIntegrationError(error) && error.code === 'configuration_invalid'
}

async function recordFailure(run: Run, row: PendingRow, source: Source, error: unknown): Promise<Outcome> {
  if (run.options.signal?.aborted === true) return 'pending'
  if (isCredentialFailure(error)) return blockAccount(run, source, error)
  const message = describe(error)
  if (error instanceof UpstreamError && error.retryable) {
    await updatePending(run, row, { error: message })
    return blockAccount(run, source, error)
  }
  const attempts = row.attempts + 1
  const status = attempts >= MAX_ATTEMPTS ? 'failed' : 'pending'
  await updatePending(run, row, { status, error: message, attempts })
  if (status === 'failed') run.context.logger.warn({ attachment: row.id, error: message }, 'attachment download failed for good')
  return status
}

/** Updates a row only while it is pending, so a racing worker's outcome is never overwritten. */
async function updatePending(run: Run, row: PendingRow, values: Updateable<EmailAttachmentsTable>, db = run.context.db): Promise<void> {
  const set = { ...values, updated_at: nowIso(run.context) }
  await db.updateTable('email_attachments').set(set).where('id', '=', row.id).where('status', '=', 'pending').execute()
}

/** Leaves an account alone for the rest of the run; its rows stay pending. */
function blockAccount(run: Run, source: Source, error: unknown): 'pending' {
  if (run.blocked.has(source.accountId)) return 'pending'
  run.blocked.add(source.accountId)
  run.context.logger.warn({ account: source.address, error: describe(error) }, 'attachment downloads deferred')
  return 'pending'
}

function describe(error: unknown): string {
  const text = errorMessage(error)
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`
}
