/**
 * One scenario of the benchmark: the workload, its quota bound, the library's sync and the
 * naive sync over identical emulated mailboxes under the same cost table and rate, and the
 * ratios between them.
 */
import { resolveConfig } from 'crm-email-integration'
import type { QuotaCosts } from 'crm-email-integration'
import { MAX_PARALLEL_ACCOUNTS } from '../src/sync/engine.js'
import { runLibrarySync } from './library-sync.js'
import type { LibraryResult } from './library-sync.js'
import { buildWorkload } from './mailbox.js'
import type { WorkloadFacts } from './mailbox.js'
import { costTable, progress, ratio, round } from './measure.js'
import type { GmailTraffic } from './measure.js'
import { runNaiveSync } from './naive-sync.js'
import type { NaiveResult } from './naive-sync.js'
import type { Scenario } from './options.js'
import { quotaBound } from './quota-bound.js'
import type { QuotaBound } from './quota-bound.js'

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

/** The ratios the benchmark exists for; times are noise on a shared machine, ratios are not. */
export interface ScenarioRatios {
  /** Library wall time over the bound at the library's parallelism: 1.0 means running at the quota limit. */
  readonly libraryOverBound: number | null
  /** Library wall time over the bound with every account in parallel. */
  readonly libraryOverBoundAllParallel: number | null
  /** Library units over the minimum units: the quota it spends beyond what the work needs. */
  readonly libraryUnitsOverMinimum: number | null
  /** Naive (format=full) over library: seconds, quota units, HTTP requests, bytes received, message contents downloaded. */
  readonly naiveOverLibrary: TrafficRatios
  /** Naive headers-first (a straightforward matched-mode sync) over library. */
  readonly naiveHeadersFirstOverLibrary: TrafficRatios
}

/** Everything measured in one scenario. */
export interface ScenarioResult {
  readonly name: string
  readonly costTable: Scenario['costs']
  readonly costs: QuotaCosts
  readonly rateUnitsSec: number
  readonly pageSize: number
  readonly parallelAccounts: number
  readonly workload: WorkloadFacts
  readonly bound: QuotaBound
  readonly library: LibraryResult
  readonly naive: NaiveResult
  readonly naiveHeadersFirst: NaiveResult
  readonly ratios: ScenarioRatios
}

/** Runs one scenario: the library first, then each naive sync, each on a fresh emulator. */
export async function runScenario(scenario: Scenario, seed: number, mailNow: Date): Promise<ScenarioResult> {
  const costs = costTable(scenario)
  const pageSize = resolveConfig({}).backfillPageSize
  const workload = buildWorkload({ seed, now: mailNow, threads: scenario.threads })
  const { facts } = workload
  progress(`${scenario.name}: ${facts.messages} messages (${facts.crmMessages} CRM), ${facts.listedCopies} listed copies in ${facts.mailboxes} mailboxes`)
  const bound = quotaBound({
    team: workload.team,
    listed: workload.listed,
    crmHolders: workload.crmHolders,
    costs,
    rateUnitsSec: scenario.rateUnitsSec,
    pageSize,
    parallelAccounts: MAX_PARALLEL_ACCOUNTS,
  })
  progress(`${scenario.name}: bound ${bound.minimumUnits} units, ${round(bound.seconds.libraryParallelism, 1)} s; library sync...`)
  const library = await runLibrarySync(scenario, seed, workload)
  progress(`${scenario.name}: library ${library.seconds} s, ${library.units} units; naive sync...`)
  const naive = await runNaiveSync('full', scenario, seed, workload, pageSize)
  progress(`${scenario.name}: naive ${naive.seconds} s, ${naive.units} units; naive headers-first sync...`)
  const naiveHeadersFirst = await runNaiveSync('headers-first', scenario, seed, workload, pageSize)
  progress(`${scenario.name}: naive headers-first ${naiveHeadersFirst.seconds} s, ${naiveHeadersFirst.units} units`)
  return {
    name: scenario.name,
    costTable: scenario.costs,
    costs,
    rateUnitsSec: scenario.rateUnitsSec,
    pageSize,
    parallelAccounts: MAX_PARALLEL_ACCOUNTS,
    workload: facts,
    bound,
    library,
    naive,
    naiveHeadersFirst,
    ratios: {
      libraryOverBound: ratio(library.seconds, bound.seconds.libraryParallelism),
      libraryOverBoundAllParallel: ratio(library.seconds, bound.seconds.allAccountsParallel),
      libraryUnitsOverMinimum: ratio(library.units, bound.minimumUnits),
      naiveOverLibrary: over(naive, library),
      naiveHeadersFirstOverLibrary: over(naiveHeadersFirst, library),
    },
  }
}
