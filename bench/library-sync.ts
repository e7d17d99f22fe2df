/**
 * The library's sync of the workload, as a host runs it: `createEmailIntegration` on a SQLite
 * file (better-sqlite3 + Kysely) and `email.sync.runAll()`, against an emulator that enforces
 * the scenario's quota, with the library configured for the same cost table and rate.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createEmailIntegration } from 'crm-email-integration'
import type { EmailDatabase, SyncReport } from 'crm-email-integration'
import type { Workload } from './mailbox.js'
import { progress, secondsSince, startWorld, trafficOf } from './measure.js'
import type { GmailTraffic } from './measure.js'
import type { Scenario } from './options.js'

/** What the library did, and what it stored. */
export interface LibraryResult extends GmailTraffic {
  /** Units by the library's own count (the runs' `unitsSpent`). */
  readonly unitsReported: number
  /** The runs' counters, summed over the accounts. */
  readonly listed: number
  readonly fetched: number
  /** Copies stored (a message stored for three mailboxes counts three). */
  readonly captured: number
  readonly skipped: number
  readonly failed: number
  /** Runs by status (`ok`, `partial`, `error`). */
  readonly runs: Readonly<Record<string, number>>
  /** Distinct emails stored, and how many of them are CRM mail, and the CRM mail missing. */
  readonly storedMessages: number
  readonly crmCaptured: number
  readonly crmMissing: number
  readonly nonCrmCaptured: number
  readonly attachmentsStored: number
  /** Content downloads beyond one per CRM message: the same message fetched for two mailboxes synced at once. */
  readonly redundantDownloads: number
}

async function stored(db: Kysely<EmailDatabase>, crm: ReadonlySet<string>) {
  const rows = await db.selectFrom('emails').select('message_id').execute()
  const attachments = await db
    .selectFrom('email_attachments')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'stored')
    .executeTakeFirstOrThrow()
  const ids = new Set(rows.map((r) => r.message_id))
  const crmCaptured = [...crm].filter((id) => ids.has(id)).length
  return {
    storedMessages: rows.length,
    crmCaptured,
    crmMissing: crm.size - crmCaptured,
    nonCrmCaptured: rows.filter((r) => !crm.has(r.message_id)).length,
    attachmentsStored: Number(attachments.n),
  }
}

function summed(reports: readonly SyncReport[], key: 'listed' | 'fetched' | 'captured' | 'skipped' | 'failed' | 'unitsSpent'): number {
  return reports.reduce((sum, r) => sum + r[key], 0)
}

/** Runs the library's first sync of every mailbox and measures it. */
export async function runLibrarySync(scenario: Scenario, seed: number, workload: Workload): Promise<LibraryResult> {
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
      workspaceDomains: [workload.mailbox.domain],
      apiBaseUrl: world.proxy.url,
      tokenUrl: world.emu.tokenUrl,
      attachmentsDir: join(dir, 'attachments'),
      backfillDays: 0,
      capture: 'matched',
      rateUnitsSec: scenario.rateUnitsSec,
      quotaCosts: scenario.costs,
    },
    directory: () => Promise.resolve(workload.mailbox.directory),
    logger: {
      warn: (_fields, message) => warnings.push(message),
      error: (fields, message) => {
        progress(`library error: ${message} ${JSON.stringify(fields)}`)
      },
    },
  })
  try {
    await email.migrate()
    for (const address of workload.team) await email.accounts.enroll(address)
    world.emu.stats.reset()
    const start = process.hrtime.bigint()
    const reports = await email.sync.runAll({
      onReport: (r) => {
        progress(`  library: ${r.account} ${r.status}, ${r.listed} listed, ${r.captured} captured, ${r.unitsSpent} units`)
      },
    })
    const seconds = secondsSince(start)
    const traffic = trafficOf(world, seconds)
    if (warnings.length > 0) progress(`  library: ${warnings.length} warnings, first: ${warnings[0] ?? ''}`)
    const runs: Record<string, number> = {}
    for (const r of reports) runs[r.status] = (runs[r.status] ?? 0) + 1
    return {
      ...traffic,
      unitsReported: summed(reports, 'unitsSpent'),
      listed: summed(reports, 'listed'),
      fetched: summed(reports, 'fetched'),
      captured: summed(reports, 'captured'),
      skipped: summed(reports, 'skipped'),
      failed: summed(reports, 'failed'),
      runs,
      ...(await stored(db, workload.crm)),
      redundantDownloads: traffic.contentDownloads - workload.crm.size,
    }
  } finally {
    await email.close()
    await db.destroy()
    await world.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
