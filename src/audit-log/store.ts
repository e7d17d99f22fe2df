import type { Kysely, Selectable } from 'kysely'
import type { AuditAction, AuditTargetKind, EmailAuditLogTable, EmailDatabase } from '../db/database.js'
import { ValidationError } from '../errors.js'

/**
 * Every action the log records, with what it means. A record, so that an action added to
 * {@link AuditAction} without its line here is a compile error.
 */
const ACTION_MEANINGS: Readonly<Record<AuditAction, string>> = Object.freeze({
  'email.hidden': 'an email was hidden from every read path',
  'email.restored': 'a hidden email was restored',
  'account.enrolled': 'mailboxes were enrolled (enroll, or enrollAll with its counts)',
  'account.paused': 'an account was paused: kept, not synced',
  'account.resumed': 'a paused account was resumed (the status it went back to)',
  'account.sharing_changed': "an account's sharing level was changed (from, to, and fromDefault: whether the old level was the configured default)",
  'account.removed': 'an account was removed with its copies, the mail only it held and its tokens (counts)',
  'search_fallback.cleared': "an account's search fallback was cleared",
  'thread.made_private': 'a thread was marked private by an owner of a mailbox holding it',
  'thread.made_shared': 'a private thread was shared again',
  'mail.purged': "an address's or identity's mail was erased and the addresses suppressed (counts)",
  'mail.expired': 'mail older than the retention period was deleted (counts)',
  'suppression.removed': 'an address was taken off the suppression list',
})

/** Every action the audit log records, in a stable order. */
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.freeze(Object.keys(ACTION_MEANINGS) as AuditAction[])

/**
 * The longest actor the log keeps: an address is at most 254 characters (RFC 5321), and a
 * longer value is not a principal's email but a mistake or an attempt to fill the log.
 */
export const MAX_ACTOR_LENGTH = 320

/** Who acts, for the operations that write the audit log. */
export interface ActorOptions {
  /**
   * The email of the principal on whose behalf the call is made (the routes pass the signed-in
   * admin's). Left out, the entry's actor is `null`: the host's own code or a job.
   */
  readonly actor?: string | undefined
}

/** An entry's details: ids and counts, flat, never mail content (subjects, bodies, participants). */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>

/** What an audited action acted on. */
export interface AuditTarget {
  readonly kind: AuditTargetKind
  /** An email's id, or an account's address. */
  readonly id: string
}

/** One entry to write. */
export interface AuditRecord {
  readonly action: AuditAction
  readonly actor: string | null
  readonly target: AuditTarget | null
  readonly details: AuditDetails
}

/** Where a page of the log ends: the last entry's time and id. */
export interface AuditPosition {
  readonly at: string
  readonly id: number
}

/**
 * Reads the actor of a call's options: `null` without one, else a non-empty string of at most
 * {@link MAX_ACTOR_LENGTH} characters; a `ValidationError` naming `actor` otherwise. Read before
 * the action runs, so that a bad actor changes nothing.
 *
 * @example
 * ```ts
 * actorOf({ actor: principal.email }) // 'ann@fund.example'
 * actorOf(undefined) // null
 * ```
 */
export function actorOf(options: ActorOptions | undefined): string | null {
  const actor: unknown = options?.actor
  if (actor === undefined) return null
  if (typeof actor !== 'string' || actor.trim() === '' || actor.length > MAX_ACTOR_LENGTH) {
    throw new ValidationError(`actor: expected the acting principal's email (1 to ${MAX_ACTOR_LENGTH} characters)`)
  }
  return actor.trim()
}

/**
 * Tells whether a value names an action of the log.
 *
 * @example
 * ```ts
 * isAuditAction('email.hidden') // true
 * ```
 */
export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && Object.hasOwn(ACTION_MEANINGS, value)
}

/**
 * Writes one entry. Given the transaction of the action it records, the entry commits or rolls
 * back with it.
 *
 * @example
 * ```ts
 * await recordAudit(trx, now, { action: 'email.hidden', actor, target: { kind: 'email', id: '42' }, details: { threadId: '7' } })
 * ```
 */
export async function recordAudit(db: Kysely<EmailDatabase>, at: string, record: AuditRecord): Promise<void> {
  await db
    .insertInto('email_audit_log')
    .values({
      at,
      actor: record.actor,
      action: record.action,
      target_kind: record.target?.kind ?? null,
      target_id: record.target?.id ?? null,
      details: JSON.stringify(record.details),
    })
    .execute()
}

/**
 * Reads up to `limit` entries newest first (by time, then id), after `after` when given, of
 * one action when given.
 *
 * @example
 * ```ts
 * const rows = await readAuditRows(db, { limit: 26, after: null, action: 'email.hidden' })
 * ```
 */
export async function readAuditRows(
  db: Kysely<EmailDatabase>,
  query: { readonly limit: number; readonly after: AuditPosition | null; readonly action: AuditAction | null },
): Promise<Selectable<EmailAuditLogTable>[]> {
  const { after, action } = query
  let select = db.selectFrom('email_audit_log').selectAll()
  if (action !== null) select = select.where('action', '=', action)
  if (after !== null) {
    select = select.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]))
  }
  return select.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
}
