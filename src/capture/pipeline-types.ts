/**
 * The capture pipeline's shapes: the mailbox a page belongs to, a prepared page, what
 * committing it stored, and the pipeline itself. `pipeline.ts` re-exports them all.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import type { GmailClient } from '../gmail/client-types.js'
import type { GmailMessageRef } from '../gmail/types.js'
import type { CaptureFailure } from './failure.js'
import type { CaptureSkipReason } from './match/policy.js'
import type { CaptureRecord, CopyRecord } from './store.js'

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
  /**
   * Messages whose content was downloaded and then not stored: search candidates the local
   * matcher or the policy turned down (a search false positive). Each is also in `skipped`.
   * Always 0 from `prepare`, which decides before downloading.
   */
  readonly discarded: number
}

/** What committing a page stored. */
export interface CommitResult {
  /** Messages of this mailbox stored (new emails and new copies of known ones). */
  readonly captured: number
  readonly emailIds: readonly number[]
  /** Messages whose write failed; the rest of the page is committed. */
  readonly failed: readonly CaptureFailure[]
}

/**
 * The window's big messages, listed by size (`larger:1M`, `larger:10M`) before the candidates'
 * content is fetched, since a search listing carries no sizes. An id in `large` is in `medium` too.
 */
export interface SizeHints {
  /** Ids of messages over 1 MB: fetched raw, a few per batch call. */
  readonly medium: ReadonlySet<string>
  /** Ids of messages over 10 MB: fetched as a part tree (`format=full`), attachments left pending. */
  readonly large: ReadonlySet<string>
}

/** Turns listed Gmail messages into stored emails. Free of scheduling and HTTP routing. */
export interface CapturePipeline {
  /** Network phase: headers, decisions, content, parsing, attachment bytes. Writes no rows. */
  prepare(account: CaptureAccount, client: GmailClient, refs: readonly GmailMessageRef[], signal?: AbortSignal): Promise<PreparedPage>
  /**
   * Network phase for search candidates: content first (one get per message, no header read),
   * then parsing, matching and the decision; false positives are discarded. Writes no rows.
   */
  prepareCandidates(
    account: CaptureAccount,
    client: GmailClient,
    refs: readonly GmailMessageRef[],
    hints: SizeHints,
    signal?: AbortSignal,
  ): Promise<PreparedPage>
  /** Database phase, inside the caller's transaction; each message behind its own savepoint. */
  commit(trx: Kysely<EmailDatabase>, page: PreparedPage, now: string): Promise<CommitResult>
}
