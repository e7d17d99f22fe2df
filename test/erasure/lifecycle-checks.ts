/**
 * What the data-lifecycle tests (retention, account removal, their crash tests) check of a
 * database: that no stored email is half deleted, and the whole state as comparable text, so a
 * run cut short and finished can be compared with one that was never interrupted.
 */
import { existsSync, readdirSync } from 'node:fs'
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'
import { createBlobStore } from '../../src/db/blob-store.js'
import type { TestDatabase } from '../helpers/databases.js'

/** The library's tables on a test database. */
export function dbOf(t: TestDatabase): Kysely<EmailDatabase> {
  return t.db as unknown as Kysely<EmailDatabase>
}

/** The ids of the emails the keyword index holds a row for. */
export async function indexedEmailIds(t: TestDatabase): Promise<number[]> {
  const query = t.dialect === 'postgres' ? sql<{ id: number | string }>`select email_id as id from email_fts` : sql<{ id: number | string }>`select rowid as id from email_fts`
  const { rows } = await query.execute(t.db)
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b)
}

/**
 * Every way the stored mail is not whole, one line each: an email without participants, copy,
 * thread or (when visible) index row; an index row or a thread without its email; a stored
 * attachment without its file. Empty when every email is whole.
 */
export async function halfDeleted(t: TestDatabase, attachmentsDir: string): Promise<string[]> {
  const db = dbOf(t)
  const emails = await db.selectFrom('emails').select(['id', 'message_id', 'thread_id', 'hidden_at']).execute()
  const idsOf = async (table: 'email_participants' | 'email_copies') =>
    new Set((await db.selectFrom(table).select('email_id').distinct().execute()).map((r) => r.email_id))
  const participants = await idsOf('email_participants')
  const copies = await idsOf('email_copies')
  const threads = await db.selectFrom('email_threads').select(['id', 'merged_into']).execute()
  const threadIds = new Set(threads.map((r) => r.id))
  const indexed = new Set(await indexedEmailIds(t))
  const problems: string[] = []
  for (const e of emails) {
    if (!participants.has(e.id)) problems.push(`${e.message_id}: no participants`)
    if (!copies.has(e.id)) problems.push(`${e.message_id}: no copy`)
    if (!threadIds.has(e.thread_id)) problems.push(`${e.message_id}: no thread`)
    if (e.hidden_at === null && !indexed.has(e.id)) problems.push(`${e.message_id}: not in the index`)
  }
  const emailIds = new Set(emails.map((e) => e.id))
  for (const id of indexed) if (!emailIds.has(id)) problems.push(`index row ${id}: no email`)
  const threadsInUse = new Set(emails.map((e) => e.thread_id))
  for (const th of threads) if (th.merged_into === null && !threadsInUse.has(th.id)) problems.push(`thread ${th.id}: no email`)
  const blobs = createBlobStore(attachmentsDir)
  const stored = await db.selectFrom('email_attachments').select(['email_id', 'sha256']).where('status', '=', 'stored').execute()
  for (const a of stored) if (a.sha256 === null || !existsSync(blobs.pathOf(a.sha256))) problems.push(`attachment of email ${a.email_id}: no file`)
  return problems
}

/** Rows of a table that has no place in `EmailDatabase` typing here (counted with plain SQL). */
async function countOf(t: TestDatabase, table: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * The stored state as sorted text, by Message-ID and address (never by generated id), so two
 * databases built alike compare equal when they hold the same mail, accounts and files.
 */
export async function lifecycleSnapshot(t: TestDatabase, attachmentsDir: string): Promise<Record<string, unknown>> {
  const db = dbOf(t)
  const sorted = (lines: string[]) => lines.sort()
  const emails = await db.selectFrom('emails').select(['id', 'message_id']).execute()
  const messageIdOf = new Map(emails.map((e) => [e.id, e.message_id]))
  const copies = await db.selectFrom('email_copies as c').innerJoin('email_accounts as a', 'a.id', 'c.account_id').select(['c.email_id', 'a.address']).execute()
  const attachments = await db.selectFrom('email_attachments').select(['email_id', 'filename', 'sha256', 'status']).execute()
  const threads = await db.selectFrom('email_threads').select(['subject', 'message_count', 'first_at', 'last_at']).execute()
  const accounts = await db.selectFrom('email_accounts').select(['address', 'status', 'removal_requested_at']).execute()
  const files = readdirSync(attachmentsDir, { recursive: true }).map(String).map((n) => n.split(/[\\/]/).at(-1) ?? '')
  return {
    emails: sorted(emails.map((e) => e.message_id)),
    copies: sorted(copies.map((c) => `${messageIdOf.get(c.email_id) ?? '?'} ${c.address}`)),
    attachments: sorted(attachments.map((a) => `${messageIdOf.get(a.email_id) ?? '?'} ${a.filename} ${a.sha256 ?? '-'} ${a.status}`)),
    threads: sorted(threads.map((th) => `${th.subject} ${th.message_count} ${th.first_at ?? '-'} ${th.last_at ?? '-'}`)),
    accounts: sorted(accounts.map((a) => `${a.address} ${a.status} ${a.removal_requested_at === null ? 'kept' : 'removing'}`)),
    indexed: sorted((await indexedEmailIds(t)).map((id) => messageIdOf.get(id) ?? `missing ${id}`)),
    blobs: sorted((await db.selectFrom('email_blobs').select('sha256').execute()).map((b) => b.sha256)),
    files: sorted(files.filter((n) => /^[0-9a-f]{64}/.test(n))),
    counts: Object.fromEntries(
      await Promise.all(
        ['email_participants', 'email_identity_links', 'email_references', 'email_thread_keys', 'email_sync_runs', 'email_sync_failures', 'email_account_terms', 'email_oauth_tokens', 'email_blob_erasures'].map(
          async (table) => [table, await countOf(t, table)] as const,
        ),
      ),
    ),
  }
}
