/**
 * The network phase for search candidates: messages Gmail's search listed as possibly CRM
 * mail. Each is fetched once, content first (no header read), then parsed, matched and
 * decided locally, the local matcher having the last word. A candidate turned down after its
 * download is a search false positive: discarded (nothing written, not even its attachments)
 * and counted. A candidate whose email another mailbox already stored becomes a copy.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import type { BatchGetResult, GmailClient } from '../gmail/client-types.js'
import type { GmailMessage, GmailMessageRef } from '../gmail/types.js'
import { copyBase, isDraft, knownCopies, knownEmails, readContent, recordOf, type ContentDeps } from './capture-records.js'
import { candidateGroups } from './content-groups.js'
import { gmailFailure, type CaptureFailure } from './failure.js'
import type { MessageMatch } from './match/match-index.js'
import { fingerprintOf } from './parse/assemble.js'
import type { ParsedEmail } from './parse/parsed-email.js'
import type { CaptureAccount, PreparedPage, SizeHints, SkipReason } from './pipeline-types.js'
import type { CaptureRecord, CopyRecord } from './store.js'

/** What preparing candidates needs: the database (to skip what is stored) and the content steps. */
export interface CandidateDeps extends ContentDeps {
  readonly db: Kysely<EmailDatabase>
}

/**
 * Files a message Gmail would not serve: skipped as `gone` when Gmail no longer has it (404),
 * else a failure, classified by {@link gmailFailure}. The headers-first pipeline files its
 * refusals here too.
 *
 * @example
 * ```ts
 * if (!result.ok) fileRefusal(result, skipped, failed)
 * ```
 */
export function fileRefusal(
  result: Extract<BatchGetResult, { readonly ok: false }>,
  skipped: { gmailId: string; reason: SkipReason }[],
  failed: CaptureFailure[],
): void {
  if (result.error.upstreamStatus === 404) skipped.push({ gmailId: result.id, reason: 'gone' })
  else failed.push(gmailFailure(result.id, result.error))
}

/** A candidate read and decided for capture, its content still in memory. */
interface Kept {
  readonly message: GmailMessage
  readonly email: ParsedEmail
  readonly match: MessageMatch
}

/**
 * Prepares a page of search candidates: ids this mailbox already stored are skipped (`known`)
 * without a call; the rest are fetched once each, grouped by the size hints (small ones raw 25
 * a call, medium ones raw two a call, large ones `full` with their attachments left pending).
 * Writes no rows; the page is committed like any other.
 *
 * @example
 * ```ts
 * const page = await prepareCandidatePage(deps, account, client, listing.messages ?? [], hints)
 * console.log(`${page.fetched} downloaded, ${page.discarded} were search false positives`)
 * ```
 */
export async function prepareCandidatePage(
  deps: CandidateDeps,
  account: CaptureAccount,
  client: GmailClient,
  refs: readonly GmailMessageRef[],
  hints: SizeHints,
  signal?: AbortSignal,
): Promise<PreparedPage> {
  const skipped: { gmailId: string; reason: SkipReason }[] = []
  const failed: CaptureFailure[] = []
  const records: CaptureRecord[] = []
  const copies: CopyRecord[] = []
  let fetched = 0
  let discarded = 0

  const ids = [...new Set(refs.map((r) => r.id))]
  const known = await knownCopies(deps.db, account.id, ids)
  for (const id of ids) if (known.has(id)) skipped.push({ gmailId: id, reason: 'known' })
  const unknown = ids.filter((id) => !known.has(id))

  for (const group of candidateGroups(unknown, hints)) {
    const results = await client.batchGetMessages(group.items, { format: group.format, ...(signal ? { signal } : {}) })
    const kept: Kept[] = []
    for (const result of results) {
      if (!result.ok) {
        fileRefusal(result, skipped, failed)
        continue
      }
      fetched += 1
      const reading = await readContent(deps, result.message, group.format, result.message.labelIds)
      if (reading.kind === 'capture') kept.push({ message: result.message, email: reading.email, match: reading.match })
      else if (reading.kind === 'failed') failed.push({ ...reading.failure, gmailId: result.id })
      else {
        skipped.push({ gmailId: result.id, reason: reading.reason })
        discarded += 1
      }
    }
    // Recognised per group, not per page: the group's content is dropped once its records are made.
    const stored = await knownEmails(
      deps.db,
      kept.map((k) => ({ gmailId: k.message.id, messageId: k.email.messageId, fingerprint: fingerprintOf(k.email), draft: isDraft(k.message) })),
    )
    for (const k of kept) {
      const source = { meta: k.message, headers: k.email, match: k.match }
      const emailId = stored.get(k.message.id)
      if (emailId !== undefined) {
        copies.push({ ...copyBase(account, source), emailId })
        continue
      }
      const outcome = await recordOf(deps, account, source, k.email)
      if (outcome.kind === 'record') records.push(outcome.record)
      else failed.push(outcome.failure)
    }
  }
  return { account, records, copies, skipped, failed, fetched, discarded }
}
