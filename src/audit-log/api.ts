import type { Selectable } from 'kysely'
import type { IntegrationContext } from '../context.js'
import type { AuditAction, EmailAuditLogTable } from '../db/database.js'
import { ValidationError } from '../errors.js'
import { createCursorCodec, pageLimit } from '../mail/filters.js'
import { AUDIT_ACTIONS, isAuditAction, readAuditRows, type AuditDetails, type AuditTarget } from './store.js'

/** Which entries of the audit log to read. */
export interface AuditLogListOptions {
  /** Entries per page, 1 to 100 (default 25). */
  readonly limit?: number | string | undefined
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | undefined
  /** Only entries of this action. */
  readonly action?: AuditAction | undefined
}

/** One privileged action, as the log shows it: who, when, what; never mail content. */
export interface AuditLogEntry {
  readonly id: string
  /** When it was done (ISO). */
  readonly at: string
  /** The acting principal's email, or `null` for the host's own code or a job. */
  readonly actor: string | null
  readonly action: AuditAction
  /** What it acted on (an email by id, an account by address), or `null` for a batch (enrollAll). */
  readonly target: AuditTarget | null
  /** Ids and counts, by action: `threadId` (email actions); `enrolled`, `created`, `skipped` (`account.enrolled`). */
  readonly details: AuditDetails
}

/** A page of the audit log, newest first. */
export interface AuditLogPage {
  readonly items: AuditLogEntry[]
  /** Pass as `cursor` for the next page; `null` on the last one. */
  readonly nextCursor: string | null
}

/** Reading the audit log of privileged actions (`email.auditLog`). */
export interface AuditLogApi {
  /**
   * The log newest first, a page at a time, of every action or of one. A forged or unknown
   * cursor, a bad limit or an unknown action is a `ValidationError`.
   *
   * @example
   * ```ts
   * const { items, nextCursor } = await email.auditLog.list({ action: 'email.hidden', limit: 50 })
   * for (const e of items) console.log(e.at, e.actor ?? 'system', e.action, e.target?.id)
   * ```
   */
  readonly list: (options?: AuditLogListOptions) => Promise<AuditLogPage>
}

/** The details column read back: a flat JSON object of scalars, else nothing. */
function detailsOf(text: string): AuditDetails {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {}
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {}
  const scalar = (v: unknown): v is string | number | boolean | null => v === null || ['string', 'number', 'boolean'].includes(typeof v)
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string | number | boolean | null] => scalar(entry[1])))
}

function toEntry(row: Selectable<EmailAuditLogTable>): AuditLogEntry {
  return {
    id: String(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target_kind === null || row.target_id === null ? null : { kind: row.target_kind, id: row.target_id },
    details: detailsOf(row.details),
  }
}

/**
 * Reads the `action` option or query parameter: absent, or one of {@link AUDIT_ACTIONS}.
 *
 * @example
 * ```ts
 * auditActionOf(queryParam(url, 'action')) // 'email.hidden' | null
 * ```
 */
export function auditActionOf(value: unknown): AuditAction | null {
  if (value === undefined || value === '') return null
  if (isAuditAction(value)) return value
  throw new ValidationError(`action: expected one of ${AUDIT_ACTIONS.join(', ')}`)
}

/**
 * Builds the audit log's read API over one integration's context.
 *
 * @example
 * ```ts
 * const auditLog = createAuditLogApi(context)
 * const { items } = await auditLog.list({ limit: 10 })
 * ```
 */
export function createAuditLogApi(context: IntegrationContext): AuditLogApi {
  const cursors = createCursorCodec(context.config.secretKey)
  return {
    async list(options = {}) {
      const limit = pageLimit(options.limit)
      const action = auditActionOf(options.action)
      const cursor: unknown = options.cursor
      if (cursor !== undefined && typeof cursor !== 'string') throw new ValidationError('cursor: expected the nextCursor of a page')
      const position = cursor === undefined || cursor === '' ? null : cursors.decode(cursor)
      const after = position === null ? null : { at: position.lastAt, id: position.id }
      const rows = await readAuditRows(context.db, { limit: limit + 1, after, action })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      const nextCursor = rows.length > limit && last !== undefined ? cursors.encode({ lastAt: last.at, id: last.id }) : null
      return { items: page.map(toEntry), nextCursor }
    },
  }
}
