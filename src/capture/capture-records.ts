/**
 * The steps both capture paths share (headers first, and search candidates' content first):
 * reading fetched content (parse, match, decide), turning it into a record to store, the copy
 * fields of a message, and recognising what is already stored.
 */
import type { Kysely } from 'kysely'
import type { EmailConfig } from '../config/index.js'
import type { EmailDatabase } from '../db/database.js'
import { errorMessage } from '../errors.js'
import type { GmailMessage } from '../gmail/types.js'
import type { BlobStore } from '../db/blob-store.js'
import { prepareAttachments } from './capture-attachments.js'
import type { CaptureFailure } from './failure.js'
import type { MatchIndex, MessageMatch } from './match/match-index.js'
import { decideCapture, type CaptureSkipReason } from './match/policy.js'
import { internalDateToIso } from './parse/date.js'
import { fingerprintOf } from './parse/assemble.js'
import { parseFullMessage } from './parse/full.js'
import { parseRawMessage } from './parse/raw.js'
import type { ParsedEmail, ParsedHeaders } from './parse/parsed-email.js'
import type { CaptureAccount } from './pipeline-types.js'
import type { CaptureRecord, CopyRecord, LinkInput } from './store.js'

/** What reading and recording content needs: the matcher, the policy, the blob store. */
export interface ContentDeps {
  readonly index: MatchIndex
  readonly config: EmailConfig
  readonly blobs: BlobStore
  /** Attachments over this size are recorded as skipped, never written. */
  readonly maxAttachmentBytes: number
}

/** What a copy row is made from: Gmail's fields of the message, its Bcc, its match. */
export interface CopySource {
  readonly meta: Pick<GmailMessage, 'id' | 'threadId' | 'labelIds' | 'internalDate'>
  readonly headers: Pick<ParsedHeaders, 'bcc'>
  readonly match: MessageMatch
}

/** Fetched content after reading: to store, turned down by the policy, or unreadable. */
export type ContentReading =
  | { readonly kind: 'capture'; readonly email: ParsedEmail; readonly match: MessageMatch }
  | { readonly kind: 'skipped'; readonly reason: CaptureSkipReason }
  | { readonly kind: 'failed'; readonly failure: CaptureFailure }

/** A record ready to store, or why its attachments could not be written. */
export type RecordOutcome = { readonly kind: 'record'; readonly record: CaptureRecord } | { readonly kind: 'failed'; readonly failure: CaptureFailure }

/**
 * Parses a `raw` or `full` answer, matches the parser's reading of the headers and decides on
 * it with `labelIds`: the email stores the parser's participants, so its links and the
 * decision come from the same reading.
 *
 * @example
 * ```ts
 * const reading = await readContent(deps, message, 'raw', message.labelIds)
 * if (reading.kind === 'capture') console.log(reading.email.subject, reading.match.links.length)
 * ```
 */
export async function readContent(
  deps: ContentDeps,
  message: GmailMessage,
  format: 'raw' | 'full',
  labelIds: readonly string[] | undefined,
  fallbackInternalDate?: string,
): Promise<ContentReading> {
  const internalDate = message.internalDate ?? fallbackInternalDate ?? null
  // A body Gmail left out may come with the next answer; a body the parser refused is refused every time.
  if (format === 'raw' && message.raw === undefined) {
    return { kind: 'failed', failure: { gmailId: message.id, reason: 'Gmail returned no raw content', retryable: true } }
  }
  const parsed =
    message.raw !== undefined && format === 'raw'
      ? await parseRawMessage(Buffer.from(message.raw, 'base64url'), { internalDate, sizeEstimate: message.sizeEstimate ?? null })
      : parseFullMessage({ ...message, ...(internalDate === null ? {} : { internalDate }) })
  if (!parsed.ok) return { kind: 'failed', failure: { gmailId: message.id, reason: parsed.reason, retryable: false } }
  const match = deps.index.matchHeaders(parsed.value)
  const decision = decideCapture({ labelIds: labelIds ?? [], match, config: deps.config })
  return decision.capture ? { kind: 'capture', email: parsed.value, match } : { kind: 'skipped', reason: decision.reason }
}

/**
 * A full record of a message to store: its copy fields and the email, its attachments' bytes
 * written to the blob store now (before the transaction, so no row points at a missing file).
 *
 * @example
 * ```ts
 * const outcome = await recordOf(deps, account, { meta: message, headers: email, match }, email)
 * if (outcome.kind === 'record') records.push(outcome.record)
 * ```
 */
export async function recordOf(deps: ContentDeps, account: CaptureAccount, source: CopySource, email: ParsedEmail): Promise<RecordOutcome> {
  try {
    const attachments = await prepareAttachments(email.attachments, deps.blobs, deps.maxAttachmentBytes)
    return {
      kind: 'record',
      record: { ...copyBase(account, source), email, fingerprint: fingerprintOf(email), isDraft: isDraft(source.meta), attachments },
    }
  } catch (error) {
    const reason = `storing attachments failed: ${errorMessage(error)}`
    return { kind: 'failed', failure: { gmailId: source.meta.id, reason, retryable: true } }
  }
}

/**
 * The fields of a copy row: this mailbox's Gmail ids, labels, date, the Bcc its copy shows and
 * the links of its match. The same for a copy recognised from headers or from content.
 *
 * @example
 * ```ts
 * copies.push({ ...copyBase(account, { meta, headers, match }), emailId })
 * ```
 */
export function copyBase(account: CaptureAccount, c: CopySource): Omit<CopyRecord, 'emailId'> {
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

/** Whether Gmail labels the message a draft (a draft and its sent email are different emails). */
export function isDraft(meta: Pick<GmailMessage, 'labelIds'>): boolean {
  return (meta.labelIds ?? []).includes('DRAFT')
}

/**
 * Gmail ids of this mailbox already stored: listing them again (a resume, a catch-up overlap)
 * costs nothing.
 *
 * @example
 * ```ts
 * const known = await knownCopies(db, account.id, refs.map((r) => r.id))
 * ```
 */
export async function knownCopies(db: Kysely<EmailDatabase>, accountId: number, gmailIds: readonly string[]): Promise<Set<string>> {
  if (gmailIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('email_copies')
    .select('gmail_id')
    .where('account_id', '=', accountId)
    .where('gmail_id', 'in', [...gmailIds])
    .execute()
  return new Set(rows.map((r) => r.gmail_id))
}

/** What identifies a stored email across mailboxes: the store's own dedup key. */
export interface EmailIdentity {
  readonly gmailId: string
  readonly messageId: string
  readonly fingerprint: string
  readonly draft: boolean
}

/**
 * Emails another mailbox already stored (same Message-ID, fingerprint and draft flag, as the
 * store deduplicates): such a message becomes a copy row, its content and attachments not
 * written again.
 *
 * @returns Gmail id -> the stored email's id, for the ones found.
 * @example
 * ```ts
 * const found = await knownEmails(db, [{ gmailId, messageId, fingerprint, draft: false }])
 * ```
 */
export async function knownEmails(db: Kysely<EmailDatabase>, wanted: readonly EmailIdentity[]): Promise<Map<string, number>> {
  if (wanted.length === 0) return new Map()
  const rows = await db
    .selectFrom('emails')
    .select(['id', 'message_id', 'fingerprint', 'is_draft'])
    .where('message_id', 'in', [...new Set(wanted.map((w) => w.messageId))])
    .execute()
  const found = new Map<string, number>()
  for (const w of wanted) {
    const draft = w.draft ? 1 : 0
    const row = rows.find((r) => r.message_id === w.messageId && r.fingerprint === w.fingerprint && r.is_draft === draft)
    if (row !== undefined) found.set(w.gmailId, row.id)
  }
  return found
}
