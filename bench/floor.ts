/**
 * The floor: the least quota a capture of the workload's CRM mail can spend, and the least
 * time Gmail's per-user rate allows for it. A capture must know each mailbox's cursor, list
 * the mailbox, and download the content of each CRM copy once (before its content is read,
 * a copy of a message stored from another mailbox cannot be told from a new message).
 */
import type { QuotaCosts } from 'crm-email-integration'
import { round } from './measure.js'

/** The definition, printed with the numbers so that the JSON explains itself. */
export const FLOOR_DEFINITION =
  'units: per mailbox one getProfile, max(1, ceil(listed / pageSize)) messages.list pages (the list calls of listing the whole ' +
  'mailbox), and one messages.get per CRM copy the mailbox holds; summed over the mailboxes. Not in it: the attachments of ' +
  'messages over 10 MB, which Gmail serves one by one, and anything a strategy spends to find the CRM mail (header reads, ' +
  "searches, the recall guard's sample). seconds: a mailbox's quota bucket starts full (one second's worth) and refills at " +
  'rateUnitsSec, so a mailbox needs max(0, units - rateUnitsSec) / rateUnitsSec seconds; request latency counts as zero; the ' +
  'mailboxes run in address order on as many slots as the library syncs accounts at once (runAll).'

/** One mailbox's share of the floor. */
export interface MailboxFloor {
  readonly listed: number
  readonly pages: number
  readonly crmCopies: number
  readonly units: number
  readonly seconds: number
}

/** The floor of a workload under one cost table and rate. */
export interface Floor {
  readonly units: number
  readonly seconds: number
  readonly perMailbox: Readonly<Record<string, MailboxFloor>>
}

/** What the floor is computed from. */
export interface FloorInput {
  /** Mailboxes in sync order. */
  readonly team: readonly string[]
  readonly listed: ReadonlyMap<string, number>
  readonly crmCopies: ReadonlyMap<string, number>
  readonly costs: QuotaCosts
  readonly rateUnitsSec: number
  readonly pageSize: number
  /** Accounts the library syncs at once. */
  readonly parallelAccounts: number
}

/** Seconds a mailbox needs for `units`: the first second's worth is in the bucket already. */
export function secondsFor(units: number, rate: number): number {
  return Math.max(0, units - rate) / rate
}

/** Greedy list scheduling, as p-limit runs the accounts: each starts on the first free slot. */
export function makespan(durations: readonly number[], slots: number): number {
  const free = Array.from({ length: Math.max(1, slots) }, () => 0)
  for (const duration of durations) {
    const slot = free.indexOf(Math.min(...free))
    free[slot] = (free[slot] ?? 0) + duration
  }
  return Math.max(...free)
}

/**
 * The seconds Gmail's rate alone forces on a sync that spent `unitsByMailbox`, by the floor's
 * time model: what its wall time would be on an idle machine with no latency.
 *
 * @example
 * ```ts
 * quotaSeconds(team, { 'ann@x.example': 1125 }, 225, 3) // 4
 * ```
 */
export function quotaSeconds(team: readonly string[], unitsByMailbox: Readonly<Record<string, number>>, rate: number, slots: number): number {
  return round(makespan(team.map((address) => secondsFor(unitsByMailbox[address] ?? 0, rate)), slots), 3)
}

/**
 * Computes the floor (see {@link FLOOR_DEFINITION}).
 *
 * @example
 * ```ts
 * const floor = floorOf({ team, listed, crmCopies, costs, rateUnitsSec: 225, pageSize: 500, parallelAccounts: 3 })
 * floor.units // profile + list pages + one get per CRM copy
 * ```
 */
export function floorOf(input: FloorInput): Floor {
  const { costs, rateUnitsSec: rate } = input
  const perMailbox: Record<string, MailboxFloor> = {}
  for (const address of input.team) {
    const listed = input.listed.get(address) ?? 0
    const pages = Math.max(1, Math.ceil(listed / input.pageSize))
    const crmCopies = input.crmCopies.get(address) ?? 0
    const units = costs.profile + pages * costs.list + crmCopies * costs.get
    perMailbox[address] = { listed, pages, crmCopies, units, seconds: round(secondsFor(units, rate), 3) }
  }
  const durations = input.team.map((address) => secondsFor(perMailbox[address]?.units ?? 0, rate))
  return {
    units: Object.values(perMailbox).reduce((sum, m) => sum + m.units, 0),
    seconds: round(makespan(durations, input.parallelAccounts), 3),
    perMailbox,
  }
}
