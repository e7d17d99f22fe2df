/**
 * After a targeted backfill: mail already stored (captured for another identity, or from
 * another mailbox) whose participants include a new identity's address or domain gains the
 * new links, so that an entity added today shows its whole history, not only the mail that
 * was not yet stored. The rest of the store is left alone (`rematch()` relinks everything).
 */
import type { Kysely } from 'kysely'
import { relinkEmails } from '../capture/rematch.js'
import { inChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { takeWriteLock } from './account-terms.js'
import type { RunState } from './run-state.js'

/**
 * Relinks the stored emails that have a participant matching one of `termKeys` (an exact
 * address spelling, or an address in the domain or a subdomain of it), one transaction per
 * batch so that a large store never holds the write lock for long. Idempotent: a scan that
 * crashes before its last page commits runs it again.
 *
 * @example
 * ```ts
 * await relinkForTerms(db, state, ['domain:acme.example'], now)
 * ```
 */
export async function relinkForTerms(db: Kysely<EmailDatabase>, state: RunState, termKeys: readonly string[], now: string): Promise<number> {
  const wanted = new Set(termKeys)
  const terms = state.terms.filter((t) => wanted.has(t.key))
  const addresses = terms.filter((t) => t.kind === 'address').flatMap((t) => t.values)
  const domains = terms.filter((t) => t.kind === 'domain').flatMap((t) => t.values)
  const ids = new Set<number>()
  for (const chunk of inChunks(addresses)) {
    const rows = await db
      .selectFrom('email_participants')
      .select('email_id')
      .distinct()
      .where('address', 'in', chunk)
      .execute()
    for (const r of rows) ids.add(r.email_id)
  }
  for (const domain of domains) {
    const rows = await db
      .selectFrom('email_participants')
      .select('email_id')
      .distinct()
      .where((eb) => eb.or([eb('address', 'like', `%@${escapeLike(domain)}`), eb('address', 'like', `%.${escapeLike(domain)}`)]))
      .execute()
    for (const r of rows) ids.add(r.email_id)
  }
  const all = [...ids]
  // One transaction per IN list of ids.
  for (const batch of inChunks(all)) {
    await db.transaction().execute(async (trx) => {
      await takeWriteLock(trx, state.account.id)
      await relinkEmails(trx, state.index, batch, now)
    })
  }
  return all.length
}

/** Domains hold letters, digits, dots and hyphens only; `_` and `%` would be LIKE wildcards. */
function escapeLike(domain: string): string {
  return domain.replace(/[%_]/g, '')
}
