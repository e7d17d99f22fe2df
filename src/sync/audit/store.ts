/**
 * What the audit reads of the library's own tables for one account: the Gmail ids it holds,
 * the copies each identity is linked to, its failed messages, its pending search terms and
 * when its last completed run started. Read-only.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase, ParticipantRole } from '../../db/database.js'

/** Labels whose copies a search never lists (`messages.list` leaves out spam and trash, the queries drafts). */
const UNLISTED_LABELS: readonly string[] = ['SPAM', 'TRASH', 'DRAFT']

/** The header roles Gmail's address operators read (`from:`, `to:`, `cc:`, `bcc:`); Sender and Reply-To are not searched. */
const SEARCHED_ROLES: readonly ParticipantRole[] = ['from', 'to', 'cc', 'bcc']

/** A failed message of the account. */
export interface AuditFailure {
  readonly parked: boolean
  readonly reason: string
}

/**
 * Every Gmail id the account holds a copy of (deleted ones too: they are not missing).
 *
 * @example
 * ```ts
 * const held = await storedGmailIds(context.db, account.id)
 * ```
 */
export async function storedGmailIds(db: Kysely<EmailDatabase>, accountId: number): Promise<Set<string>> {
  const rows = await db.selectFrom('email_copies').select('gmail_id').where('account_id', '=', accountId).execute()
  return new Set(rows.map((r) => r.gmail_id))
}

function labelsOf(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) ? parsed.filter((l): l is string => typeof l === 'string') : []
  } catch {
    return []
  }
}

/**
 * The account's live copies of the window that a search could list, by identity key: linked to
 * the identity through an address of From, To, Cc or Bcc, not deleted in Gmail, not in spam,
 * trash or drafts, and dated (Gmail's internal date, else the email's date) at or after
 * `afterIso` (`null`: all mail). `identityKey` narrows it to one identity.
 *
 * @example
 * ```ts
 * const byIdentity = await identityCopies(context.db, account.id, '2025-12-02T00:00:00.000Z', 'fund:7')
 * byIdentity.get('fund:7')?.size
 * ```
 */
export async function identityCopies(
  db: Kysely<EmailDatabase>,
  accountId: number,
  afterIso: string | null,
  identityKey?: string,
): Promise<Map<string, Set<string>>> {
  let query = db
    .selectFrom('email_copies as c')
    .innerJoin('emails as e', 'e.id', 'c.email_id')
    .innerJoin('email_identity_links as l', 'l.email_id', 'c.email_id')
    .select(['c.gmail_id', 'c.label_ids', 'c.internal_date', 'e.sent_at', 'l.identity_key'])
    .where('c.account_id', '=', accountId)
    .where('c.deleted_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('email_participants as p')
          .select('p.email_id')
          .whereRef('p.email_id', '=', 'c.email_id')
          .whereRef('p.address', '=', 'l.address')
          .where('p.role', 'in', [...SEARCHED_ROLES]),
      ),
    )
  if (identityKey !== undefined) query = query.where('l.identity_key', '=', identityKey)
  const byIdentity = new Map<string, Set<string>>()
  for (const row of await query.execute()) {
    const date = row.internal_date ?? row.sent_at
    if (afterIso !== null && date < afterIso) continue
    if (labelsOf(row.label_ids).some((l) => UNLISTED_LABELS.includes(l))) continue
    let ids = byIdentity.get(row.identity_key)
    if (ids === undefined) byIdentity.set(row.identity_key, (ids = new Set()))
    ids.add(row.gmail_id)
  }
  return byIdentity
}

/**
 * The account's failed messages by Gmail id: parked or not, and the last failure's text.
 *
 * @example
 * ```ts
 * const failures = await accountFailures(context.db, account.id)
 * failures.get(gmailId)?.parked
 * ```
 */
export async function accountFailures(db: Kysely<EmailDatabase>, accountId: number): Promise<Map<string, AuditFailure>> {
  const rows = await db.selectFrom('email_sync_failures').select(['gmail_id', 'parked_at', 'reason']).where('account_id', '=', accountId).execute()
  return new Map(rows.map((r) => [r.gmail_id, { parked: r.parked_at !== null, reason: r.reason }]))
}

/**
 * When the account's last completed run (`ok`, or `partial`: finished with failures) started;
 * mail Gmail received before it was within that run's reach. `null` when none completed.
 *
 * @example
 * ```ts
 * const since = await lastCompletedRunStart(context.db, account.id)
 * ```
 */
export async function lastCompletedRunStart(db: Kysely<EmailDatabase>, accountId: number): Promise<string | null> {
  const row = await db
    .selectFrom('email_sync_runs')
    .select((eb) => eb.fn.max('started_at').as('started'))
    .where('account_id', '=', accountId)
    .where('status', 'in', ['ok', 'partial'])
    .executeTakeFirst()
  return row?.started ?? null
}
