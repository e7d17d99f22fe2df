import type { Kysely } from 'kysely'
import type { EmailDatabase, SyncKind, SyncRunStatus } from '../db/database.js'
import type { EmailAccount } from '../db/accounts.js'
import { expectOperands, type ParsedArgs } from './args.js'
import type { CliContext } from './cli-integration.js'
import { withIntegration } from './commands.js'
import { ExitCodes, formatTable, writeLines } from './output.js'

/** An account's last sync run, as `status --json` prints it. */
export interface LastRun {
  readonly kind: SyncKind
  readonly status: SyncRunStatus
  readonly listed: number
  readonly fetched: number
  readonly captured: number
  readonly skipped: number
  readonly failed: number
  readonly unitsSpent: number
  readonly startedAt: string
  readonly finishedAt: string | null
  readonly error: string | null
}

/** The last run of each account that has one, by address. */
async function lastRuns(db: Kysely<EmailDatabase>): Promise<Map<string, LastRun>> {
  const rows = await db
    .selectFrom('email_sync_runs')
    .innerJoin('email_accounts', 'email_accounts.id', 'email_sync_runs.account_id')
    .select([
      'email_accounts.address',
      'email_sync_runs.kind',
      'email_sync_runs.status',
      'email_sync_runs.listed',
      'email_sync_runs.fetched',
      'email_sync_runs.captured',
      'email_sync_runs.skipped',
      'email_sync_runs.failed',
      'email_sync_runs.units_spent',
      'email_sync_runs.started_at',
      'email_sync_runs.finished_at',
      'email_sync_runs.error',
    ])
    .where('email_sync_runs.id', 'in', (eb) => eb.selectFrom('email_sync_runs as r').select((r) => r.fn.max('r.id').as('id')).groupBy('r.account_id'))
    .execute()
  return new Map(
    rows.map((r) => [
      r.address,
      {
        kind: r.kind,
        status: r.status,
        listed: r.listed,
        fetched: r.fetched,
        captured: r.captured,
        skipped: r.skipped,
        failed: r.failed,
        unitsSpent: r.units_spent,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        error: r.error,
      },
    ]),
  )
}

function tableOf(accounts: readonly (EmailAccount & { lastRun: LastRun | null })[]): string[] {
  const rows = accounts.map((a) => {
    const run = a.lastRun
    const count = (n: number | undefined) => (n === undefined ? '-' : String(n))
    return [
      a.address,
      a.status,
      run?.kind ?? '-',
      run?.status ?? '-',
      count(run?.listed),
      count(run?.captured),
      count(run?.skipped),
      count(run?.failed),
      run?.finishedAt ?? '-',
    ]
  })
  return formatTable(['ACCOUNT', 'STATUS', 'LAST RUN', 'RESULT', 'LISTED', 'CAPTURED', 'SKIPPED', 'FAILED', 'FINISHED'], rows)
}

/** `status [--json]`: every account with its last run; JSON for machines. */
export async function statusCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments')
  return withIntegration(context, { directory: 'none' }, async ({ email, config, database }) => {
    const runs = await lastRuns(database.db as unknown as Kysely<EmailDatabase>)
    const accounts = (await email.accounts.list()).map((a) => ({ ...a, lastRun: runs.get(a.address) ?? null }))
    const { stdout } = context.streams
    if (args.options.json === true) {
      writeLines(stdout, JSON.stringify({ enabled: config.enabled, accounts }, null, 2))
      return ExitCodes.ok
    }
    writeLines(stdout, `integration ${config.enabled ? 'enabled' : 'disabled'}; ${accounts.length} account${accounts.length === 1 ? '' : 's'} in ${database.label}`)
    if (accounts.length === 0) return ExitCodes.ok
    writeLines(stdout, '', ...tableOf(accounts))
    // Why an account needs attention or its last run failed, below the table where it fits.
    const notes = accounts.flatMap((a) => [
      ...(a.statusReason === null ? [] : [`${a.address}: ${a.status}: ${a.statusReason}`]),
      ...((a.lastRun?.error ?? null) === null ? [] : [`${a.address}: last run: ${a.lastRun?.error ?? ''}`]),
    ])
    if (notes.length > 0) writeLines(stdout, '', ...notes)
    return ExitCodes.ok
  })
}
