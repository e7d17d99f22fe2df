import type { IntegrationContext } from '../context.js'
import type { GmailClient } from '../gmail/client-types.js'
import type { GmailMessage, GmailMessageRef } from '../gmail/types.js'
import type { BlobStore } from '../db/blob-store.js'
import { MIB } from './capture-attachments.js'
import { fileRefusal, prepareCandidatePage, type CandidateDeps } from './candidates.js'
import { copyBase, isDraft, knownCopies, knownEmails, readContent, recordOf, type EmailIdentity } from './capture-records.js'
import { commitPage } from './commit-page.js'
import { createSuppressionHasher, withoutSuppressed } from '../erasure/suppressions.js'
import { contentGroups } from './content-groups.js'
import type { CaptureFailure } from './failure.js'
import type { MatchIndex, MessageMatch } from './match/match-index.js'
import { decideCapture } from './match/policy.js'
import { fingerprintOfHeaders } from './parse/assemble.js'
import { parseMetadataHeaders } from './parse/full.js'
import type { ParsedHeaders } from './parse/parsed-email.js'
import type { CaptureAccount, CapturePipeline, PreparedPage, SkipReason } from './pipeline-types.js'
import type { CaptureRecord, CopyRecord } from './store.js'

/** The headers read first (format=metadata): enough to match, to skip, and to recognise a known email. */
export const METADATA_HEADERS = ['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Bcc', 'Subject', 'Date', 'Message-ID'] as const

/**
 * Messages up to this size are fetched whole (`format=raw`, one call, attachments included);
 * larger ones as a part tree (`format=full`) whose attachments the download worker fetches one
 * by one, so a huge message never sits in memory and an oversized attachment is never downloaded.
 */
export const RAW_FETCH_MAX_BYTES = 10 * MIB

/** Re-exported: the sync records these failures and takes their type with the pipeline's. */
export type { CaptureFailure } from './failure.js'
export type { CaptureAccount, CapturePipeline, CommitResult, PreparedPage, SizeHints, SkipReason } from './pipeline-types.js'
export { CAPTURE_COMMIT_LOCK } from './commit-page.js'
export { CONTENT_BATCH_BYTES } from './content-groups.js'

/** A message whose headers decided it is captured: its metadata answer, headers and match. */
interface Candidate {
  readonly meta: GmailMessage
  readonly headers: ParsedHeaders
  readonly match: MessageMatch
}

/**
 * Builds the capture pipeline over a match index (from `directory()`) and the blob store.
 *
 * @example
 * ```ts
 * const page = await pipeline.prepare(account, client, refs)
 * await db.transaction().execute((trx) => pipeline.commit(trx, page, new Date().toISOString()))
 * ```
 */
export function createCapturePipeline(context: IntegrationContext, index: MatchIndex, blobs: BlobStore): CapturePipeline {
  const maxAttachmentBytes = context.config.maxAttachmentMb * MIB
  const rawLimit = Math.min(RAW_FETCH_MAX_BYTES, maxAttachmentBytes)
  const deps: CandidateDeps = { db: context.db, index, config: context.config, blobs, maxAttachmentBytes }
  const hasher = createSuppressionHasher(context.config)

  async function prepare(account: CaptureAccount, client: GmailClient, refs: readonly GmailMessageRef[], signal?: AbortSignal): Promise<PreparedPage> {
    const skipped: { gmailId: string; reason: SkipReason }[] = []
    const failed: CaptureFailure[] = []
    const known = await knownCopies(context.db, account.id, refs.map((r) => r.id))
    const unknown = refs.filter((r) => !known.has(r.id))
    for (const r of refs) if (known.has(r.id)) skipped.push({ gmailId: r.id, reason: 'known' })

    const metas = await client.batchGetMessages(
      unknown.map((r) => r.id),
      { format: 'metadata', metadataHeaders: [...METADATA_HEADERS], ...(signal ? { signal } : {}) },
    )
    const candidates: Candidate[] = []
    for (const result of metas) {
      if (!result.ok) {
        fileRefusal(result, skipped, failed)
        continue
      }
      const headers = parseMetadataHeaders(result.message)
      if (!headers.ok) {
        failed.push({ gmailId: result.id, reason: headers.reason, retryable: false })
        continue
      }
      const match = index.matchHeaders(headers.value)
      const decision = decideCapture({ labelIds: result.message.labelIds ?? [], match, config: context.config })
      if (decision.capture) candidates.push({ meta: result.message, headers: headers.value, match })
      else skipped.push({ gmailId: result.id, reason: decision.reason })
    }

    const copies: CopyRecord[] = []
    const toFetch: Candidate[] = []
    const existing = await knownEmails(context.db, candidates.flatMap(headerIdentity))
    for (const c of candidates) {
      const emailId = existing.get(c.meta.id)
      if (emailId === undefined) toFetch.push(c)
      else copies.push({ ...copyBase(account, c), emailId })
    }

    const records: CaptureRecord[] = []
    let fetched = 0
    for (const group of contentGroups(toFetch, rawLimit)) {
      const results = await client.batchGetMessages(
        group.items.map((c) => c.meta.id),
        { format: group.format, ...(signal ? { signal } : {}) },
      )
      for (const [i, result] of results.entries()) {
        const candidate = group.items[i]
        if (candidate === undefined) continue
        if (!result.ok) {
          fileRefusal(result, skipped, failed)
          continue
        }
        fetched += 1
        // Decided again on the content's own reading of the headers: Gmail's metadata and the
        // MIME parser can disagree (encoded words, broken folding), and the email stores the
        // parser's participants. The labels are the metadata answer's, which decided the fetch.
        const reading = await readContent(deps, result.message, group.format, candidate.meta.labelIds, candidate.meta.internalDate)
        if (reading.kind === 'failed') {
          failed.push({ ...reading.failure, gmailId: candidate.meta.id })
          continue
        }
        if (reading.kind === 'skipped') {
          skipped.push({ gmailId: candidate.meta.id, reason: reading.reason })
          continue
        }
        const outcome = await recordOf(deps, account, { ...candidate, match: reading.match }, reading.email)
        if (outcome.kind === 'record') records.push(outcome.record)
        else failed.push(outcome.failure)
      }
    }
    return { account, records, copies, skipped, failed, fetched, discarded: 0 }
  }

  return {
    prepare,
    prepareCandidates: (account, client, refs, hints, signal) => prepareCandidatePage(deps, account, client, refs, hints, signal),
    // A purge may suppress an address after this run built its index: read the list again here.
    commit: async (trx, page, now) => commitPage(trx, await withoutSuppressed(trx, hasher, page), now, context.dialect),
  }
}

/** A candidate's dedup key from its headers alone, when they decide it (a Message-ID and a readable Date). */
function headerIdentity(c: Candidate): EmailIdentity[] {
  const fingerprint = fingerprintOfHeaders(c.headers)
  if (c.headers.messageId === null || fingerprint === null) return []
  return [{ gmailId: c.meta.id, messageId: c.headers.messageId, fingerprint, draft: isDraft(c.meta) }]
}
