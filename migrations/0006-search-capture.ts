/**
 * Capture on Gmail's search. `email_account_terms` records, per account, each identity term
 * (`addr:<key>`, `domain:<domain>`) and whether its mail has been captured over the window
 * (`pending` until a scan listed it), so that terms new to the directory get a targeted
 * backfill and a term removed and added again only has its gap scanned. A scan now walks a
 * list of queries (one per chunk of terms) under a strategy; an account whose recall guard
 * found a message Gmail's search missed falls back to reading headers until cleared. Runs count
 * the false positives they downloaded and the recall guard's sample. Frozen once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

/** The new columns of `email_accounts`, in order; `down` drops them in reverse. */
const ACCOUNT_COLUMNS = [
  ['scan_strategy', 'text'],
  ['scan_queries', 'text'],
  ['scan_chunk', 'integer'],
  ['scan_terms', 'text'],
  ['search_fallback_at', 'text'],
  ['search_fallback_reason', 'text'],
] as const

/** The new counters of `email_sync_runs`. */
const RUN_COUNTERS = ['discarded', 'recall_sampled', 'recall_missed'] as const

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('email_account_terms')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('email_accounts.id').onDelete('cascade'))
    .addColumn('term', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('window_after', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('captured_at', 'text')
    .addColumn('removed_at', 'text')
    .addPrimaryKeyConstraint('email_account_terms_pk', ['account_id', 'term'])
    .execute()
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type] of ACCOUNT_COLUMNS) await db.schema.alterTable('email_accounts').addColumn(name, type).execute()
  for (const name of RUN_COUNTERS) {
    await db.schema.alterTable('email_sync_runs').addColumn(name, 'integer', (c) => c.notNull().defaultTo(0)).execute()
  }
  await db.schema.alterTable('email_sync_runs').addColumn('strategy', 'text').execute()
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('email_sync_runs').dropColumn('strategy').execute()
  for (const name of [...RUN_COUNTERS].reverse()) await db.schema.alterTable('email_sync_runs').dropColumn(name).execute()
  for (const [name] of [...ACCOUNT_COLUMNS].reverse()) await db.schema.alterTable('email_accounts').dropColumn(name).execute()
  await db.schema.dropTable('email_account_terms').execute()
}
