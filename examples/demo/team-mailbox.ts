/**
 * The demo's generated team mailbox: five teammates of a venture firm on `larkmoor.example`,
 * a year of their mail, and the CRM directory it is matched against. Deterministic: the same
 * options give byte-identical messages.
 *
 * About two thirds of the messages are CRM mail (intros, pitches, term sheets, diligence,
 * board meetings, investor updates, LP letters, capital calls, closings, banking) in threads
 * of one to eight messages that cross the teammates' mailboxes; the rest is mail the CRM
 * must not keep: newsletters, personal mail, internal mail, spam and unsent drafts.
 */
import { buildCast } from './team-mailbox-cast.js'
import type { Cast } from './team-mailbox-cast.js'
import type { PlanContext } from './team-mailbox-copies.js'
import { THREAD_KINDS, conversation } from './team-mailbox-crm.js'
import { threadStart } from './team-mailbox-dates.js'
import { newsletters } from './team-mailbox-newsletters.js'
import { internalMail, personalMail, spamMail } from './team-mailbox-noise.js'
import { Random } from './team-mailbox-random.js'
import { renderPlans } from './team-mailbox-render.js'
import { DRAFT_CHANCE, FORWARD_CHANCE, SHARE, resolveOptions } from './team-mailbox-options.js'
import type { TeamMailboxOptions } from './team-mailbox-options.js'
import type { MessagePlan, TeamMailbox } from './team-mailbox-types.js'

export type { GeneratedCopy, GeneratedMessage, MessageCategory, TeamMailbox } from './team-mailbox-types.js'
export type { MailAddress } from './team-mailbox-mime.js'
export { generateFreshMail } from './team-mailbox-fresh.js'
export type { FreshMailOptions } from './team-mailbox-fresh.js'
export { createLoadState, loadTeamMailbox } from './team-mailbox-load.js'
export { DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_THREADS } from './team-mailbox-options.js'
export type { TeamMailboxOptions } from './team-mailbox-options.js'
export { THREAD_KINDS } from './team-mailbox-crm.js'
export type { LoadResult, LoadState, MailboxTarget } from './team-mailbox-load.js'

function crmThreads(random: Random, cast: Cast, context: PlanContext, days: number, threads: number): MessagePlan[] {
  const kinds = THREAD_KINDS.map((k) => [k, k.weight] as const)
  const plans: MessagePlan[] = []
  for (let i = 0; i < threads; i++) {
    const kind = random.weighted(kinds)
    const start = threadStart(random, context.now, days, 'work')
    plans.push(...conversation(random, cast, kind, `crm:${i}`, start, { ...context, maxMessages: 8, forwardChance: FORWARD_CHANCE, draftChance: DRAFT_CHANCE }))
  }
  return plans
}

/**
 * Generates the team's mailbox: the team, the CRM directory, and every message with the
 * mailboxes that hold a copy, oldest first.
 *
 * @example
 * ```ts
 * const mailbox = generateTeamMailbox({ now: new Date(), seed: 7 })
 * const emu = await startGmailEmulator({ quota: Infinity })
 * loadTeamMailbox(emu, mailbox.messages, mailbox.team.map((t) => t.address))
 * // createEmailIntegration({ ..., directory: async () => mailbox.directory })
 * ```
 */
export function generateTeamMailbox(options: TeamMailboxOptions): TeamMailbox {
  const { seed, now, days, threads } = resolveOptions(options)
  const cast = buildCast()
  const random = new Random(seed)
  const context: PlanContext = { now, team: new Set(cast.team.map((p) => p.address)) }
  const crm = crmThreads(random.fork('crm'), cast, context, days, threads)
  const crmCount = crm.filter((p) => p.category === 'crm').length
  const forwards = crm.filter((p) => p.category === 'internal').length
  const plans = [
    ...crm,
    ...newsletters(random.fork('newsletters'), cast, context, days, Math.round(crmCount * SHARE.newsletter)),
    ...personalMail(random.fork('personal'), cast, context, days, Math.round(crmCount * SHARE.personal)),
    ...internalMail(random.fork('internal'), cast, context, days, Math.round(crmCount * SHARE.internal) - forwards),
    ...spamMail(random.fork('spam'), cast, context, days, Math.max(3, Math.round(crmCount * SHARE.spam))),
  ]
  return {
    domain: cast.domain,
    team: cast.team.map((p) => ({ address: p.address, name: p.name })),
    directory: cast.directory,
    messages: renderPlans(plans),
  }
}
