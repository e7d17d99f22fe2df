/**
 * The library's sync of the workload, as a host runs it: `createEmailIntegration` on a SQLite
 * file (better-sqlite3 + Kysely) and `email.sync.runAll()`, against an emulator that enforces
 * the scenario's quota, with the library configured for the same cost table and rate, the
 * capture strategy under test, and the workload's blocklist.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createEmailIntegration } from 'crm-email-integration'
import type { EmailDatabase, EmailIntegration, SyncReport } from 'crm-email-integration'
import type { Workload } from './mailbox.js'
import { progress, secondsSince, startWorld, trafficOf } from './measure.js'
import type { BenchWorld, GmailTraffic } from './measure.js'
import type { Scenario } from './options.js'
import { storedFacts } from './stored.js'
import type { Expected, StoredFacts } from './stored.js'

/** How the library decides what mail is CRM mail (`config.captureStrategy`). */
export type CaptureStrategy = 'search' | 'headers'

/** The run reports' counters, summed over the accounts. */
export interface RunCounters {
  readonly listed: number
  readonly fetched: number
  /** Copies stored (a message stored for three mailboxes counts three). */
  readonly captured: number
  readonly skipped: number
  readonly failed: number
  /** Candidates downloaded then not stored (search false positives). */
  readonly discarded: number
  /** Messages the recall guard read the headers of, and the CRM mail it found the search missed. */
  readonly recallSampled: number
  readonly recallMissed: number
  /** Units by the library's own count. */
  readonly unitsReported: number
  /** Runs by status (`ok`, `partial`, `error`), by kind (`backfill`, `incremental`, ...), and by strategy. */
  readonly runs: Readonly<Record<string, number>>
  readonly kinds: Readonly<Record<string, number>>
  readonly strategies: Readonly<Record<string, number>>
}

/** One `runAll` measured: Gmail traffic, the reports' counters, and what is stored after it. */
export interface LibraryResult extends GmailTraffic, RunCounters, StoredFacts {
  readonly strategy: CaptureStrategy
  /** The download worker's run after it (attachments of messages over 10 MB), measured apart. */
  readonly downloads: DownloadTraffic
}

/** The download worker's run after a sync. */
export interface DownloadTraffic {
  readonly units: number
  readonly seconds: number
  readonly attachmentCalls: number
}

/** A sync's measures, as one {@link LibrarySession.runAll} returns them. */
export interface RunMeasures {
  readonly traffic: GmailTraffic
  readonly counters: RunCounters
  readonly downloads: DownloadTraffic
  readonly stored: StoredFacts
}

function sumOf(reports: readonly SyncReport[], pick: (r: SyncReport) => number): number {
  return reports.reduce((sum, r) => sum + pick(r), 0)
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}

/** Sums the reports of one `runAll`. */
export function countersOf(reports: readonly SyncReport[]): RunCounters {
  return {
    listed: sumOf(reports, (r) => r.listed),
    fetched: sumOf(reports, (r) => r.fetched),
    captured: sumOf(reports, (r) => r.captured),
    skipped: sumOf(reports, (r) => r.skipped),
    failed: sumOf(reports, (r) => r.failed),
    discarded: sumOf(reports, (r) => r.discarded),
    recallSampled: sumOf(reports, (r) => r.recallSampled),
    recallMissed: sumOf(reports, (r) => r.recallMissed),
    unitsReported: sumOf(reports, (r) => r.unitsSpent),
    runs: countBy(reports.map((r) => r.status)),
    kinds: countBy(reports.map((r) => r.kind)),
    strategies: countBy(reports.map((r) => r.strategy)),
  }
}

/** A library on its own emulator and SQLite file, ready for one `runAll` after another. */
export interface LibrarySession {
  readonly world: BenchWorld
  readonly email: EmailIntegration
  /** Resets the emulator's counters, runs `runAll` and measures it; the store is checked against `expected` (default: the workload). */
  runAll(label: string, expected?: Expected): Promise<RunMeasures>
  close(): Promise<void>
}

/**
 * Starts a fresh emulator with the workload and a library on a fresh SQLite file with every
 * mailbox enrolled; `incrementalDecision` forces how incremental runs decide (default `auto`).
 *
 * @example
 * ```ts
 * const session = await openLibrary(scenario, seed, workload, 'search')
 * const { traffic, counters } = await session.runAll('search backfill')
 * await session.close()
 * ```
 */
export async function openLibrary(
  scenario: Scenario,
  seed: number,
  workload: Workload,
  strategy: CaptureStrategy,
  incrementalDecision: 'auto' | 'headers' | 'search' = 'auto',
): Promise<LibrarySession> {
  const world = await startWorld(scenario, seed, workload)
  const dir = mkdtempSync(join(tmpdir(), 'email-bench-'))
  const sqlite = new Database(join(dir, 'crm.sqlite'))
  sqlite.pragma('journal_mode = WAL')
  const db = new Kysely<EmailDatabase>({ dialect: new SqliteDialect({ database: sqlite }) })
  const warnings: string[] = []
  const email = createEmailIntegration({
    db,
    config: {
      enabled: true,
      authMethod: 'dwd',
      serviceAccountKey: world.emu.serviceAccountKey,
      workspaceDomains: [workload.mail.domain],
      apiBaseUrl: world.proxy.url,
      tokenUrl: world.emu.tokenUrl,
      attachmentsDir: join(dir, 'attachments'),
      backfillDays: 0,
      capture: 'matched',
      captureStrategy: strategy,
      blocklist: [...workload.mail.blocklist],
      rateUnitsSec: scenario.rateUnitsSec,
      quotaCosts: scenario.costs,
    },
    directory: () => Promise.resolve(workload.mail.directory),
    sync: { incrementalDecision },
    logger: {
      warn: (_fields, message) => warnings.push(message),
      error: (fields, message) => {
        progress(`library error: ${message} ${JSON.stringify(fields)}`)
      },
    },
  })
  const close = async (): Promise<void> => {
    await email.close()
    await db.destroy()
    await world.close()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await email.migrate()
    for (const address of workload.team) await email.accounts.enroll(address)
  } catch (error) {
    await close()
    throw error
  }
  return {
    world,
    email,
    async runAll(label, expected = workload) {
      world.emu.stats.reset()
      const start = process.hrtime.bigint()
      const reports = await email.sync.runAll({
        onReport: (r) => {
          progress(`  ${label}: ${r.account} ${r.kind} ${r.status}, ${r.listed} listed, ${r.captured} captured, ${r.unitsSpent} units`)
        },
      })
      const traffic = trafficOf(world, secondsSince(start))
      if (warnings.length > 0) progress(`  ${label}: ${warnings.length} warnings, first: ${warnings[0] ?? ''}`)
      warnings.length = 0
      // What the sync left to the download worker (attachments of messages over 10 MB), apart from the sync.
      world.emu.stats.reset()
      const downloadStart = process.hrtime.bigint()
      await email.attachments.downloadPending()
      const after = trafficOf(world, secondsSince(downloadStart))
      const downloads = { units: after.units, seconds: after.seconds, attachmentCalls: after.calls['messages.attachments.get'] ?? 0 }
      return { traffic, counters: countersOf(reports), downloads, stored: await storedFacts(db, expected) }
    },
    close,
  }
}

/** Runs the library's first sync of every mailbox with one strategy, measures it, and closes it. */
export async function runLibraryBackfill(scenario: Scenario, seed: number, workload: Workload, strategy: CaptureStrategy): Promise<LibraryResult> {
  const session = await openLibrary(scenario, seed, workload, strategy)
  try {
    const { traffic, counters, downloads, stored } = await session.runAll(`library ${strategy}`)
    return { strategy, ...traffic, ...counters, downloads, ...stored }
  } finally {
    await session.close()
  }
}
