import type { ReadStream } from 'node:fs'
import { refreshThread } from '../db/threads.js'
import type { BlobStore } from '../db/blob-store.js'
import type { IntegrationContext } from '../context.js'
import type { DirectoryCache } from '../directory/cache.js'
import { indexEmails, unindexEmails } from '../db/search-index.js'
import { nowIso } from '../context.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { actorOf, recordAudit, type ActorOptions } from '../audit-log/store.js'
import { emailSummaries, listHidden } from './emails.js'
import { createContentMatch } from '../search/content-match.js'
import { accessOf, readScope, type ReadOptions } from '../sharing/access.js'
import { mayRead } from '../sharing/levels.js'
import { setThreadPrivate } from '../sharing/private-threads.js'
import { redactDetail } from '../sharing/redact.js'
import { createCursorCodec } from './filters.js'
import type { EmailDetail, HiddenListOptions, HiddenPage, IdentityFacet, MailFilter, ThreadDetail, ThreadListOptions, ThreadPage, ThreadPrivacy } from './types.js'
import { getThread, identityFacet, listThreads } from './threads.js'

/** The largest id the routes accept: ids are database integers. */
const MAX_ID = 2 ** 31 - 1

/** Reads an id given as text or number: a positive integer, else a `ValidationError`. */
export function parseId(name: string, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < 1 || n > MAX_ID) throw new ValidationError(`${name}: expected a positive integer id`)
  return n
}

/** An attachment's bytes, ready to stream. */
export interface AttachmentFile {
  readonly filename: string
  readonly mimeType: string
  readonly size: number
  readonly stream: ReadStream
}

/** Reading and moderating stored mail. Hidden mail is never returned. */
export interface MailApi {
  readonly threads: {
    /**
     * Threads with visible mail matching the filter, newest activity first, a page at a time.
     *
     * @example
     * ```ts
     * const { items, nextCursor } = await email.threads.list({ identity: 'fund:7', limit: 20 })
     * ```
     */
    readonly list: (options?: ThreadListOptions & ReadOptions) => Promise<ThreadPage>
    /**
     * A thread and its visible emails; `NotFoundError` when it has none.
     *
     * @example
     * ```ts
     * const thread = await email.threads.get('12')
     * ```
     */
    readonly get: (id: string | number, options?: ReadOptions) => Promise<ThreadDetail>
    /**
     * Marks a thread private (`true`: everyone but the owners of its mailboxes reads it at
     * `metadata`) or shares it again (`false`). Only an owner of a mailbox holding a copy of one
     * of its emails may, named by `options.actor` (the routes pass the signed-in principal's
     * email); anyone else, admins included, gets `AuthError('forbidden')`. Idempotent; a merged
     * thread's id stands for the thread it joined. Each change writes a `thread.made_private`
     * or `thread.made_shared` audit entry in the same transaction.
     *
     * @example
     * ```ts
     * await email.threads.setPrivate('12', true, { actor: 'ann@fund.example' }) // { id: '12', private: true }
     * ```
     */
    readonly setPrivate: (id: string | number, isPrivate: boolean, options: ActorOptions) => Promise<ThreadPrivacy>
  }
  /**
   * The identity facet: the identities present in the filtered mail, with counts. Identities
   * are metadata, shown at every sharing level: every reader gets the same counts.
   *
   * @example
   * ```ts
   * const { items } = await email.identities({ from: '2026-01-01' })
   * ```
   */
  readonly identities: (filter?: MailFilter, options?: ReadOptions) => Promise<IdentityFacet>
  readonly emails: {
    /**
     * One email with its text body (never remote HTML), as the reader's access allows (a
     * withheld body reads `''`); `NotFoundError` when hidden.
     *
     * @example
     * ```ts
     * const { bodyText } = await email.emails.get('42')
     * ```
     */
    readonly get: (id: string | number, options?: ReadOptions) => Promise<EmailDetail>
    /**
     * Hides an email from every list, search and digest until restored. Writes an
     * `email.hidden` entry to the audit log in the same transaction; its actor is
     * `options.actor`, else `by`.
     *
     * @example
     * ```ts
     * await email.emails.hide('42', 'admin@fund.example')
     * ```
     */
    readonly hide: (id: string | number, by: string, options?: ActorOptions) => Promise<void>
    /**
     * Restores a hidden email. Writes an `email.restored` entry to the audit log in the same
     * transaction; its actor is `options.actor`, or `null` (the host's own code).
     *
     * @example
     * ```ts
     * await email.emails.restore('42', { actor: 'admin@fund.example' })
     * ```
     */
    readonly restore: (id: string | number, options?: ActorOptions) => Promise<void>
    /**
     * Hidden mail, most recently hidden first, a page at a time: what an admin may restore.
     * Subjects follow the reader's access like every read (`(private)` where withheld).
     *
     * @example
     * ```ts
     * const { items, nextCursor } = await email.emails.listHidden({ limit: 20, viewer: 'eve@fund.example' })
     * ```
     */
    readonly listHidden: (options?: HiddenListOptions & ReadOptions) => Promise<HiddenPage>
  }
  readonly attachments: {
    /**
     * An attachment's stored bytes; `NotFoundError` when unknown, when its email is hidden, or
     * when the reader's access to its email withholds attachments (its existence is not
     * confirmed either); `ConflictError` when its bytes are not (yet) stored.
     *
     * @example
     * ```ts
     * const file = await email.attachments.open('7')
     * ```
     */
    readonly open: (id: string | number, options?: ReadOptions) => Promise<AttachmentFile>
  }
}

/**
 * Builds the read API over one integration's context, with the integration's blob store and
 * directory cache.
 *
 * @example
 * ```ts
 * const mail = createMailApi(context, blobs, createDirectoryCache(context.directory, context.clock))
 * const { items } = await mail.threads.list({ identity: 'fund:7' })
 * ```
 */
export function createMailApi(context: IntegrationContext, blobs: BlobStore, directory: DirectoryCache): MailApi {
  const { db, dialect } = context
  const cursors = createCursorCodec(context.config.secretKey)
  const contentMatch = createContentMatch(dialect)
  const scopeOf = (options: ReadOptions | undefined) => readScope(options, context.config.defaultSharing)

  const setHidden = async (value: string | number, hidden: { at: string; by: string } | null, actor: string | null) => {
    const id = parseId('id', value)
    const now = nowIso(context)
    await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('emails')
        .set({ hidden_at: hidden?.at ?? null, hidden_by: hidden?.by ?? null, updated_at: now })
        .where('id', '=', id)
        .returning('thread_id')
        .executeTakeFirst()
      if (row === undefined) throw new NotFoundError(`email ${id} not found`)
      await refreshThread(trx, row.thread_id, now)
      // The search index holds visible mail only, changed in the same transaction.
      if (hidden === null) await indexEmails(trx, [id], dialect)
      else await unindexEmails(trx, [id], dialect)
      const action = hidden === null ? 'email.restored' : 'email.hidden'
      await recordAudit(trx, now, { action, actor, target: { kind: 'email', id: String(id) }, details: { threadId: String(row.thread_id) } })
    })
  }

  return {
    threads: {
      list: async (options = {}) => listThreads(db, options, cursors, await directory.get(), contentMatch, scopeOf(options)),
      async get(value, options) {
        const id = parseId('id', value)
        const thread = await getThread(db, id, await directory.get(), scopeOf(options))
        if (thread === null) throw new NotFoundError(`thread ${id} not found`)
        return thread
      },
      async setPrivate(value, isPrivate, options) {
        const threadId = parseId('id', value)
        if (typeof isPrivate !== 'boolean') throw new ValidationError('isPrivate: expected true or false')
        return setThreadPrivate(db, { threadId, isPrivate, actor: actorOf(options), at: nowIso(context) })
      },
    },
    identities: async (filter = {}) => identityFacet(db, filter, await directory.get()),
    emails: {
      async get(value, options) {
        const id = parseId('id', value)
        const summary = (await emailSummaries(db, [id], await directory.get(), scopeOf(options))).get(id)
        if (summary === undefined) throw new NotFoundError(`email ${id} not found`)
        const row = await db.selectFrom('emails').select('body_text').where('id', '=', id).executeTakeFirstOrThrow()
        return redactDetail({ ...summary, bodyText: row.body_text ?? '' }, summary.access)
      },
      hide: async (id, by, options) => setHidden(id, { at: nowIso(context), by }, actorOf(options) ?? actorOf({ actor: by })),
      restore: async (id, options) => setHidden(id, null, actorOf(options)),
      listHidden: (options = {}) => listHidden(db, options, cursors, scopeOf(options)),
    },
    attachments: {
      async open(value, options) {
        const id = parseId('id', value)
        const row = await db
          .selectFrom('email_attachments')
          .innerJoin('emails', 'emails.id', 'email_attachments.email_id')
          .select(['email_attachments.email_id', 'email_attachments.filename', 'email_attachments.mime_type', 'email_attachments.size', 'email_attachments.sha256', 'email_attachments.status'])
          .where('email_attachments.id', '=', id)
          .where('emails.hidden_at', 'is', null)
          .executeTakeFirst()
        const access = row === undefined ? undefined : (await accessOf(db, [row.email_id], scopeOf(options))).get(row.email_id)
        // A withheld attachment answers as an unknown one: its existence is not confirmed.
        if (row === undefined || access === undefined || !mayRead(access, 'attachments')) throw new NotFoundError(`attachment ${id} not found`)
        if (row.status !== 'stored' || row.sha256 === null) throw new ConflictError(`attachment ${id} is ${row.status}: its bytes are not stored`)
        return { filename: row.filename, mimeType: row.mime_type, size: row.size, stream: blobs.read(row.sha256) }
      },
    },
  }
}
