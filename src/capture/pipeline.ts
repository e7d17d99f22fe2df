import { sql, type Kysely } from 'kysely'
import type { IntegrationContext } from '../context.js'
import type { EmailDatabase } from '../db/database.js'
import { detectDialect } from '../db/dialect.js'
import type { GmailClient } from '../gmail/client-types.js'
import type { GmailMessage, GmailMessageRef } from '../gmail/types.js'
import type { BlobStore } from './attachments-store.js'
import { MIB, prepareAttachments } from './capture-attachments.js'
import { gmailFailure, type CaptureFailure } from './failure.js'
import type { MatchIndex, MessageMatch } from './match-index.js'
import { decideCapture, type CaptureSkipReason } from './match-policy.js'
import { internalDateToIso } from './parse-date.js'
import { fingerprintOf, fingerprintOfHeaders } from './parse-email.js'
import { parseFullMessage, parseMetadataHeaders } from './parse-full.js'
import { parseRawMessage } from './parse-raw.js'
import type { ParsedHeaders } from './parsed-email.js'
import { storeCopyOf, storeMessage, type CaptureRecord, type CopyRecord, type LinkInput } from './store.js'

/** The headers read first (format=metadata): enough to match, to skip, and to recognise a known email. */
export const METADATA_HEADERS = ['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Bcc', 'Subject', 'Date', 'Message-ID'] as const

/**
 * Messages up to this size are fetched whole (`format=raw`, one call, attachments included);
 * larger ones as a part tree (`format=full`) whose attachments the download worker fetches one
 * by one, so a huge message never sits in memory and an oversized attachment is never downloaded.
 */
export const RAW_FETCH_MAX_BYTES = 10 * MIB

/** Bytes of content asked for in one batch: keeps a batch of raw messages well within memory. */
export const CONTENT_BATCH_BYTES = 25 * MIB

/** Tries per message write: a second one absorbs a concurrent insert of the same email. */
const WRITE_ATTEMPTS = 2

/**
 * The PostgreSQL advisory lock that serialises page commits (any constant; it only has to be
 * the same in every process). See `commit`.
 */
export const CAPTURE_COMMIT_LOCK = 7_426_315_001

/** Re-exported: the sync records these failures and takes their type with the pipeline's. */
export type { CaptureFailure } from './failure.js'

/** The mailbox a page belongs to. */
export interface CaptureAccount {
  readonly id: number
  readonly address: string
}

/** Why a listed message was not captured. */
export type SkipReason = CaptureSkipReason | 'known' | 'gone'

/** A page of listed messages after the network work: ready to commit in one transaction. */
export interface PreparedPage {
  readonly account: CaptureAccount
  readonly records: readonly CaptureRecord[]
  readonly copies: readonly CopyRecord[]
  readonly skipped: readonly { readonly gmailId: string; readonly reason: SkipReason }[]
  readonly failed: readonly CaptureFailure[]
  /** Messages whose content was downloaded. */
  readonly fetched: number
}

/** What committing a page stored. */
export interface CommitResult {
  /** Messages of this mailbox stored (new emails and new copies of known ones). */
  readonly captured: number
  readonly emailIds: readonly number[]
  /** Messages whose write failed; the rest of the page is committed. */
  readonly failed: readonly CaptureFailure[]
}

/** Turns listed Gmail messages into stored emails. Free of scheduling and HTTP routing. */
export interface CapturePipeline {
  /** Network phase: headers, decisions, content, parsing, attachment bytes. Writes no rows. */
  prepare(account: CaptureAccount, client: GmailClient, refs: readonly GmailMessageRef[], signal?: AbortSignal): Promise<PreparedPage>
  /** Database phase, inside the caller's transaction; each message behind its own savepoint. */
  commit(trx: Kysely<EmailDatabase>, page: PreparedPage, now: string): Promise<CommitResult>
}

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

  async function prepare(account: CaptureAccount, client: GmailClient, refs: readonly GmailMessageRef[], signal?: AbortSignal) {
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
        if (result.error.upstreamStatus === 404) skipped.push({ gmailId: result.id, reason: 'gone' })
        else failed.push(gmailFailure(result.id, result.error))
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
    const existing = await knownEmails(context.db, candidates)
    for (const c of candidates) {
      const emailId = existing.get(c.meta.id)
      if (emailId === undefined) toFetch.push(c)
      else copies.push({ ...copyBase(account, c), emailId })
    }

    const records: CaptureRecord[] = []
    let fetched = 0
    for (const group of contentGroups(toFetch, rawLimit)) {
      const results = await client.batchGetMessages(
        group.candidates.map((c) => c.meta.id),
        { format: group.format, ...(signal ? { signal } : {}) },
      )
      for (const [i, result] of results.entries()) {
        const candidate = group.candidates[i]
        if (candidate === undefined) continue
        if (!result.ok) {
          if (result.error.upstreamStatus === 404) skipped.push({ gmailId: result.id, reason: 'gone' })
          else failed.push(gmailFailure(result.id, result.error))
          continue
        }
        fetched += 1
        const outcome = await toRecord(account, candidate, result.message, group.format)
        if (outcome.kind === 'record') records.push(outcome.record)
        else if (outcome.kind === 'skipped') skipped.push({ gmailId: candidate.meta.id, reason: outcome.reason })
        else failed.push(outcome.failure)
      }
    }
    return { account, records, copies, skipped, failed, fetched }
  }

  async function toRecord(
    account: CaptureAccount,
    candidate: Candidate,
    message: GmailMessage,
    format: 'raw' | 'full',
  ): Promise<
    | { kind: 'record'; record: CaptureRecord }
    | { kind: 'skipped'; reason: CaptureSkipReason }
    | { kind: 'failed'; failure: CaptureFailure }
  > {
    const meta = { internalDate: message.internalDate ?? candidate.meta.internalDate ?? null, sizeEstimate: message.sizeEstimate ?? null }
    // A body Gmail left out may come with the next answer; a body the parser refused is refused every time.
    if (format === 'raw' && message.raw === undefined) {
      return { kind: 'failed', failure: { gmailId: candidate.meta.id, reason: 'Gmail returned no raw content', retryable: true } }
    }
    const parsed =
      message.raw !== undefined && format === 'raw'
        ? await parseRawMessage(Buffer.from(message.raw, 'base64url'), meta)
        : parseFullMessage({ ...message, internalDate: meta.internalDate ?? undefined } as GmailMessage)
    if (!parsed.ok) return { kind: 'failed', failure: { gmailId: candidate.meta.id, reason: parsed.reason, retryable: false } }
    // Decide again on the content's own reading of the headers: Gmail's metadata and the MIME
    // parser can disagree (encoded words, broken folding), and the email stores the parser's
    // participants, so its links and the decision must come from the same reading.
    const match = index.matchHeaders(parsed.value)
    const decision = decideCapture({ labelIds: candidate.meta.labelIds ?? [], match, config: context.config })
    if (!decision.capture) return { kind: 'skipped', reason: decision.reason }
    try {
      const attachments = await prepareAttachments(parsed.value.attachments, blobs, maxAttachmentBytes)
      return {
        kind: 'record',
        record: {
          ...copyBase(account, { ...candidate, match }),
          email: parsed.value,
          fingerprint: fingerprintOf(parsed.value),
          isDraft: (candidate.meta.labelIds ?? []).includes('DRAFT'),
          attachments,
        },
      }
    } catch (error) {
      const reason = `storing attachments failed: ${error instanceof Error ? error.message : 'unknown error'}`
      return { kind: 'failed', failure: { gmailId: candidate.meta.id, reason, retryable: true } }
    }
  }

  async function commit(trx: Kysely<EmailDatabase>, page: PreparedPage, now: string): Promise<CommitResult> {
    const emailIds: number[] = []
    const failed: CaptureFailure[] = []
    // Mailboxes sync in parallel, in several processes. Two pages holding the same email, or two
    // messages of one conversation, must not commit unaware of each other: PostgreSQL would let
    // one insert fail the dedup constraint, or split the conversation into two threads. SQLite
    // has one writer at a time; on PostgreSQL this transaction lock gives the same guarantee.
    if (page.copies.length + page.records.length > 0 && detectDialect(trx as unknown as Kysely<unknown>) === 'postgres') {
      await sql`select pg_advisory_xact_lock(${CAPTURE_COMMIT_LOCK})`.execute(trx)
    }
    const writes: [string, () => Promise<{ emailId: number }>][] = [
      ...page.copies.map((c): [string, () => Promise<{ emailId: number }>] => [c.gmailId, () => storeCopyOf(trx, c, now)]),
      ...page.records.map((r): [string, () => Promise<{ emailId: number }>] => [r.gmailId, () => storeMessage(trx, r, now)]),
    ]
    for (const [gmailId, write] of writes) {
      // A message whose write fails is undone alone; the page (and its checkpoint) still commits.
      // It is tried twice: on PostgreSQL another mailbox's transaction may have been storing the
      // same email at the same moment (a unique violation once it commits); the second try sees
      // that email and joins it, threads included.
      let lastError: unknown = null
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
        await sql`savepoint capture_message`.execute(trx)
        try {
          emailIds.push((await write()).emailId)
          await sql`release savepoint capture_message`.execute(trx)
          lastError = null
          break
        } catch (error) {
          lastError = error
          await sql`rollback to savepoint capture_message`.execute(trx)
          await sql`release savepoint capture_message`.execute(trx)
        }
      }
      if (lastError !== null) {
        const reason = lastError instanceof Error ? lastError.message : 'unknown error'
        failed.push({ gmailId, reason: `storing failed: ${reason}`, retryable: true })
      }
    }
    return { captured: emailIds.length, emailIds, failed }
  }

  return { prepare, commit }
}

function copyBase(account: CaptureAccount, c: Candidate) {
  return {
    accountId: account.id,
    gmailId: c.meta.id,
    gmailThreadId: c.meta.threadId,
    labelIds: c.meta.labelIds ?? [],
    internalDate: internalDateToIso(c.meta.internalDate),
    bcc: c.headers.bcc,
    links: c.match.links.map(
      (l): LinkInput => ({ identityKey: l.identityKey, type: l.type, id: l.id, address: l.address, matchKind: l.matchKind }),
    ),
  }
}

/** Gmail ids of this mailbox already stored: listing them again (a resume, a catch-up overlap) costs nothing. */
async function knownCopies(db: Kysely<EmailDatabase>, accountId: number, gmailIds: readonly string[]): Promise<Set<string>> {
  if (gmailIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('email_copies')
    .select('gmail_id')
    .where('account_id', '=', accountId)
    .where('gmail_id', 'in', [...gmailIds])
    .execute()
  return new Set(rows.map((r) => r.gmail_id))
}

/** Emails another mailbox already stored, recognised from headers alone: their content is not fetched again. */
async function knownEmails(db: Kysely<EmailDatabase>, candidates: readonly Candidate[]): Promise<Map<string, number>> {
  const wanted = new Map<string, { messageId: string; fingerprint: string; draft: number }>()
  for (const c of candidates) {
    const fingerprint = fingerprintOfHeaders(c.headers)
    if (c.headers.messageId === null || fingerprint === null) continue
    wanted.set(c.meta.id, { messageId: c.headers.messageId, fingerprint, draft: (c.meta.labelIds ?? []).includes('DRAFT') ? 1 : 0 })
  }
  if (wanted.size === 0) return new Map()
  const rows = await db
    .selectFrom('emails')
    .select(['id', 'message_id', 'fingerprint', 'is_draft'])
    .where('message_id', 'in', [...new Set([...wanted.values()].map((w) => w.messageId))])
    .execute()
  const found = new Map<string, number>()
  for (const [gmailId, w] of wanted) {
    const row = rows.find((r) => r.message_id === w.messageId && r.fingerprint === w.fingerprint && r.is_draft === w.draft)
    if (row !== undefined) found.set(gmailId, row.id)
  }
  return found
}

/** Splits the messages to fetch into batches by format, each within the byte budget. */
function* contentGroups(candidates: readonly Candidate[], rawLimit: number): Generator<{ format: 'raw' | 'full'; candidates: Candidate[] }> {
  for (const format of ['raw', 'full'] as const) {
    let group: Candidate[] = []
    let bytes = 0
    for (const c of candidates) {
      const size = c.meta.sizeEstimate ?? 0
      if ((size <= rawLimit) !== (format === 'raw')) continue
      if (group.length > 0 && bytes + size > CONTENT_BATCH_BYTES) {
        yield { format, candidates: group }
        group = []
        bytes = 0
      }
      group.push(c)
      bytes += size
    }
    if (group.length > 0) yield { format, candidates: group }
  }
}
