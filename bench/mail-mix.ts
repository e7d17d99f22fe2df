/**
 * The benchmark's mail, with the share of CRM mail as a parameter: the demo's cast, CRM
 * conversations (threads that cross the mailboxes, so CRM mail has copies), newsletters,
 * private and internal mail, spam and unsent drafts, plus the extras of mail-extras.ts.
 * Each mailbox gets `perMailbox` listed messages (what `messages.list` returns: drafts
 * included, spam not), of which about `crmShare` are CRM mail. Deterministic per seed.
 */
import { buildCast } from '../src/testing/fixtures/team-mailbox/cast.js'
import type { PlanContext } from '../src/testing/fixtures/team-mailbox/copies.js'
import { THREAD_KINDS, conversation } from '../src/testing/fixtures/team-mailbox/crm.js'
import { threadStart } from '../src/testing/fixtures/team-mailbox/dates.js'
import { newsletters } from '../src/testing/fixtures/team-mailbox/newsletters.js'
import { internalMail, personalMail, spamMail } from '../src/testing/fixtures/team-mailbox/noise.js'
import { DRAFT_CHANCE, FORWARD_CHANCE, SHARE } from '../src/testing/fixtures/team-mailbox/options.js'
import { Random } from '../src/testing/fixtures/team-mailbox/random.js'
import { renderPlan } from '../src/testing/fixtures/team-mailbox/render.js'
import type { GeneratedMessage, MessagePlan } from '../src/testing/fixtures/team-mailbox/types.js'
import type { DirectoryEntry } from 'crm-email-integration'
import { LARGE_FILE_BYTES, MEDIUM_FILE_BYTES, bigCrmFile, bigPrivateMessage, blockedNotifications, BLOCKED_SENDERS, replyToOnlyInvitations, unsentDrafts } from './mail-extras.js'

/** What a message is to the benchmark: the demo's categories and the two traps. */
export type MailKind = GeneratedMessage['category'] | 'notification' | 'reply-to-only'

/** A generated message and what it is. */
export interface BenchMessage extends GeneratedMessage {
  readonly kind: MailKind
}

/** What to generate. */
export interface MailMixOptions {
  readonly seed: number
  /** The newest date of the mail. */
  readonly now: Date
  readonly days: number
  /** How many teammates' mailboxes (the first ones by address, up to the demo's five). */
  readonly mailboxes: number
  /** Listed messages per mailbox. */
  readonly perMailbox: number
  /** Share of each mailbox's listed messages that is CRM mail, from 0 to 1. */
  readonly crmShare: number
  /** CRM messages per mailbox with a file over 1 MB, and with one over 10 MB. */
  readonly medium: number
  readonly large: number
}

/** The generated mail. */
export interface BenchMail {
  readonly domain: string
  /** The mailboxes, by address. */
  readonly team: readonly string[]
  readonly directory: readonly DirectoryEntry[]
  /** What the host blocklists (the notification senders). */
  readonly blocklist: readonly string[]
  /** Every message with a copy in a mailbox, oldest first. */
  readonly messages: readonly BenchMessage[]
}

/** Share of each mailbox's mail that is notifications from blocklisted CRM senders (search false positives). */
const NOTIFICATION_SHARE = 0.005
/** Share of invitations with a CRM contact in Reply-To only. */
const INVITATION_SHARE = 0.01
/** Share of unsent drafts to CRM contacts (listed by Gmail, excluded from the search by `-in:drafts`). */
const DRAFT_SHARE = 0.005
/** Spam per CRM message, as in the demo. */
const SPAM_SHARE = SHARE.spam
/** How much more mail the pools of other mail hold than the mailboxes take. */
const POOL_SLACK = 1.5
/** More threads than this means the cast cannot reach the asked share; a guard, never reached in practice. */
const MAX_THREADS = 100_000

interface Picked {
  readonly plan: MessagePlan
  readonly kind: MailKind
}

const listedIn = (plan: MessagePlan, mailbox: string): number =>
  plan.copies.filter((c) => c.mailbox === mailbox && !c.labelIds.includes('SPAM') && !c.labelIds.includes('TRASH')).length

/** The plan with only the copies in `team` (the demo puts a draft in its author's mailbox, whoever that is). */
function within(plan: MessagePlan, team: readonly string[]): MessagePlan {
  return plan.copies.every((c) => team.includes(c.mailbox)) ? plan : { ...plan, copies: plan.copies.filter((c) => team.includes(c.mailbox)) }
}

/**
 * CRM conversations until each mailbox holds its share of CRM copies. A conversation stops
 * at the first message that would go to a mailbox that has its share already: the messages
 * before it are still a thread.
 */
function crmThreads(random: Random, context: PlanContext, options: MailMixOptions, team: readonly string[]): Picked[] {
  const cast = buildCast()
  const kinds = THREAD_KINDS.map((k) => [k, k.weight] as const)
  const target = Math.round(options.crmShare * options.perMailbox)
  const copies = new Map(team.map((m) => [m, 0]))
  const picked: Picked[] = []
  for (let i = 0; [...copies.values()].some((n) => n < target) && i < MAX_THREADS; i++) {
    const thread = conversation(random, cast, random.weighted(kinds), `crm:${i}`, threadStart(random, context.now, options.days, 'work'), {
      ...context, maxMessages: 8, forwardChance: FORWARD_CHANCE, draftChance: DRAFT_CHANCE,
    })
    for (const whole of thread) {
      const plan = within(whole, team)
      if (plan.copies.length === 0) continue
      if (plan.category === 'crm') {
        if (team.some((m) => listedIn(plan, m) > 0 && (copies.get(m) ?? 0) >= target)) break
        for (const m of team) copies.set(m, (copies.get(m) ?? 0) + listedIn(plan, m))
      }
      picked.push({ plan, kind: plan.category })
    }
  }
  return picked
}

/**
 * Whole conversations from `pool`, in random order, while each mailbox has room left in
 * `room` (decremented as they are taken).
 */
function fill(random: Random, pool: readonly MessagePlan[], room: Map<string, number>): Picked[] {
  const groups = new Map<string, MessagePlan[]>()
  for (const whole of pool) {
    const plan = within(whole, [...room.keys()])
    if (plan.copies.length > 0) groups.set(plan.threadKey, [...(groups.get(plan.threadKey) ?? []), plan])
  }
  const picked: Picked[] = []
  for (const group of random.sample([...groups.values()], groups.size)) {
    const need = [...room.keys()].map((m) => [m, group.reduce((n, p) => n + listedIn(p, m), 0)] as const)
    if (need.every(([m, n]) => n <= (room.get(m) ?? 0))) {
      for (const [m, n] of need) room.set(m, (room.get(m) ?? 0) - n)
      picked.push(...group.map((plan) => ({ plan, kind: plan.category })))
    }
    if ([...room.values()].every((n) => n <= 0)) break
  }
  return picked
}

/** The other mail of each mailbox up to `perMailbox`: newsletters, private and internal mail in the demo's proportions. */
function otherMail(random: Random, context: PlanContext, options: MailMixOptions, room: Map<string, number>): Picked[] {
  const cast = buildCast()
  const total = [...room.values()].reduce((a, b) => a + Math.max(0, b), 0)
  const weights = SHARE.newsletter + SHARE.personal + SHARE.internal
  // Pools larger than needed: the demo writes to all of its cast's mailboxes, and whole conversations are taken.
  const pool = (share: number) => Math.ceil(((total * share) / weights) * (cast.team.length / room.size) * POOL_SLACK) + 10
  const start = new Map(room)
  const picked: Picked[] = []
  for (const [plans, weight] of [
    [personalMail(random.fork('personal'), cast, context, options.days, pool(SHARE.personal)), SHARE.personal],
    [internalMail(random.fork('internal'), cast, context, options.days, pool(SHARE.internal)), SHARE.internal],
  ] as const) {
    const budget = new Map([...start].map(([m, n]) => [m, Math.floor((Math.max(0, n) * weight) / weights)]))
    const before = new Map(budget)
    picked.push(...fill(random, plans, budget))
    for (const [m, left] of budget) room.set(m, (room.get(m) ?? 0) - ((before.get(m) ?? 0) - left))
  }
  // Newsletters last, one copy each, so that every mailbox ends at its size exactly.
  const letters = newsletters(random.fork('newsletters'), cast, context, options.days, pool(weights))
  picked.push(...fill(random, letters, room))
  return picked
}

function withBigFiles(random: Random, picked: readonly Picked[], options: MailMixOptions, team: readonly string[]): Picked[] {
  const big = new Map<MessagePlan, number>()
  for (const mailbox of team) {
    const firsts = picked.filter((p) => p.kind === 'crm' && p.plan.references.length === 0 && listedIn(p.plan, mailbox) > 0 && !big.has(p.plan))
    const chosen = random.sample(firsts, options.medium + options.large)
    chosen.forEach((p, i) => big.set(p.plan, i < options.large ? LARGE_FILE_BYTES : MEDIUM_FILE_BYTES))
  }
  return picked.map((p) => {
    const bytes = big.get(p.plan)
    return bytes === undefined ? p : { ...p, plan: { ...p.plan, attachments: [...p.plan.attachments, bigCrmFile(random, bytes, p.plan.subject)] } }
  })
}

/**
 * Generates the mail of `options.mailboxes` teammates.
 *
 * @example
 * ```ts
 * const mail = generateMailMix({ seed: 2026, now: new Date('2026-06-01'), days: 365, mailboxes: 2, perMailbox: 1000, crmShare: 0.2, medium: 3, large: 1 })
 * loadTeamMailbox(emu, mail.messages, mail.team)
 * ```
 */
export function generateMailMix(options: MailMixOptions): BenchMail {
  const cast = buildCast()
  const team = cast.team.map((p) => p.address).sort().slice(0, options.mailboxes)
  const random = new Random(options.seed)
  const context: PlanContext = { now: options.now.getTime(), team: new Set(team) }
  const crm = crmThreads(random.fork('crm'), context, options, team)
  const extras: Picked[] = []
  for (const mailbox of team) {
    const r = random.fork(`extras:${mailbox}`)
    const count = (share: number) => Math.max(1, Math.round(share * options.perMailbox))
    extras.push(...blockedNotifications(r, cast, context, options.days, mailbox, count(NOTIFICATION_SHARE)).map((plan) => ({ plan, kind: 'notification' as const })))
    extras.push(...replyToOnlyInvitations(r, cast, context, options.days, mailbox, count(INVITATION_SHARE)).map((plan) => ({ plan, kind: 'reply-to-only' as const })))
    extras.push(...unsentDrafts(r, cast, context, options.days, mailbox, count(DRAFT_SHARE)).map((plan) => ({ plan, kind: 'draft' as const })))
    if (options.medium > 0) extras.push({ plan: bigPrivateMessage(r, cast, context, options.days, mailbox), kind: 'personal' })
  }
  const room = new Map(team.map((m) => [m, options.perMailbox - [...crm, ...extras].reduce((n, p) => n + listedIn(p.plan, m), 0)]))
  const others = otherMail(random.fork('other'), context, options, room)
  const crmMessages = crm.filter((p) => p.kind === 'crm').length
  const spam = spamMail(random.fork('spam'), cast, context, options.days, Math.max(2, Math.round((crmMessages * SPAM_SHARE * cast.team.length) / team.length)))
  const all = withBigFiles(random.fork('big'), [...crm, ...extras, ...others, ...spam.map((p) => within(p, team)).filter((p) => p.copies.length > 0).map((plan) => ({ plan, kind: 'spam' as const }))], options, team)
  const messages = all
    .map((p, index) => ({ message: { ...renderPlan(p.plan), kind: p.kind }, index }))
    .sort((a, b) => a.message.date.getTime() - b.message.date.getTime() || a.index - b.index)
    .map(({ message }) => message)
  return { domain: cast.domain, team, directory: cast.directory, blocklist: BLOCKED_SENDERS.map((s) => s.address), messages }
}
