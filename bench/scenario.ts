/**
 * One scenario of the benchmark: the workload at one CRM share, its floor, the library's
 * backfill with each capture strategy (`search`, the default, and `headers`, the previous
 * header-first one) and the naive syncs, each on a fresh emulator holding the same mail under
 * the same cost table and rate; the incremental sync after the search backfill; the ratios.
 */
import { resolveConfig } from 'crm-email-integration'
import type { QuotaCosts } from 'crm-email-integration'
import { MAX_PARALLEL_ACCOUNTS } from '../src/sync/engine.js'
import { floorOf, quotaSeconds } from './floor.js'
import type { Floor } from './floor.js'
import { newMail, runIncremental } from './incremental.js'
import type { IncrementalDecision, IncrementalResult } from './incremental.js'
import { openLibrary, runLibraryBackfill } from './library-sync.js'
import type { LibraryResult, LibrarySession } from './library-sync.js'
import { buildWorkload } from './mailbox.js'
import type { WorkloadFacts } from './mailbox.js'
import { costTable, progress, ratio } from './measure.js'
import type { GmailTraffic } from './measure.js'
import { runNaiveSync } from './naive-sync.js'
import type { NaiveResult } from './naive-sync.js'
import type { Scenario } from './options.js'

/** The incremental decisions measured besides the default (`auto`). */
const FORCED_DECISIONS: readonly IncrementalDecision[] = ['headers', 'search']
/** How many days the generated mail spans: a year, the common backfill. */
const MAIL_DAYS = 365

/** One sync's traffic over another's. */
export interface TrafficRatios {
  readonly seconds: number | null
  readonly units: number | null
  readonly httpRequests: number | null
  readonly bytes: number | null
  readonly contentDownloads: number | null
}

function over(a: GmailTraffic, b: GmailTraffic): TrafficRatios {
  return {
    seconds: ratio(a.seconds, b.seconds),
    units: ratio(a.units, b.units),
    httpRequests: ratio(a.httpRequests, b.httpRequests),
    bytes: ratio(a.bytesDownloaded, b.bytesDownloaded),
    contentDownloads: ratio(a.contentDownloads, b.contentDownloads),
  }
}

/** Units and seconds of a sync over the floor's. */
export interface FloorRatios {
  readonly units: number | null
  /** Wall time over the floor's seconds: on a busy machine, CPU and latency count as much as the quota. */
  readonly seconds: number | null
  /** The seconds the sync's units force by the floor's time model, over the floor's: the quota's share of the wall time. */
  readonly quotaSeconds: number | null
}

/** The ratios the benchmark exists for; times are noise on a shared machine, ratios less so. */
export interface ScenarioRatios {
  /** The search backfill over the floor: at most 1.25 is issue 13's target. */
  readonly searchOverFloor: FloorRatios
  /** The header-first backfill over the floor. */
  readonly headersOverFloor: FloorRatios
  /** Header-first over search: how much faster and cheaper the search is. */
  readonly headersOverSearch: TrafficRatios
  /** The naive syncs over the search backfill; null where they did not run. */
  readonly naiveOverSearch: TrafficRatios | null
  readonly naiveHeadersFirstOverSearch: TrafficRatios | null
}

/** Everything measured in one scenario. */
export interface ScenarioResult {
  readonly name: string
  readonly costTable: Scenario['costs']
  readonly costs: QuotaCosts
  readonly rateUnitsSec: number
  readonly crmPercent: number
  readonly pageSize: number
  readonly parallelAccounts: number
  readonly workload: WorkloadFacts
  readonly floor: Floor
  readonly search: LibraryResult
  readonly headers: LibraryResult
  readonly naive: NaiveResult | null
  readonly naiveHeadersFirst: NaiveResult | null
  /** The incremental sync after a search backfill, per decision (`auto` first); empty where it did not run. */
  readonly incremental: readonly IncrementalResult[]
  readonly ratios: ScenarioRatios
}

function overFloor(run: GmailTraffic, floor: Floor, team: readonly string[], rate: number): FloorRatios {
  const forced = quotaSeconds(team, run.unitsByMailbox, rate, MAX_PARALLEL_ACCOUNTS)
  return { units: ratio(run.units, floor.units), seconds: ratio(run.seconds, floor.seconds), quotaSeconds: ratio(forced, floor.seconds) }
}

function line(name: string, run: GmailTraffic, floor: Floor): string {
  return `${name} ${run.seconds} s, ${run.units} units (${ratio(run.units, floor.units) ?? '-'}x floor units, ${ratio(run.seconds, floor.seconds) ?? '-'}x floor seconds)`
}

/**
 * Runs one scenario: the search backfill first (then the incremental sync on the same store),
 * the header-first backfill, then each naive sync, each on a fresh emulator.
 *
 * @example
 * ```ts
 * const result = await runScenario(settings.scenarios[0], settings.seed, settings.mailNow)
 * result.ratios.searchOverFloor.units // issue 13's target: at most 1.25
 * ```
 */
export async function runScenario(scenario: Scenario, seed: number, mailNow: Date): Promise<ScenarioResult> {
  const costs = costTable(scenario)
  const pageSize = resolveConfig({}).backfillPageSize
  const workload = buildWorkload({
    seed, now: mailNow, days: MAIL_DAYS, mailboxes: scenario.mailboxes, perMailbox: scenario.perMailbox,
    crmShare: scenario.crmPercent / 100, medium: scenario.medium, large: scenario.large,
  })
  const { facts } = workload
  progress(`${scenario.name}: ${facts.listedCopies} listed copies in ${facts.mailboxes} mailboxes, ${facts.crmCopies} CRM copies (${facts.crmShareActualPercent}%)`)
  const floor = floorOf({
    team: workload.team, listed: workload.listed, crmCopies: workload.crmCopiesByMailbox,
    costs, rateUnitsSec: scenario.rateUnitsSec, pageSize, parallelAccounts: MAX_PARALLEL_ACCOUNTS,
  })
  progress(`${scenario.name}: floor ${floor.units} units, ${floor.seconds} s; search backfill...`)
  const fresh = scenario.incremental ? newMail(scenario, seed) : null
  const incremental: IncrementalResult[] = []
  const measureNewMail = async (session: LibrarySession, decision: IncrementalDecision): Promise<void> => {
    if (fresh === null) return
    const result = await runIncremental(session, decision, workload, fresh)
    incremental.push(result)
    progress(`${scenario.name}: incremental (${decision}) ${result.newCopies} new copies, ${result.traffic.units} units, ${result.gets} gets`)
  }
  const session = await openLibrary(scenario, seed, workload, 'search')
  let search: LibraryResult
  try {
    const backfill = await session.runAll('search')
    search = { strategy: 'search', ...backfill.traffic, ...backfill.counters, downloads: backfill.downloads, ...backfill.stored }
    progress(`${scenario.name}: ${line('search', search, floor)}`)
    await measureNewMail(session, 'auto')
  } finally {
    await session.close()
  }
  // Each forced decision after a backfill of its own, on the same mail.
  for (const decision of fresh === null ? [] : FORCED_DECISIONS) {
    const forced = await openLibrary(scenario, seed, workload, 'search', decision)
    try {
      await forced.runAll(`search backfill before ${decision}`)
      await measureNewMail(forced, decision)
    } finally {
      await forced.close()
    }
  }
  const headers = await runLibraryBackfill(scenario, seed, workload, 'headers')
  progress(`${scenario.name}: ${line('headers', headers, floor)}`)
  let naive: NaiveResult | null = null
  let naiveHeadersFirst: NaiveResult | null = null
  if (scenario.naive) {
    naive = await runNaiveSync('full', scenario, seed, workload, pageSize)
    progress(`${scenario.name}: ${line('naive', naive, floor)}`)
    naiveHeadersFirst = await runNaiveSync('headers-first', scenario, seed, workload, pageSize)
    progress(`${scenario.name}: ${line('naive headers-first', naiveHeadersFirst, floor)}`)
  }
  return {
    name: scenario.name,
    costTable: scenario.costs,
    costs,
    rateUnitsSec: scenario.rateUnitsSec,
    crmPercent: scenario.crmPercent,
    pageSize,
    parallelAccounts: MAX_PARALLEL_ACCOUNTS,
    workload: facts,
    floor,
    search,
    headers,
    naive,
    naiveHeadersFirst,
    incremental,
    ratios: {
      searchOverFloor: overFloor(search, floor, workload.team, scenario.rateUnitsSec),
      headersOverFloor: overFloor(headers, floor, workload.team, scenario.rateUnitsSec),
      headersOverSearch: over(headers, search),
      naiveOverSearch: naive === null ? null : over(naive, search),
      naiveHeadersFirstOverSearch: naiveHeadersFirst === null ? null : over(naiveHeadersFirst, search),
    },
  }
}
