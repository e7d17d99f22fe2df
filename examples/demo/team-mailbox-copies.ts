/**
 * Where each message lands: the sender's copy is labelled SENT, every teammate among the
 * recipients gets a received copy with the labels Gmail would give it (INBOX unless archived,
 * a category tab, UNREAD for recent mail, sometimes IMPORTANT or STARRED). Also Message-IDs.
 */
import { DAY } from './team-mailbox-dates.js'
import type { MailAddress } from './team-mailbox-mime.js'
import type { Random } from './team-mailbox-random.js'
import type { GeneratedCopy, MessageCategory, MessagePlan } from './team-mailbox-types.js'

/** Mail younger than this is often still unread. */
const FRESH_MS = 2 * DAY
/** Mail older than this is often archived (no INBOX label). */
const ARCHIVE_AFTER_MS = 14 * DAY

/** Gmail's category tabs. */
export type CategoryTab = 'CATEGORY_PERSONAL' | 'CATEGORY_UPDATES' | 'CATEGORY_PROMOTIONS' | 'CATEGORY_SOCIAL' | 'CATEGORY_FORUMS'

/** What decides a message's copies. */
export interface CopyInput {
  readonly from: MailAddress
  readonly to: readonly MailAddress[]
  readonly cc: readonly MailAddress[]
  readonly date: number
  readonly category: MessageCategory
  readonly threadKey: string
  /** The tab of received copies (default CATEGORY_PERSONAL). */
  readonly tab?: CategoryTab
}

function receivedLabels(random: Random, input: CopyInput, now: number): string[] {
  const age = now - input.date
  const labels: string[] = []
  const bulk = input.category === 'newsletter'
  const archived = age > ARCHIVE_AFTER_MS && random.chance(bulk ? 0.3 : 0.45)
  if (!archived) labels.push('INBOX')
  const unread = age < FRESH_MS ? random.chance(0.65) : random.chance(bulk ? 0.5 : 0.03)
  if (unread) labels.push('UNREAD')
  if (!bulk && random.chance(input.category === 'crm' ? 0.45 : 0.2)) labels.push('IMPORTANT')
  if (!bulk && random.chance(0.04)) labels.push('STARRED')
  labels.push(input.tab ?? 'CATEGORY_PERSONAL')
  return labels
}

/**
 * The copies of a message in the team's mailboxes: SENT for a teammate sender, a received
 * copy for each teammate recipient. Spam and drafts have a single copy (SPAM / DRAFT).
 */
export function copiesOf(random: Random, input: CopyInput, team: ReadonlySet<string>, now: number): GeneratedCopy[] {
  const { threadKey } = input
  if (input.category === 'draft') return [{ mailbox: input.from.address, labelIds: ['DRAFT'], threadKey }]
  const recipients = [...input.to, ...input.cc].map((a) => a.address).filter((a) => team.has(a))
  if (input.category === 'spam') {
    return recipients.slice(0, 1).map((mailbox) => ({ mailbox, labelIds: random.chance(0.7) ? ['SPAM', 'UNREAD'] : ['SPAM'], threadKey }))
  }
  const copies: GeneratedCopy[] = []
  if (team.has(input.from.address)) {
    copies.push({ mailbox: input.from.address, labelIds: random.chance(0.2) ? ['SENT', 'IMPORTANT'] : ['SENT'], threadKey })
  }
  for (const mailbox of new Set(recipients)) {
    if (mailbox === input.from.address) continue
    copies.push({ mailbox, labelIds: receivedLabels(random, input, now), threadKey })
  }
  return copies
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

/** A Message-ID in the shape many servers use: time stamp, random part, the sender's domain. */
export function newMessageId(random: Random, date: number, from: MailAddress): string {
  const domain = from.address.slice(from.address.lastIndexOf('@') + 1)
  return `${stamp(date)}.${random.hex(16)}@${domain}`
}

/** What every generator knows when it finishes a message. */
export interface PlanContext {
  readonly now: number
  /** The team's addresses. */
  readonly team: ReadonlySet<string>
}

/** A message's content completed with its Message-ID, MIME boundary and copies. */
export function finishPlan(random: Random, base: Omit<MessagePlan, 'messageId' | 'copies' | 'boundary'>, context: PlanContext, tab?: CategoryTab): MessagePlan {
  const messageId = newMessageId(random, base.date, base.from)
  const copies = copiesOf(random, { ...base, ...(tab === undefined ? {} : { tab }) }, context.team, context.now)
  return { ...base, messageId, copies, boundary: random.hex(12) }
}
