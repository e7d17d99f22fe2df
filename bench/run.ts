/**
 * `npm run bench`: the library's first sync (backfill) of a team's mailboxes against the floor
 * (the list calls plus one get per CRM copy), with capture on Gmail's search and with the
 * previous header-first capture, at several shares of CRM mail under both cost tables, next to
 * naive syncs over the same emulated mail; and an incremental sync of new mail. Prints one
 * JSON object on stdout; progress goes to stderr. See bench/options.ts for the flags
 * (`--quick` is the smallest run).
 */
import { availableParallelism } from 'node:os'
import { FLOOR_DEFINITION } from './floor.js'
import { progress } from './measure.js'
import { UsageError, readSettings } from './options.js'
import type { BenchSettings } from './options.js'
import { runScenario } from './scenario.js'
import { SEARCH_DEFINITIONS, runSearchBench } from './search-run.js'
import type { ScenarioResult } from './scenario.js'

const DEFINITIONS = {
  floor: FLOOR_DEFINITION,
  workload:
    'Per scenario, two teammates\' mailboxes of the demo\'s cast, each with perMailbox listed messages over a year, crmPercent of ' +
    'them CRM mail: conversations with the CRM\'s organisations and contacts (threads across both mailboxes, so CRM mail has ' +
    'copies), newsletters, private and internal mail, unsent drafts to CRM contacts, spam spoofing CRM domains, notifications from ' +
    'blocklisted senders at CRM domains (Gmail\'s search lists them, the library must discard them: falsePositiveCopies), ' +
    'invitations with a CRM contact in Reply-To only (not CRM mail), and files over 1 MB and over 10 MB.',
  search:
    "createEmailIntegration on a fresh SQLite file, capture=matched, captureStrategy=search (the default), backfillDays=0, the " +
    "workload's blocklist, rateUnitsSec and quotaCosts as the scenario; seconds is the wall time of email.sync.runAll() (every " +
    'mailbox, MAX_PARALLEL_ACCOUNTS at a time). discarded, recallSampled, recallMissed: summed from the run reports.',
  headers: 'The same with captureStrategy=headers: the previous header-first capture (a metadata get per listed message, then the content of the CRM mail).',
  naive:
    'For each mailbox in turn: messages.list pages (same page size), then messages.get?format=full of every listed message, one ' +
    'request at a time, decoded and matched against the directory, attachments not inlined fetched; client-side pacing at the same ' +
    'rate. No batching, no headers-first filtering, no dedup across mailboxes; it stores nothing. It downloads the content of mail ' +
    'it does not keep, which matched mode forbids.',
  naiveHeadersFirst:
    'The same, as a straightforward matched-mode sync: messages.get?format=metadata of every listed message, then format=full (and ' +
    'attachments) of the messages it keeps, one request at a time, no batching, no dedup across mailboxes.',
  incremental:
    'After the search backfill, on the same store and emulator: new mail (perMailbox / 50 per mailbox, at least 10, the same mix, ' +
    'dated in the day before the wall clock) is added to each mailbox and email.sync.runAll() runs again; units, gets and lists ' +
    'of that run, per new listed copy and per new CRM copy; once per decision of sync.incrementalDecision: auto (the default, ' +
    'on the store of the measured search backfill), then headers and search forced, each after a search backfill of its own.',
  traffic:
    'units: quota charged by the emulator. httpRequests: requests to the Gmail API through a counting proxy (a batch is one). ' +
    'calls: per method as the emulator counts them (batch parts under their method, token grants included). bytesDownloaded: ' +
    'response body bytes through the proxy. contentDownloads: message contents served (raw/full gets and attachments). ' +
    'refused: 429/403 answers.',
  ratios:
    'searchOverFloor, headersOverFloor: that backfill\'s units and wall seconds over the floor\'s (issue 13: search at most 1.25), ' +
    'and quotaSeconds: the seconds its units force by the floor\'s time model over the floor\'s (wall time on a busy machine ' +
    'also counts CPU and latency). ' +
    'headersOverSearch: header-first over search (seconds, units, requests, bytes, contents). naive*OverSearch: that naive sync ' +
    'over search; null where the naive syncs did not run.',
}

/** The headline numbers of a scenario, for reading the run at a glance. */
function summaryOf(s: ScenarioResult) {
  return {
    crmShareActualPercent: s.workload.crmShareActualPercent,
    floorUnits: s.floor.units,
    floorSeconds: s.floor.seconds,
    searchUnits: s.search.units,
    searchSeconds: s.search.seconds,
    headersUnits: s.headers.units,
    headersSeconds: s.headers.seconds,
    discarded: s.search.discarded,
    recallSampled: s.search.recallSampled,
    ...s.ratios,
    incremental: Object.fromEntries(s.incremental.map((i) => [i.decision, {
      newCopies: i.newCopies,
      newCrmCopies: i.newCrmCopies,
      units: i.traffic.units,
      unitsPerNewMessage: i.unitsPerNewMessage,
      getsPerNewMessage: i.getsPerNewMessage,
      lists: i.lists,
    }])),
  }
}

function settingsJson(settings: BenchSettings) {
  return {
    size: settings.size,
    seed: settings.seed,
    mailNow: settings.mailNow.toISOString(),
    scenarios: settings.scenarios,
    search: settings.search,
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
  const summary = Object.fromEntries(scenarios.map((s) => [s.name, summaryOf(s)]))
  const search = settings.search === null ? null : await runSearchBench({ ...settings.search, seed: settings.seed, pgUrl: process.env.EMAIL_TEST_PG_URL ?? '' })
  const definitions = { ...DEFINITIONS, ...SEARCH_DEFINITIONS }
  process.stdout.write(`${JSON.stringify({ benchmark: 'sync', settings: settingsJson(settings), definitions, summary, scenarios, search }, null, 2)}\n`)
  progress('done')
  return 0
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  return 1
})
