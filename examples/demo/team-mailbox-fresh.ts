/**
 * Mail that arrived since the last load: a handful of CRM messages in the hours before `now`,
 * some answering conversations of the base mailbox, some starting new ones, so that running
 * the demo again has something for an incremental sync to find.
 */
import { buildCast } from './team-mailbox-cast.js'
import type { Person } from './team-mailbox-cast.js'
import { finishPlan } from './team-mailbox-copies.js'
import type { PlanContext } from './team-mailbox-copies.js'
import { THREAD_KINDS, conversation } from './team-mailbox-crm.js'
import { DAY, HOUR, MINUTE } from './team-mailbox-dates.js'
import { DEFAULT_SEED, resolveOptions } from './team-mailbox-options.js'
import type { MailAddress } from './team-mailbox-mime.js'
import { Random } from './team-mailbox-random.js'
import { renderPlans } from './team-mailbox-render.js'
import { closing, greeting, plainText, replySubject } from './team-mailbox-text.js'
import type { GeneratedMessage, MessagePlan, TeamMailbox } from './team-mailbox-types.js'

/** Fresh mail lands within this many hours before `now`. */
const FRESH_HOURS = 6
/** Conversations quieter than this are not picked up again: nobody answers a thread from last year. */
const OPEN_THREAD_DAYS = 45
const MIN_FRESH = 5
const MAX_FRESH = 15

const FOLLOW_UPS = [
  'Just following up on this. Any thoughts?',
  'Quick update: we signed two more customers this week, so the numbers in the deck are already out of date.',
  'Circling back: are we still on for this week?',
  'Thanks for your patience. The documents you asked for are now in the data room.',
  'Apologies for the delay. Happy to go ahead as discussed.',
  'One more question from our side before we finalise: could you confirm the timing?',
]

/** Options of {@link generateFreshMail}. */
export interface FreshMailOptions {
  /** Which run of the demo this is (1, 2, ...); each run gives different, deterministic mail. */
  readonly run: number
  /** The newest possible date. */
  readonly now: Date
  /** Default: the seed of the base mailbox's default. */
  readonly seed?: number
}

function person(a: MailAddress): Person {
  return { ...a, first: a.name.split(' ')[0] ?? a.name, title: '', company: '' }
}

/** An outsider on `parent` answering everyone on it. */
function followUp(random: Random, parent: GeneratedMessage, date: number, team: ReadonlySet<string>, context: PlanContext): MessagePlan | null {
  const everyone = [parent.from, ...parent.to, ...parent.cc]
  const outsiders = everyone.filter((a) => !team.has(a.address))
  if (outsiders.length === 0) return null
  const sender = person(random.pick(outsiders))
  const to = [parent.from, ...parent.to].filter((a) => a.address !== sender.address).map(person)
  const cc = parent.cc.filter((a) => a.address !== sender.address).map(person)
  if (to.length === 0) return null
  const { signOff, signature } = closing(random, sender, false)
  return finishPlan(random, {
    category: 'crm',
    threadKey: parent.threadKey,
    from: sender,
    to,
    cc,
    subject: replySubject(parent.subject),
    date,
    references: [...parent.references, parent.messageId],
    text: plainText({ greeting: greeting(random, to, false), body: random.pick(FOLLOW_UPS), signOff, signature, quote: null }),
    html: null,
    attachments: [],
  }, context)
}

/**
 * A handful (5 to 15) of new CRM messages dated in the six hours before `now`: answers to
 * conversations of `base` that were active in the weeks before, and new conversations. The
 * same base, run, `now` and seed give the same messages; Message-IDs differ between runs.
 *
 * @example
 * ```ts
 * const fresh = generateFreshMail(mailbox, { run: 1, now: new Date() })
 * loadTeamMailbox(emu, fresh, [], state)   // the state of the first load
 * ```
 */
export function generateFreshMail(base: TeamMailbox, options: FreshMailOptions): GeneratedMessage[] {
  if (!Number.isSafeInteger(options.run) || options.run < 0) throw new TypeError(`Expected \`run\` to be a non-negative integer, got ${String(options.run)}`)
  const { seed, now } = resolveOptions({ now: options.now, seed: options.seed ?? DEFAULT_SEED })
  const random = new Random(seed).fork(`fresh:${options.run}`)
  const cast = buildCast()
  const team = new Set(base.team.map((t) => t.address))
  const context: PlanContext = { now, team }
  const target = random.int(MIN_FRESH, MAX_FRESH)
  const since = now - FRESH_HOURS * HOUR

  const latest = new Map<string, GeneratedMessage>()
  for (const m of base.messages) if (m.category === 'crm') latest.set(m.threadKey, m)
  const open = [...latest.values()].filter((m) => m.date.getTime() < since - 2 * HOUR && m.date.getTime() > now - OPEN_THREAD_DAYS * DAY)
  const plans: MessagePlan[] = []
  for (const parent of random.sample(open, random.int(2, Math.ceil(target / 2)))) {
    const date = since + random.int(0, FRESH_HOURS * 60 - 1) * MINUTE + random.int(0, 59) * 1000
    const reply = followUp(random, parent, date, team, context)
    if (reply !== null) plans.push(reply)
  }
  const kinds = THREAD_KINDS.map((k) => [k, k.weight] as const)
  for (let i = 0; plans.length < target; i++) {
    const start = since + random.int(0, FRESH_HOURS * 60 - 30) * MINUTE + random.int(0, 59) * 1000
    const thread = conversation(random, cast, random.weighted(kinds), `fresh:${options.run}:${i}`, start, {
      ...context, maxMessages: Math.min(2, target - plans.length), forwardChance: 0, draftChance: 0,
    })
    plans.push(...thread.filter((p) => p.category === 'crm'))
  }
  return renderPlans(plans)
}
