/**
 * The benchmark's mail beyond the demo's: the traps a search-based capture must handle
 * (notifications from a CRM domain that the host blocklists, which Gmail's search finds and
 * the library must discard; invitations whose only CRM address is in Reply-To, which are not
 * CRM mail for either strategy), and big files (over 1 MB, over 10 MB) on CRM and on private
 * mail, made of incompressible bytes so that the raw size is what the bench asks for.
 */
import type { Cast, Person } from '../src/testing/fixtures/team-mailbox/cast.js'
import { finishPlan } from '../src/testing/fixtures/team-mailbox/copies.js'
import type { PlanContext } from '../src/testing/fixtures/team-mailbox/copies.js'
import { threadStart } from '../src/testing/fixtures/team-mailbox/dates.js'
import type { MailAttachment } from '../src/testing/fixtures/team-mailbox/mime.js'
import type { Random } from '../src/testing/fixtures/team-mailbox/random.js'
import type { MessagePlan } from '../src/testing/fixtures/team-mailbox/types.js'

/**
 * Automated senders at CRM organisations' domains. The host blocklists them: their mail is
 * never captured, but a search by the organisation's domain lists it.
 */
export const BLOCKED_SENDERS: readonly { readonly name: string; readonly address: string; readonly subject: string }[] = [
  { name: 'Quillstack', address: 'notifications@quillstack.example', subject: 'Your weekly Quillstack review digest' },
  { name: 'Ferrovia Robotics', address: 'alerts@ferrovia.example', subject: 'Inspection fleet status report' },
  { name: 'Tessellate AI', address: 'no-reply@tessellate.example', subject: 'Your Tessellate workspace usage this month' },
]

/** An event platform writing on behalf of a CRM contact, who is named in Reply-To only. */
const INVITER = { name: 'Founder Forum Events', address: 'events@founderforum.example' }
const INVITING_CONTACTS = ['maya@quillstack.example', 'dana.whitaker@gmail.com', 'kofi@brightpath-logistics.example']

/**
 * Sizes of the big files, as attachments; base64 and its line breaks make the raw message
 * about 1.37 times larger: about 1.6 MiB (Gmail's `larger:1M`) and 11.6 MiB (`larger:10M`,
 * fetched as a part tree by the library).
 */
export const MEDIUM_FILE_BYTES = 1_200 * 1024
export const LARGE_FILE_BYTES = 8_500 * 1024

/** `bytes` of noise from the generator's stream: compresses to nothing, like a video or an archive. */
export function noiseBytes(random: Random, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes)
  for (let i = 0; i + 4 <= bytes; i += 4) buffer.writeUInt32LE(Math.floor(random.next() * 0x1_0000_0000), i)
  return buffer
}

/** A big attachment for a CRM message: a data-room export or a recording. */
export function bigCrmFile(random: Random, bytes: number, subject: string): MailAttachment {
  const name = subject.replace(/^(re|fwd?):\s*/i, '').replace(/[^A-Za-z0-9 .-]+/g, '').trim().slice(0, 40) || 'Documents'
  return bytes >= LARGE_FILE_BYTES
    ? { filename: `${name} - meeting recording.mp4`, contentType: 'video/mp4', content: noiseBytes(random, bytes) }
    : { filename: `${name} - data room export.zip`, contentType: 'application/zip', content: noiseBytes(random, bytes) }
}

function teammateOf(cast: Cast, address: string): Person {
  const person = cast.team.find((p) => p.address === address)
  if (person === undefined) throw new Error(`No teammate ${address}`)
  return person
}

/** `count` notifications from blocklisted senders at CRM domains to `mailbox`. */
export function blockedNotifications(random: Random, cast: Cast, context: PlanContext, days: number, mailbox: string, count: number): MessagePlan[] {
  const to = teammateOf(cast, mailbox)
  return Array.from({ length: count }, (_, n) => {
    const sender = random.pick(BLOCKED_SENDERS)
    return finishPlan(random, {
      category: 'newsletter',
      threadKey: `notification:${mailbox}:${n}`,
      from: { name: sender.name, address: sender.address },
      to: [to],
      cc: [],
      subject: sender.subject,
      date: threadStart(random, context.now, days, 'personal'),
      references: [],
      text: `Hi ${to.first},\n\nHere is your report. Sign in to see the details.\n\nYou receive this because your account has notifications on.\n`,
      html: null,
      attachments: [],
      headers: [['Auto-Submitted', 'auto-generated']],
    }, context, 'CATEGORY_UPDATES')
  })
}

/** `count` invitations to `mailbox` sent by an event platform, a CRM contact in Reply-To only. */
export function replyToOnlyInvitations(random: Random, cast: Cast, context: PlanContext, days: number, mailbox: string, count: number): MessagePlan[] {
  const to = teammateOf(cast, mailbox)
  return Array.from({ length: count }, (_, n) => {
    const host = random.pick(INVITING_CONTACTS)
    return finishPlan(random, {
      category: 'newsletter',
      threadKey: `invitation:${mailbox}:${n}`,
      from: INVITER,
      to: [to],
      cc: [],
      subject: 'You are invited: founders and investors dinner',
      date: threadStart(random, context.now, days, 'personal'),
      references: [],
      text: `Hi ${to.first},\n\nYou are invited to a dinner for founders and investors. Reply to this message to answer your host directly.\n`,
      html: null,
      attachments: [],
      headers: [['Reply-To', host]],
    }, context, 'CATEGORY_PROMOTIONS')
  })
}

/** `count` replies to CRM contacts that `mailbox` started and never sent: drafts, never captured. */
export function unsentDrafts(random: Random, cast: Cast, context: PlanContext, days: number, mailbox: string, count: number): MessagePlan[] {
  const from = teammateOf(cast, mailbox)
  const people = cast.parties.flatMap((p) => p.people)
  return Array.from({ length: count }, (_, n) => {
    const to = random.pick(people)
    return finishPlan(random, {
      category: 'draft',
      threadKey: `unsent:${mailbox}:${n}`,
      from,
      to: [to],
      cc: [],
      subject: 'Following up',
      date: threadStart(random, context.now, days, 'work'),
      references: [],
      text: `Hi ${to.first},\n\nFollowing up on our conversation: \n`,
      html: null,
      attachments: [],
    }, context)
  })
}

/** One private message to `mailbox` with a big file: its content must never be downloaded. */
export function bigPrivateMessage(random: Random, cast: Cast, context: PlanContext, days: number, mailbox: string): MessagePlan {
  const to = teammateOf(cast, mailbox)
  const friend = random.pick(cast.friends.get(mailbox) ?? [])
  return finishPlan(random, {
    category: 'personal',
    threadKey: `big-private:${mailbox}`,
    from: friend,
    to: [to],
    cc: [],
    subject: 'Photos from the lake, full size',
    date: threadStart(random, context.now, days, 'personal'),
    references: [],
    text: `Hi ${to.first},\n\nHere they are in full size, as promised.\n\n${friend.first}\n`,
    html: null,
    attachments: [{ filename: 'lake-photos.zip', contentType: 'application/zip', content: noiseBytes(random, MEDIUM_FILE_BYTES) }],
  }, context)
}
