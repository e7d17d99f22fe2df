/**
 * The capture policy (SPEC §6): from a message's Gmail labels and what the index said about
 * its headers, whether the message is captured at all. In `matched` mode it runs on the
 * metadata before the content is fetched (headers strategy), or on the content of a candidate
 * Gmail's search listed (search strategy), whose false positives are then discarded.
 */
import type { EmailConfig } from '../../config/index.js'
import type { MessageMatch } from './match-index.js'

/** Why a message is not captured. */
export type CaptureSkipReason = 'spam' | 'trash' | 'draft' | 'blocked' | 'internal' | 'unmatched'

/** The decision for one message. */
export type CaptureDecision = { readonly capture: true } | { readonly capture: false; readonly reason: CaptureSkipReason }

/**
 * Gmail system labels whose messages are never captured, checked in this order: spam is not
 * correspondence, trash was thrown away on purpose, and a draft is unsent and changes until it
 * is (the sent copy is captured when it goes out).
 */
export const NEVER_CAPTURED_LABELS: readonly (readonly [labelId: string, reason: CaptureSkipReason])[] = Object.freeze([
  Object.freeze(['SPAM', 'spam'] as const),
  Object.freeze(['TRASH', 'trash'] as const),
  Object.freeze(['DRAFT', 'draft'] as const),
])

/** What the policy needs to decide. */
export interface CaptureInput {
  /** The message's Gmail label ids; Gmail omits the field on some messages. */
  readonly labelIds: readonly string[] | null | undefined
  readonly match: Pick<MessageMatch, 'links' | 'internalOnly' | 'blocked' | 'visibleToSearch'>
  readonly config: Pick<EmailConfig, 'capture'>
}

const CAPTURE: CaptureDecision = Object.freeze({ capture: true })

function skip(reason: CaptureSkipReason): CaptureDecision {
  return { capture: false, reason }
}

/**
 * Decides whether a message is captured, first rule that applies:
 *
 * 1. labelled SPAM, TRASH or DRAFT: never (`spam`, `trash`, `draft`);
 * 2. a participant on the blocklist: never (`blocked`);
 * 3. `matched` mode: internal-only mail is skipped (`internal`: "not CRM mail"), then mail
 *    without any link, or whose links all come from Sender or Reply-To (`unmatched`): CRM mail
 *    is what Gmail's search can see, a link from a From, To, Cc or Bcc address, so the search
 *    and headers strategies capture the same messages;
 * 4. otherwise captured.
 *
 * In `all` mode internal-only mail is captured. SPEC §6 says such mail "is not CRM mail", which
 * decides what is matched and linked; `all` is the host's explicit choice to archive every
 * message the team sends or receives ("all mode stores everything else", issue 4), and an
 * internal thread often carries a deal's discussion. It simply has no links, so it never appears
 * under a fund, org or contact. A host that wants CRM mail only chooses `matched`.
 *
 * @example
 * ```ts
 * const match = index.matchHeaders(headers)
 * const decision = decideCapture({ labelIds: message.labelIds, match, config })
 * if (!decision.capture) logger.debug?.({ reason: decision.reason }, 'skipped')
 * ```
 */
export function decideCapture({ labelIds, match, config }: CaptureInput): CaptureDecision {
  const labels = new Set(labelIds ?? [])
  for (const [labelId, reason] of NEVER_CAPTURED_LABELS) {
    if (labels.has(labelId)) return skip(reason)
  }
  if (match.blocked) return skip('blocked')
  if (config.capture === 'matched') {
    if (match.internalOnly) return skip('internal')
    if (match.links.length === 0 || !match.visibleToSearch) return skip('unmatched')
  }
  return CAPTURE
}
