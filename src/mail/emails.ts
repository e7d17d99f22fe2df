import type { Kysely } from 'kysely'
import type { DirectoryEntry } from '../hooks.js'
import { groupBy, queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { pageLimit, type CursorCodec } from './filters.js'
import { identitiesOf, type LinkRow } from './identities.js'
import { accessOf, type ReadScope } from '../sharing/access.js'
import { mayRead, PRIVATE_SUBJECT } from '../sharing/levels.js'
import { redactSummary } from '../sharing/redact.js'
import type { Address, AttachmentSummary, EmailSummary, HiddenListOptions, HiddenPage } from './types.js'

/**
 * Builds the summaries of visible (not hidden) emails, by id, as the scope's reader may see
 * them (SPEC §12), in a fixed number of queries however many emails: rows, access,
 * participants, links, live copies and attachments.
 */
export async function emailSummaries(
  db: Kysely<EmailDatabase>,
  emailIds: readonly number[],
  directory: ReadonlyMap<string, DirectoryEntry>,
  scope: ReadScope,
): Promise<Map<number, EmailSummary>> {
  if (emailIds.length === 0) return new Map()
  const emails = await queryInChunks(emailIds, (chunk) =>
    db
      .selectFrom('emails')
      .select(['id', 'message_id', 'thread_id', 'subject', 'sent_at', 'from_address', 'from_name', 'snippet'])
      .where('id', 'in', chunk)
      .where('hidden_at', 'is', null)
      .execute(),
  )
  const ids = emails.map((e) => e.id)
  const access = await accessOf(db, ids, scope)
  const participants = groupBy(
    await queryInChunks(ids, (chunk) =>
      db
        .selectFrom('email_participants')
        .select(['email_id', 'role', 'position', 'address', 'name'])
        .where('email_id', 'in', chunk)
        .where('role', 'in', ['to', 'cc'])
        .orderBy('email_id')
        .orderBy('role')
        .orderBy('position')
        .execute(),
    ),
    (p) => p.email_id,
  )
  const links = groupBy(
    await queryInChunks(ids, (chunk): Promise<LinkRow[]> =>
      db
        .selectFrom('email_identity_links')
        .select(['email_id', 'identity_key', 'identity_type', 'identity_id', 'address', 'match_kind'])
        .where('email_id', 'in', chunk)
        .execute(),
    ),
    (l) => l.email_id,
  )
  const copies = groupBy(
    await queryInChunks(ids, (chunk) =>
      db
        .selectFrom('email_copies')
        .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
        .select(['email_copies.email_id', 'email_accounts.address'])
        .where('email_copies.email_id', 'in', chunk)
        .where('email_copies.deleted_at', 'is', null)
        .orderBy('email_accounts.address')
        .execute(),
    ),
    (c) => c.email_id,
  )
  const attachments = groupBy(
    await queryInChunks(ids, (chunk) =>
      db
        .selectFrom('email_attachments')
        .select(['id', 'email_id', 'filename', 'mime_type', 'size', 'sha256', 'status'])
        .where('email_id', 'in', chunk)
        .orderBy('email_id')
        .orderBy('position')
        .execute(),
    ),
    (a) => a.email_id,
  )

  const summaries = new Map<number, EmailSummary>()
  for (const e of emails) {
    const people = participants.get(e.id) ?? []
    const addresses = (role: 'to' | 'cc'): Address[] =>
      people.filter((p) => p.role === role).map((p) => ({ address: p.address, name: p.name }))
    const summary = {
      id: String(e.id),
      messageId: e.message_id,
      threadId: String(e.thread_id),
      subject: e.subject,
      date: e.sent_at,
      from: { address: e.from_address ?? '', name: e.from_name },
      to: addresses('to'),
      cc: addresses('cc'),
      snippet: e.snippet,
      identities: identitiesOf(links.get(e.id) ?? [], directory),
      mailboxes: [...new Set((copies.get(e.id) ?? []).map((c) => c.address))],
      attachments: (attachments.get(e.id) ?? []).map(
        (a): AttachmentSummary => ({ id: String(a.id), filename: a.filename, mimeType: a.mime_type, size: a.size, sha256: a.sha256, status: a.status }),
      ),
      access: 'owner' as const,
      withheld: [],
    }
    summaries.set(e.id, redactSummary(summary, access.get(e.id) ?? 'metadata'))
  }
  return summaries
}

/**
 * A page of hidden mail, most recently hidden first (ties by id, newest first), for an admin
 * to find what to restore. The cursor is the last item's `hidden_at` and id, signed. Each
 * subject is shown as the scope's reader may see it: managing mail is no licence to read it.
 *
 * @example
 * ```ts
 * const { items, nextCursor } = await listHidden(db, { limit: 20 }, cursors, scope)
 * ```
 */
export async function listHidden(db: Kysely<EmailDatabase>, options: HiddenListOptions, cursors: CursorCodec, scope: ReadScope): Promise<HiddenPage> {
  const limit = pageLimit(options.limit)
  const after = options.cursor === undefined || options.cursor === '' ? null : cursors.decode(options.cursor)
  let query = db
    .selectFrom('emails')
    .select(['id', 'thread_id', 'subject', 'from_address', 'from_name', 'sent_at', 'hidden_at', 'hidden_by'])
    .where('hidden_at', 'is not', null)
  if (after !== null) {
    query = query.where((eb) => eb.or([eb('hidden_at', '<', after.lastAt), eb.and([eb('hidden_at', '=', after.lastAt), eb('id', '<', after.id)])]))
  }
  const rows = await query.orderBy('hidden_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  const page = rows.slice(0, limit)
  const access = await accessOf(db, page.map((r) => r.id), scope)
  const last = page.at(-1)
  return {
    items: page.map((r) => {
      const readable = mayRead(access.get(r.id) ?? 'metadata', 'subject')
      return {
        id: String(r.id),
        threadId: String(r.thread_id),
        subject: readable ? r.subject : PRIVATE_SUBJECT,
        withheld: readable ? [] : ['subject' as const],
        from: { address: r.from_address ?? '', name: r.from_name },
        date: r.sent_at,
        hiddenAt: r.hidden_at ?? '',
        hiddenBy: r.hidden_by,
      }
    }),
    nextCursor: rows.length > limit && last !== undefined ? cursors.encode({ lastAt: last.hidden_at ?? '', id: last.id }) : null,
  }
}
