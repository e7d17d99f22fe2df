/**
 * The filtering payload a store keeps beside each email's vectors (`VectorPayload`), computed
 * from the SQL tables by the same rules every read path uses: identities from the capture's
 * links, the date the thread list filters on, and the sharing rule of sharing/access.ts.
 */
import type { Kysely } from 'kysely'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase, SharingLevel } from '../db/database.js'
import { accessOf, readScope } from '../sharing/access.js'
import type { VectorPayload } from './types.js'

/**
 * The payloads of some emails, by id (ids that do not exist are left out). `date` is the
 * email's `sent_at` (the Date header, or Gmail's internal date without one): the instant the
 * thread list's `from`/`to` compare, so the store's prefilter and the SQL check agree.
 *
 * @example
 * ```ts
 * const payloads = await emailPayloads(db, [42], config.defaultSharing)
 * payloads.get(42) // { identities: ['fund:7'], date: 1767225600, sharedInFull: true, mailboxes: [1, 3] }
 * ```
 */
export async function emailPayloads(
  db: Kysely<EmailDatabase>,
  emailIds: readonly number[],
  defaultLevel: SharingLevel,
): Promise<Map<number, VectorPayload>> {
  if (emailIds.length === 0) return new Map()
  const emails = await queryInChunks(emailIds, (ids) => db.selectFrom('emails').select(['id', 'sent_at']).where('id', 'in', ids).execute())
  const links = await queryInChunks(emailIds, (ids) =>
    db.selectFrom('email_identity_links').select(['email_id', 'identity_key']).distinct().where('email_id', 'in', ids).execute(),
  )
  const copies = await queryInChunks(emailIds, (ids) =>
    db.selectFrom('email_copies').select(['email_id', 'account_id']).where('email_id', 'in', ids).where('deleted_at', 'is', null).execute(),
  )
  // The team's view: `everything` exactly when a teammate owning no copy reads it in full.
  const access = await accessOf(db, emailIds, readScope({}, defaultLevel))
  const result = new Map<number, VectorPayload>()
  for (const e of emails) {
    result.set(e.id, {
      identities: [...new Set(links.filter((l) => l.email_id === e.id).map((l) => l.identity_key))].sort(),
      date: Math.floor(Date.parse(e.sent_at) / 1000),
      sharedInFull: access.get(e.id) === 'everything',
      mailboxes: [...new Set(copies.filter((c) => c.email_id === e.id).map((c) => c.account_id))].sort((a, b) => a - b),
    })
  }
  return result
}
