/**
 * The shapes of `email.audit()`: what an operator asks (one account, optionally one identity)
 * and what comes back (per identity, what Gmail's search lists against what the library holds,
 * and the CRM mail of the window that no search listed).
 */

/** What {@link AuditReport} is built from. */
export interface AuditOptions {
  /** The enrolled mailbox to audit. */
  readonly account: string
  /** One identity key (`fund:7`, `org:o-1`, `contact:c-1`) instead of every identity of the directory. */
  readonly identity?: string
  /**
   * Read the headers of every message of the window that no identity's search listed and that
   * is neither stored nor failed (default `true`): the only way to find CRM mail Gmail's search
   * missed, at one `messages.get` (format=metadata) per such message.
   */
  readonly readHeaders?: boolean
  /** Stops the audit between Gmail calls; it rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

/**
 * Why a message belongs in the report:
 * - `missed_by_search`: CRM mail that the search did not list (or listed without it ever being
 *   captured while the account synced after it arrived);
 * - `not_yet_synced`: arrived after the account's last completed run started, or listed by a
 *   search term the account has not captured yet (an identity new to the directory), or the
 *   account never completed a run: the next run captures it;
 * - `failed` / `parked`: recorded in the account's failures (parked: no longer retried by a
 *   scheduled run);
 * - `skipped_by_policy`: listed by search, but the capture policy refuses it (`blocked`,
 *   `spam`, `trash`, `draft` in `detail`);
 * - `not_crm_mail`: listed by search, but not CRM mail by its headers (`unmatched`,
 *   `internal` in `detail`): a search false positive.
 */
export type AuditReason = 'missed_by_search' | 'not_yet_synced' | 'failed' | 'parked' | 'skipped_by_policy' | 'not_crm_mail'

/** One message of the mailbox the library does not hold, and why. */
export interface AuditMessage {
  readonly gmailId: string
  readonly reason: AuditReason
  /** More on the reason: the failure's text, the policy's skip reason; `null` when there is nothing to add. */
  readonly detail: string | null
  /** The identity keys it concerns: whose search listed it, or those its headers link to. */
  readonly identities: readonly string[]
  /** Gmail's internal date (ISO), when its headers were read; `null` otherwise. */
  readonly date: string | null
}

/** One identity of the directory: what its search lists, and what the library holds of it. */
export interface AuditIdentity {
  readonly identityKey: string
  readonly name: string
  /** Its search terms' keys (`addr:dana@acme.vc`, `domain:acme.vc`). */
  readonly terms: readonly string[]
  /** Messages its candidate queries listed over the window. */
  readonly foundBySearch: number
  /** Copies of the account in the window linked to it through a From, To, Cc or Bcc address. */
  readonly stored: number
  /** Messages its search listed that the account does not hold, each with a reason. */
  readonly missing: readonly AuditMessage[]
  /** Stored copies linked to it that its search did not list: mail the search misses and the library holds. */
  readonly storedNotFound: number
}

/** What `email.audit()` found for one account. */
export interface AuditReport {
  readonly account: string
  /** The backfill window audited: from `after` (ISO) to now; `null` means all mail. */
  readonly window: { readonly after: string | null }
  readonly identities: readonly AuditIdentity[]
  /** CRM mail of the window that no identity's search listed (found by reading headers). */
  readonly missedBySearch: readonly AuditMessage[]
  /** Gmail quota units the audit spent. */
  readonly unitsSpent: number
}
