/**
 * Which identity terms each account has captured the mail of (SPEC §6): the directory grows
 * every day, and a term new to it needs its past mail brought in. Each run reconciles the
 * directory's terms with the account's rows (`email_account_terms`): a new term is `pending`
 * until a scan listed its mail over the window; a removed term keeps its row, so that adding it
 * back scans only the gap since it left.
 */
import type { Kysely } from 'kysely'
import type { SearchTerm } from '../capture/match/search-terms.js'
import { inChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'

/** A day, in milliseconds. */
const DAY_MS = 86_400_000

/**
 * How far before a term's removal the gap scan starts when it is added back: the incremental
 * sync that skipped its mail ran at some moment of that day, and internal dates can lag.
 */
export const READDED_TERM_OVERLAP_MS = DAY_MS

/** A term whose mail the account has yet to capture, over a window starting at `windowAfter` (ISO; `null` = all mail). */
export interface PendingTerm {
  readonly term: SearchTerm
  readonly windowAfter: string | null
}

/**
 * The start of the capture window at `now`: `backfillDays` before it, or `null` (all mail) when
 * `backfillDays` is 0; never earlier than the retention cutoff (`retentionDays` before it, when
 * not 0), since the next retention run would erase mail older than that.
 *
 * @example
 * ```ts
 * captureWindowStart(new Date('2026-12-02T00:00:00Z'), 365)     // '2025-12-02T00:00:00.000Z'
 * captureWindowStart(new Date('2026-12-02T00:00:00Z'), 365, 30) // '2026-11-02T00:00:00.000Z'
 * captureWindowStart(new Date(), 0)                              // null
 * ```
 */
export function captureWindowStart(now: Date, backfillDays: number, retentionDays = 0): string | null {
  const days = retentionDays === 0 ? backfillDays : backfillDays === 0 ? retentionDays : Math.min(backfillDays, retentionDays)
  return days === 0 ? null : new Date(now.getTime() - days * DAY_MS).toISOString()
}

/** The later of two window starts (`null` is the earliest of all: all mail). */
function laterStart(a: string | null, b: string | null): string | null {
  if (a === null) return b
  if (b === null) return a
  return Date.parse(a) >= Date.parse(b) ? a : b
}

/**
 * Brings the account's term rows in line with the directory's `terms` and returns the terms
 * still pending. New terms become pending over the window starting at `windowStart`; a term
 * back after a removal becomes pending over the gap since it left (less a day), unless it was
 * never captured (then the whole window); terms that left the directory get `removed_at`
 * (a pending one that left is forgotten). Idempotent; runs under the account's lease.
 *
 * @example
 * ```ts
 * const pending = await reconcileTerms(db, account.id, terms, captureWindowStart(now, 365), now.toISOString())
 * if (pending.length > 0) console.log(`${pending.length} identity terms to backfill`)
 * ```
 */
export async function reconcileTerms(
  db: Kysely<EmailDatabase>,
  accountId: number,
  terms: readonly SearchTerm[],
  windowStart: string | null,
  now: string,
): Promise<PendingTerm[]> {
  return db.transaction().execute(async (trx) => {
    await takeWriteLock(trx, accountId)
    const rows = await trx.selectFrom('email_account_terms').selectAll().where('account_id', '=', accountId).execute()
    const byTerm = new Map(rows.map((r) => [r.term, r]))
    const wanted = new Set(terms.map((t) => t.key))
    const pending: PendingTerm[] = []
    for (const term of terms) {
      const row = byTerm.get(term.key)
      if (row === undefined) {
        await trx
          .insertInto('email_account_terms')
          .values({ account_id: accountId, term: term.key, state: 'pending', window_after: windowStart, added_at: now, captured_at: null, removed_at: null })
          .execute()
        pending.push({ term, windowAfter: windowStart })
      } else if (row.removed_at !== null) {
        const gapStart = new Date(Date.parse(row.removed_at) - READDED_TERM_OVERLAP_MS).toISOString()
        const windowAfter = row.state === 'captured' ? laterStart(gapStart, windowStart) : windowStart
        await trx
          .updateTable('email_account_terms')
          .set({ state: 'pending', window_after: windowAfter, removed_at: null })
          .where('account_id', '=', accountId)
          .where('term', '=', term.key)
          .execute()
        pending.push({ term, windowAfter })
      } else if (row.state === 'pending') {
        pending.push({ term, windowAfter: row.window_after })
      }
    }
    for (const row of rows) {
      if (wanted.has(row.term) || row.removed_at !== null) continue
      const gone = trx.deleteFrom('email_account_terms').where('account_id', '=', accountId).where('term', '=', row.term)
      if (row.state === 'pending') await gone.execute()
      else {
        await trx
          .updateTable('email_account_terms')
          .set({ removed_at: now })
          .where('account_id', '=', accountId)
          .where('term', '=', row.term)
          .execute()
      }
    }
    return pending
  })
}

/**
 * Marks terms captured: a scan listing their mail over their window has ended. Runs in the
 * transaction of the scan's last page, so a crash leaves them pending and the scan resumes.
 *
 * @example
 * ```ts
 * await db.transaction().execute((trx) => markTermsCaptured(trx, account.id, ['domain:acme.example'], now))
 * ```
 */
export async function markTermsCaptured(trx: Kysely<EmailDatabase>, accountId: number, terms: readonly string[], now: string): Promise<void> {
  for (const chunk of inChunks(terms)) {
    await trx
      .updateTable('email_account_terms')
      .set({ state: 'captured', captured_at: now })
      .where('account_id', '=', accountId)
      .where('term', 'in', chunk)
      .where('removed_at', 'is', null)
      .execute()
  }
}

/**
 * The account's terms that are captured (the recall guard judges a miss only against these).
 *
 * @example
 * ```ts
 * const captured = await capturedTerms(db, account.id)   // Set { 'domain:acme.example', 'addr:dana@gmail.com' }
 * ```
 */
export async function capturedTerms(db: Kysely<EmailDatabase>, accountId: number): Promise<Set<string>> {
  const rows = await db
    .selectFrom('email_account_terms')
    .select('term')
    .where('account_id', '=', accountId)
    .where('state', '=', 'captured')
    .where('removed_at', 'is', null)
    .execute()
  return new Set(rows.map((r) => r.term))
}

/**
 * Opens the transaction with a write, so that it holds SQLite's write lock before it reads: a
 * transaction that reads first and writes later cannot upgrade its lock while another process
 * writes, and fails with "database is locked" instead of waiting. A no-op update of the
 * account's own row (held under its lease) is that write; PostgreSQL takes the row lock.
 *
 * @example
 * ```ts
 * await db.transaction().execute(async (trx) => { await takeWriteLock(trx, account.id); ... })
 * ```
 */
export async function takeWriteLock(trx: Kysely<EmailDatabase>, accountId: number): Promise<void> {
  await trx.updateTable('email_accounts').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', accountId).execute()
}
