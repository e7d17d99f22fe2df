/**
 * The quota bound: the least quota a correct `matched`-mode backfill must spend on the
 * workload, and the least time Gmail's per-user rate allows for it.
 */
import type { QuotaCosts } from 'crm-email-integration'
import { round } from './measure.js'

/** The definition, printed with the numbers so that the JSON explains itself. */
export const BOUND_DEFINITION =
  'minimumUnits: what any correct matched-mode backfill must spend. Per mailbox: one getProfile (the incremental cursor), ' +
  'max(1, ceil(listed / pageSize)) messages.list pages, one messages.get per listed message (its headers decide; the content of ' +
  'unmatched mail is never fetched), plus one messages.get (raw, attachments included) per distinct CRM message, charged to the ' +
  'first mailbox in sync order (by address) that holds a capturable copy; the total does not depend on that choice. ' +
  "Time: a mailbox's quota bucket starts full (one second's worth) and refills at rateUnitsSec, so a mailbox needs " +
  'max(0, units - rateUnitsSec) / rateUnitsSec seconds; request latency counts as zero. seconds.libraryParallelism runs the ' +
  'mailboxes in address order on as many slots as the library syncs accounts at once (runAll); seconds.allAccountsParallel ' +
  'runs every mailbox at once and spreads the content reads over their holders so that the slowest mailbox finishes first.'

/** One mailbox's share of the bound. */
export interface MailboxBound {
  readonly listed: number
  readonly pages: number
  /** CRM messages whose content this mailbox reads (first holder in sync order). */
  readonly contentReads: number
  /** Units it must spend whoever reads the content: profile, pages and one metadata read per listed message. */
  readonly mandatoryUnits: number
  readonly minimumUnits: number
  readonly seconds: number
}

/** The bound of a workload under one cost table and rate. */
export interface QuotaBound {
  /** Sum over the mailboxes: the team-wide minimum, whichever mailbox reads each CRM message. */
  readonly minimumUnits: number
  readonly perMailbox: Readonly<Record<string, MailboxBound>>
  readonly seconds: { readonly libraryParallelism: number; readonly allAccountsParallel: number }
}

/** What the bound is computed from. */
export interface BoundInput {
  /** Mailboxes in sync order. */
  readonly team: readonly string[]
  readonly listed: ReadonlyMap<string, number>
  /** Per CRM message, the mailboxes holding a capturable copy, in sync order. */
  readonly crmHolders: readonly (readonly string[])[]
  readonly costs: QuotaCosts
  readonly rateUnitsSec: number
  readonly pageSize: number
  /** Accounts the library syncs at once. */
  readonly parallelAccounts: number
}

/** A bitmask per mailbox set keeps the subset check below cheap; beyond this it would not be. */
const MAX_MAILBOXES = 16

/** Seconds a mailbox needs for `units`: the first second's worth is in the bucket already. */
function secondsFor(units: number, rate: number): number {
  return Math.max(0, units - rate) / rate
}

/** Greedy list scheduling, as p-limit runs the accounts: each starts on the first free slot. */
function makespan(durations: readonly number[], slots: number): number {
  const free = Array.from({ length: Math.max(1, slots) }, () => 0)
  for (const duration of durations) {
    const slot = free.indexOf(Math.min(...free))
    free[slot] = (free[slot] ?? 0) + duration
  }
  return Math.max(...free)
}

/**
 * The least `units` such that every mailbox can finish within it when each CRM message is
 * read by one of its holders. By Hall's theorem an assignment exists when, for every set S of
 * mailboxes, the messages held only within S fit in the spare capacity of S.
 */
function balancedUnits(input: BoundInput, mandatory: readonly number[]): number {
  const n = input.team.length
  const get = input.costs.get
  const groups = new Map<number, number>()
  for (const holders of input.crmHolders) {
    let mask = 0
    for (const h of holders) mask |= 1 << input.team.indexOf(h)
    groups.set(mask, (groups.get(mask) ?? 0) + 1)
  }
  const feasible = (units: number): boolean => {
    const capacity = mandatory.map((m) => (get === 0 ? Infinity : Math.floor((units - m) / get)))
    for (let set = 1; set < 1 << n; set++) {
      let room = 0
      for (let i = 0; i < n; i++) if ((set & (1 << i)) !== 0) room += capacity[i] ?? 0
      let need = 0
      for (const [mask, count] of groups) if ((mask & ~set) === 0) need += count
      if (need > room) return false
    }
    return true
  }
  let low = Math.max(...mandatory)
  let high = low + input.crmHolders.length * get
  while (low < high) {
    const middle = Math.floor((low + high) / 2)
    if (feasible(middle)) high = middle
    else low = middle + 1
  }
  return low
}

/** Computes the bound (see {@link BOUND_DEFINITION}). */
export function quotaBound(input: BoundInput): QuotaBound {
  const { team, costs, rateUnitsSec: rate } = input
  if (team.length === 0 || team.length > MAX_MAILBOXES) throw new RangeError(`the bound handles 1 to ${MAX_MAILBOXES} mailboxes, got ${team.length}`)
  const firstHolder = new Map(team.map((address) => [address, 0]))
  for (const holders of input.crmHolders) {
    const first = holders[0]
    if (first !== undefined) firstHolder.set(first, (firstHolder.get(first) ?? 0) + 1)
  }
  const perMailbox: Record<string, MailboxBound> = {}
  const mandatory: number[] = []
  for (const address of team) {
    const listed = input.listed.get(address) ?? 0
    const pages = Math.max(1, Math.ceil(listed / input.pageSize))
    const mandatoryUnits = costs.profile + pages * costs.list + listed * costs.get
    const contentReads = firstHolder.get(address) ?? 0
    const minimumUnits = mandatoryUnits + contentReads * costs.get
    mandatory.push(mandatoryUnits)
    perMailbox[address] = { listed, pages, contentReads, mandatoryUnits, minimumUnits, seconds: round(secondsFor(minimumUnits, rate), 3) }
  }
  const durations = team.map((address) => secondsFor(perMailbox[address]?.minimumUnits ?? 0, rate))
  return {
    minimumUnits: Object.values(perMailbox).reduce((sum, m) => sum + m.minimumUnits, 0),
    perMailbox,
    seconds: {
      libraryParallelism: round(makespan(durations, input.parallelAccounts), 3),
      allAccountsParallel: round(secondsFor(balancedUnits(input, mandatory), rate), 3),
    },
  }
}
