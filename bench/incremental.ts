/**
 * The incremental sync: after the backfill, new mail (CRM mail, and the other kinds around
 * it) lands in every mailbox, dated in the day before the wall clock as Gmail would date it,
 * and `email.sync.runAll()` runs again. What matters is the quota per new message: history
 * says which messages are new, and the engine decides which are CRM mail at the lower cost.
 */
import { loadTeamMailbox } from '../src/testing/fixtures/team-mailbox/index.js'
import type { LibrarySession, RunCounters } from './library-sync.js'
import type { Workload } from './mailbox.js'
import { buildWorkload } from './mailbox.js'
import { ratio } from './measure.js'
import type { GmailTraffic } from './measure.js'
import type { Scenario } from './options.js'
import type { StoredFacts } from './stored.js'

/** New mail per mailbox: a fiftieth of the mailbox, at least this many (a busy quarter of an hour, or a quiet day). */
const MIN_NEW_PER_MAILBOX = 10
const NEW_SHARE_OF_MAILBOX = 1 / 50
/** Seed offset of the new mail, so that it is not the backfill's mail again. */
const NEW_MAIL_SEED = 7919

/** How the engine decides which new messages are CRM mail (`sync.incrementalDecision`; `auto` is the default). */
export type IncrementalDecision = 'auto' | 'headers' | 'search'

/** The new mail of an incremental scenario, generated once and loaded into each session. */
export type NewMail = Workload

/**
 * New mail for the mailboxes of `scenario`: a fiftieth of a mailbox each (at least ten), the
 * scenario's mix, dated in the day before the wall clock, as Gmail dates what just arrived.
 *
 * @example
 * ```ts
 * const fresh = newMail(scenario, seed)
 * fresh.facts.crmCopies // the new CRM copies an incremental run must store
 * ```
 */
export function newMail(scenario: Scenario, seed: number): NewMail {
  return buildWorkload({
    seed: seed + NEW_MAIL_SEED,
    now: new Date(),
    days: 1,
    mailboxes: scenario.mailboxes,
    perMailbox: Math.max(MIN_NEW_PER_MAILBOX, Math.round(scenario.perMailbox * NEW_SHARE_OF_MAILBOX)),
    crmShare: scenario.crmPercent / 100,
    medium: 0,
    large: 0,
  })
}

/** The incremental run, measured. */
export interface IncrementalResult {
  readonly decision: IncrementalDecision
  /** New copies listed by Gmail (drafts included, spam not), and how many of them are CRM copies. */
  readonly newCopies: number
  readonly newCrmCopies: number
  readonly traffic: GmailTraffic
  readonly counters: RunCounters
  readonly stored: StoredFacts
  /** `messages.get` calls (batch parts included), `messages.list` calls, `history.list` calls. */
  readonly gets: number
  readonly lists: number
  readonly historyCalls: number
  readonly unitsPerNewMessage: number | null
  readonly getsPerNewMessage: number | null
  readonly unitsPerNewCrmCopy: number | null
}

/**
 * Loads new mail into the session's mailboxes and measures the next `runAll`.
 *
 * @example
 * ```ts
 * const session = await openLibrary(scenario, seed, workload, 'search', 'headers')
 * await session.runAll('backfill')
 * const incremental = await runIncremental(session, 'headers', workload, newMail(scenario, seed))
 * ```
 */
export async function runIncremental(session: LibrarySession, decision: IncrementalDecision, workload: Workload, fresh: NewMail): Promise<IncrementalResult> {
  loadTeamMailbox(session.world.emu, fresh.mail.messages, [])
  const expected = {
    crm: new Set([...workload.crm, ...fresh.crm]),
    crmCopyKeys: new Set([...workload.crmCopyKeys, ...fresh.crmCopyKeys]),
  }
  const { traffic, counters, stored } = await session.runAll(`incremental (${decision})`, expected)
  const calls = traffic.calls
  const gets = calls['messages.get'] ?? 0
  const newCopies = fresh.facts.listedCopies
  return {
    decision,
    newCopies,
    newCrmCopies: fresh.facts.crmCopies,
    traffic,
    counters,
    stored,
    gets,
    lists: calls['messages.list'] ?? 0,
    historyCalls: calls['history.list'] ?? 0,
    unitsPerNewMessage: ratio(traffic.units, newCopies),
    getsPerNewMessage: ratio(gets, newCopies),
    unitsPerNewCrmCopy: ratio(traffic.units, fresh.facts.crmCopies),
  }
}
