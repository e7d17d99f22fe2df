/**
 * One CRM conversation, message by message: a kind's script played for a random number of
 * steps, each a reply-all to the one before (with people joining and leaving), quoting its
 * parent, sometimes forwarded inside the team (internal mail the CRM does not keep) and
 * sometimes ending in an unsent draft reply.
 */
import { attachmentFor } from './team-mailbox-attachments.js'
import type { Cast, Person } from './team-mailbox-cast.js'
import { finishPlan } from './team-mailbox-copies.js'
import type { PlanContext } from './team-mailbox-copies.js'
import { HOUR, replyTime } from './team-mailbox-dates.js'
import type { Role, ThreadKind } from './team-mailbox-kinds.js'
import { DEAL_KINDS } from './team-mailbox-kinds-deals.js'
import { FUND_KINDS } from './team-mailbox-kinds-fund.js'
import { PORTFOLIO_KINDS } from './team-mailbox-kinds-portfolio.js'
import type { Random } from './team-mailbox-random.js'
import { closing, fill, forwardedBlock, greeting, htmlText, plainText, replySubject } from './team-mailbox-text.js'
import type { Composition } from './team-mailbox-text.js'
import { setUpThread } from './team-mailbox-thread-setup.js'
import type { MessagePlan } from './team-mailbox-types.js'

/** The CRM conversation kinds, all sides of the business. */
export const THREAD_KINDS: readonly ThreadKind[] = [...DEAL_KINDS, ...PORTFOLIO_KINDS, ...FUND_KINDS]

/** How long threads run: most are short, a few go to eight messages. */
const LENGTH_WEIGHTS: readonly (readonly [number, number])[] = [[1, 18], [2, 24], [3, 20], [4, 14], [5, 10], [6, 7], [7, 4], [8, 3]]
/** Chance that a quote of the parent follows a reply (some people trim it). */
const QUOTE_CHANCE = 0.85

const FORWARD_NOTES = [
  '{team3}, FYI, see below.',
  '{team3}: worth a look before the Monday partner meeting.',
  'Forwarding for context. {team3}, could you take a first pass?',
  'Sharing in case useful. Thoughts?',
]
const DRAFT_OPENINGS = [
  'Thanks {first}, let me check with the team and come back to you.',
  'Thanks {first}. Quick thought on this:',
  'Sounds good. One question before we',
  'Hi {first}, apologies for the slow reply.',
]

/** What shapes a conversation besides its kind. */
export interface ConversationOptions extends PlanContext {
  /** At most this many messages (fewer when the script or `now` ends it first). */
  readonly maxMessages: number
  /** Chance that the thread is forwarded inside the team once. */
  readonly forwardChance: number
  /** Chance that it ends with an unsent draft reply. */
  readonly draftChance: number
}

interface Sent {
  readonly by: Role
  readonly to: readonly Role[]
  readonly cc: readonly Role[]
  readonly plan: MessagePlan
}

/** The messages of one conversation of `kind` starting at `start`, in order. */
export function conversation(random: Random, cast: Cast, kind: ThreadKind, threadKey: string, start: number, options: ConversationOptions): MessagePlan[] {
  const { roles, vars } = setUpThread(random, cast, kind, start)
  const has = (r: Role): boolean => roles[r] !== null
  const person = (r: Role): Person => roles[r] ?? roles.ext
  const stand = (r: Role): Role => (has(r) ? r : r === 'ext2' ? 'ext' : 'team2')
  const external = (r: Role): boolean => r === 'ext' || r === 'ext2'
  // One line of the script throughout, so that each answer fits the message it answers.
  const variant = random.int(0, 1)
  const subject = fill(kind.alignedSubjects === true ? kind.subjects[variant % kind.subjects.length] ?? '' : random.pick(kind.subjects), vars)
  const length = Math.min(kind.steps.length, options.maxMessages, random.weighted(LENGTH_WEIGHTS))
  const forwardAt = random.chance(options.forwardChance) ? random.int(0, length - 1) : -1
  const plans: MessagePlan[] = []
  let prev: Sent | null = null
  let notBefore = start
  let joining: Role | null = null

  for (let i = 0; i < length; i++) {
    const step = kind.steps[i]
    if (step === undefined) break
    const by = stand(step.by)
    const date = prev === null ? start : replyTime(random, Math.max(prev.plan.date, notBefore), 'work')
    if (date > options.now) break
    let to: Role[] = prev === null ? kind.to.filter(has) : [...new Set([prev.by, ...prev.to])]
    let cc: Role[] = prev === null ? kind.cc.filter(has) : [...prev.cc]
    if (step.adds !== undefined && has(step.adds)) cc.push(step.adds)
    if (joining !== null && !external(by)) {
      cc.push(joining)
      joining = null
    }
    to = [...new Set(to)].filter((r) => r !== by)
    cc = [...new Set(cc)].filter((r) => r !== by && !to.includes(r))
    const drop = step.drops
    if (drop !== undefined && [by, ...to, ...cc].some((r) => external(r) && r !== drop)) {
      to = to.filter((r) => r !== drop)
      cc = cc.filter((r) => r !== drop)
    }
    if (to.length === 0) [to, cc] = [cc, []]
    // Mail with no outsider left is internal, not CRM mail: the conversation has moved on.
    if (to.length === 0 || ![by, ...to, ...cc].some(external)) break

    const sender = person(by)
    const { signOff, signature } = closing(random, sender, prev === null)
    const composition: Composition = {
      // A message that moves someone to Bcc speaks to both people in turn, without a greeting.
      greeting: step.drops === undefined ? greeting(random, to.map(person), prev === null) : '',
      body: fill(step.says[variant % step.says.length] ?? '', vars),
      signOff,
      signature,
      quote: prev !== null && random.chance(QUOTE_CHANCE) ? { from: prev.plan.from, date: prev.plan.date, text: prev.plan.text } : null,
    }
    const message = finishPlan(random, {
      category: 'crm',
      threadKey,
      from: sender,
      to: to.map(person),
      cc: cc.map(person),
      subject: prev === null ? subject : replySubject(subject),
      date,
      references: prev === null ? [] : [...prev.plan.references, prev.plan.messageId],
      text: plainText(composition),
      html: random.chance(kind.html) ? htmlText(composition) : null,
      attachments: step.attach === undefined ? [] : [attachmentFor(random, step.attach, vars, new Date(date).getUTCFullYear())],
    }, options, prev === null && external(by) ? kind.tab : undefined)
    plans.push(message)
    prev = { by, to, cc, plan: message }

    const leadReceived = to.includes('lead') || cc.includes('lead')
    if (i === forwardAt && leadReceived) {
      const forward = forwardInside(random, message, roles.lead, roles.team3, vars.team3, options)
      if (forward !== null) {
        plans.push(forward)
        notBefore = forward.date
        if (random.chance(0.6)) joining = 'team3'
      }
    }
  }
  const last = prev
  if (last !== null && external(last.by) && random.chance(options.draftChance)) {
    const drafter = [...last.to, ...last.cc].find((r) => !external(r))
    const draft = drafter === undefined ? null : unsentReply(random, last.plan, person(last.by), person(drafter), subject, options)
    if (draft !== null) plans.push(draft)
  }
  return plans
}

/** The lead forwarding a message to a teammate who is not on the thread (internal mail). */
function forwardInside(random: Random, message: MessagePlan, lead: Person, team3: Person, team3First: string, options: ConversationOptions): MessagePlan | null {
  const date = replyTime(random, message.date, 'work', 6 * HOUR)
  if (date > options.now) return null
  const note = fill(random.pick(FORWARD_NOTES), { team3: team3First })
  const text = `${note}\n\n${forwardedBlock(message.from, message.to, message.date, message.subject, message.text)}\n`
  return finishPlan(random, {
    category: 'internal',
    threadKey: message.threadKey,
    from: lead,
    to: [team3],
    cc: [],
    subject: `Fwd: ${message.subject}`,
    date,
    references: [...message.references, message.messageId],
    text,
    html: null,
    attachments: message.attachments,
  }, options)
}

/** A reply a teammate started and never sent: a DRAFT in their mailbox only. */
function unsentReply(random: Random, parent: MessagePlan, author: Person, drafter: Person, subject: string, options: ConversationOptions): MessagePlan | null {
  const date = replyTime(random, parent.date, 'work', 2 * HOUR)
  if (date > options.now) return null
  return finishPlan(random, {
    category: 'draft',
    threadKey: parent.threadKey,
    from: drafter,
    to: [parent.from],
    cc: [],
    subject: replySubject(subject),
    date,
    references: [...parent.references, parent.messageId],
    text: `${fill(random.pick(DRAFT_OPENINGS), { first: author.first })}\n`,
    html: null,
    attachments: [],
  }, options)
}
