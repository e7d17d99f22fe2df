import type { Kysely } from 'kysely'
import type { CaptureStrategy, EmailDatabase, SyncKind, SyncRunStatus } from '../db/database.js'
import type { RunCounts } from './types.js'

/** An account's last sync run, as the status route and `crm-email-integration status` show it. */
export interface LastRun extends RunCounts {
  readonly kind: SyncKind
  readonly status: SyncRunStatus
  /** `search` or `headers`; `null` for a run before capture on search existed. */
  readonly strategy: CaptureStrategy | null
  readonly startedAt: string
  readonly finishedAt: string | null
  readonly error: string | null
}

/** The last run of each account that has one, by address. */
export async function lastRuns(db: Kysely<EmailDatabase>): Promise<Map<string, LastRun>> {
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
      'email_sync_runs.discarded',
      'email_sync_runs.recall_sampled',
      'email_sync_runs.recall_missed',
      'email_sync_runs.strategy',
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
        discarded: r.discarded,
        recallSampled: r.recall_sampled,
        recallMissed: r.recall_missed,
        strategy: r.strategy,
        unitsSpent: r.units_spent,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        error: r.error,
      },
    ]),
  )
}
