/**
 * `npm run bench`: the library's first sync of a team mailbox against Gmail's quota bound and
 * against a naive sync, in the same run, over the same emulated mail. Prints one JSON object
 * on stdout; progress goes to stderr. See bench/options.ts for the flags
 * (`--quick` is the smallest run).
 */
import { availableParallelism } from 'node:os'
import { BOUND_DEFINITION } from './quota-bound.js'
import { progress } from './measure.js'
import { UsageError, readSettings } from './options.js'
import type { BenchSettings } from './options.js'
import { runScenario } from './scenario.js'
import type { ScenarioResult } from './scenario.js'

const DEFINITIONS = {
  bound: BOUND_DEFINITION,
  library:
    'createEmailIntegration on a fresh SQLite file, capture=matched, backfillDays=0, rateUnitsSec and quotaCosts as the scenario; ' +
    'seconds is the wall time of email.sync.runAll() (every mailbox, MAX_PARALLEL_ACCOUNTS at a time).',
  naive:
    'For each mailbox in turn: messages.list pages (same page size), then messages.get?format=full of every listed message, one ' +
    'request at a time, decoded and matched against the directory, attachments not inlined fetched; client-side pacing at the same ' +
    'rate. No batching, no headers-first filtering, no dedup across mailboxes; it stores nothing. It downloads the content of mail ' +
    'it does not keep, which matched mode forbids; so it skips the header read and can spend fewer units than any matched-mode sync.',
  naiveHeadersFirst:
    'The same, as a straightforward matched-mode sync: messages.get?format=metadata of every listed message, then format=full (and ' +
    'attachments) of the messages it keeps, one request at a time, no batching, no dedup across mailboxes.',
  traffic:
    'units: quota charged by the emulator. httpRequests: requests to the Gmail API through a counting proxy (a batch is one). ' +
    'calls: per method as the emulator counts them (batch parts under their method, token grants included). bytesDownloaded: ' +
    'response body bytes through the proxy. contentDownloads: message contents served (raw/full gets and attachments). ' +
    'refused: 429/403 answers.',
  ratios:
    'libraryOverBound = library seconds / bound seconds (1.0 is the quota limit; null when the bound is 0 s, all within the first ' +
    "second's burst); libraryUnitsOverMinimum = library units / minimumUnits; naive*OverLibrary = that naive sync / library.",
}

function settingsJson(settings: BenchSettings) {
  return {
    size: settings.size,
    seed: settings.seed,
    mailNow: settings.mailNow.toISOString(),
    scenarios: settings.scenarios,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
  }
}

async function main(): Promise<number> {
  let settings: BenchSettings
  try {
    settings = readSettings(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`bench: ${error.message}\n`)
    return 2
  }
  const scenarios: ScenarioResult[] = []
  for (const scenario of settings.scenarios) scenarios.push(await runScenario(scenario, settings.seed, settings.mailNow))
  const summary = Object.fromEntries(scenarios.map((s) => [s.name, s.ratios]))
  process.stdout.write(`${JSON.stringify({ benchmark: 'sync', settings: settingsJson(settings), definitions: DEFINITIONS, summary, scenarios }, null, 2)}\n`)
  progress('done')
  return 0
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  return 1
})
