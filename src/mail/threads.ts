import type { ExpressionBuilder, Expression, Kysely, SqlBool } from 'kysely'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { ValidationError } from '../errors.js'
import type { ContentMatch } from '../search/content-match.js'
import type { DirectoryEntry } from '../hooks.js'
import { emailSummaries } from './emails.js'
import { accessOf, type ReadScope } from '../sharing/access.js'
import { privateThreadIds } from '../sharing/private-threads.js'
import { threadView } from './thread-view.js'
import { dateRange, pageLimit, type CursorCodec } from './filters.js'
import { parseIdentityKey } from '../db/identity-keys.js'
import { identitiesOf, identityCondition, identityOf, resolvedLinks, type LinkRow } from './identities.js'
import type { Address, IdentityFacet, MailFilter, ThreadDetail, ThreadListOptions, ThreadPage, ThreadSummary } from './types.js'

/** Participants listed per thread summary; a thread with a huge cc list still answers small. */
export const MAX_THREAD_PARTICIPANTS = 20

type EmailsEb = ExpressionBuilder<EmailDatabase, 'emails'>

/**
 * The conditions on visible emails for a filter, or `null` when the filter matches nothing
 * (an identity key with an unknown prefix). Throws `ValidationError` for bad dates.
 */
export function emailConditions(filter: MailFilter): ((eb: EmailsEb) => Expression<SqlBool>) | null {
  const range = dateRange(filter.from, filter.to)
  const identity = filter.identity === undefined || filter.identity === '' ? undefined : filter.identity
  if (identity !== undefined && parseIdentityKey(identity) === null) return null
  return (eb) => {
    const parts: Expression<SqlBool>[] = [eb('emails.hidden_at', 'is', null)]
    if (range.from !== null) parts.push(eb('emails.sent_at', '>=', range.from))
    if (range.to !== null) parts.push(eb('emails.sent_at', '<', range.to))
    const condition = identity === undefined ? null : identityCondition(eb, identity)
    if (condition !== null) parts.push(condition)
    return eb.and(parts)
  }
}

/**
 * Lists threads with at least one visible email matching the filter (and, with `q`, found by
 * `contentMatch` as well: the same email meets both), newest activity first.
 */
export async function listThreads(
  db: Kysely<EmailDatabase>,
  options: ThreadListOptions,
  cursors: CursorCodec,
  directory: ReadonlyMap<string, DirectoryEntry>,
  contentMatch: ContentMatch,
  scope: ReadScope,
): Promise<ThreadPage> {
  const limit = pageLimit(options.limit)
  const after = options.cursor === undefined || options.cursor === '' ? null : cursors.decode(options.cursor)
  const filter = emailConditions(options)
  if (options.q !== undefined && typeof options.q !== 'string') throw new ValidationError('q: expected text to search for')
  const text = options.q === undefined || options.q.trim() === '' ? null : options.q
  const content = text === null ? undefined : contentMatch(text, scope)
  if (filter === null || content === null) return { items: [], nextCursor: null }
  const condition = content === undefined ? filter : (eb: EmailsEb) => eb.and([filter(eb), content(eb)])

  let query = db
    .selectFrom('email_threads as t')
    .select(['t.id', 't.last_at'])
    .where('t.merged_into', 'is', null)
    .where('t.last_at', 'is not', null)
    .where((eb) => eb.exists(eb.selectFrom('emails').select('emails.id').whereRef('emails.thread_id', '=', 't.id').where(condition)))
  if (after !== null) {
    query = query.where((eb) => eb.or([eb('t.last_at', '<', after.lastAt), eb.and([eb('t.last_at', '=', after.lastAt), eb('t.id', '<', after.id)])]))
  }
  const rows = await query.orderBy('t.last_at', 'desc').orderBy('t.id', 'desc').limit(limit + 1).execute()
  const page = rows.slice(0, limit)
  const items = await threadSummaries(db, page.map((r) => r.id), directory, scope)
  const last = page.at(-1)
  return {
    items: page.flatMap((r) => items.get(r.id) ?? []),
    nextCursor: rows.length > limit && last !== undefined ? cursors.encode({ lastAt: last.last_at ?? '', id: last.id }) : null,
  }
}

/**
 * The summaries of a page of threads as the scope's reader sees them, in a fixed number of
 * queries: threads, their visible emails, the reader's access to those (once for the page),
 * private marks, participants and links.
 */
async function threadSummaries(
  db: Kysely<EmailDatabase>,
  threadIds: readonly number[],
  directory: ReadonlyMap<string, DirectoryEntry>,
  scope: ReadScope,
): Promise<Map<number, ThreadSummary>> {
  if (threadIds.length === 0) return new Map()
  const threads = await db.selectFrom('email_threads').selectAll().where('id', 'in', [...threadIds]).execute()
  const emails = await db
    .selectFrom('emails')
    .select(['id', 'thread_id', 'subject', 'snippet', 'sent_at'])
    .where('thread_id', 'in', [...threadIds])
    .where('hidden_at', 'is', null)
    .orderBy('sent_at')
    .orderBy('id')
    .execute()
  const emailIds = emails.map((e) => e.id)
  const access = await accessOf(db, emailIds, scope)
  const marked = await privateThreadIds(db, threadIds)
  // A page of long threads can hold more emails than one statement may bind.
  const people = await queryInChunks(emailIds, (ids) =>
    db
      .selectFrom('email_participants')
      .select(['email_id', 'address', 'name'])
      .where('email_id', 'in', ids)
      .where('role', 'in', ['from', 'to', 'cc'])
      .execute(),
  )
  const links: LinkRow[] = await queryInChunks(emailIds, (ids) =>
    db
      .selectFrom('email_identity_links')
      .select(['email_id', 'identity_key', 'identity_type', 'identity_id', 'address', 'match_kind'])
      .where('email_id', 'in', ids)
      .execute(),
  )

  const result = new Map<number, ThreadSummary>()
  for (const t of threads) {
    const own = emails.filter((e) => e.thread_id === t.id)
    const ownIds = new Set(own.map((e) => e.id))
    const participants = new Map<string, Address>()
    for (const p of people) if (ownIds.has(p.email_id) && !participants.has(p.address)) participants.set(p.address, { address: p.address, name: p.name })
    const view = threadView(own.map((e) => ({ subject: e.subject, snippet: e.snippet, access: access.get(e.id) ?? 'metadata' })))
    result.set(t.id, {
      id: String(t.id),
      subject: view.subject,
      firstAt: t.first_at ?? '',
      lastAt: t.last_at ?? '',
      messageCount: t.message_count,
      participants: [...participants.values()].slice(0, MAX_THREAD_PARTICIPANTS),
      identities: identitiesOf(links.filter((l) => ownIds.has(l.email_id)), directory),
      snippet: view.snippet,
      withheld: view.withheld,
      private: marked.has(t.id),
    })
  }
  return result
}

/**
 * A thread with its visible emails, oldest first; a thread merged into another answers as the
 * one it joined. `null` when it does not exist or has no visible email.
 */
export async function getThread(
  db: Kysely<EmailDatabase>,
  id: number,
  directory: ReadonlyMap<string, DirectoryEntry>,
  scope: ReadScope,
): Promise<ThreadDetail | null> {
  const thread = await db.selectFrom('email_threads').select(['id', 'merged_into']).where('id', '=', id).executeTakeFirst()
  if (thread === undefined) return null
  const live = thread.merged_into === null ? thread : await db.selectFrom('email_threads').select(['id', 'merged_into']).where('id', '=', thread.merged_into).executeTakeFirst()
  if (live === undefined) return null
  const rows = await db
    .selectFrom('emails')
    .select('id')
    .where('thread_id', '=', live.id)
    .where('hidden_at', 'is', null)
    .orderBy('sent_at')
    .orderBy('id')
    .execute()
  if (rows.length === 0) return null
  const summaries = await emailSummaries(db, rows.map((r) => r.id), directory, scope)
  const emails = rows.flatMap((r) => summaries.get(r.id) ?? [])
  // The summaries carry their redacted subjects, and a subject is only taken where it may be read.
  const { subject, withheld } = threadView(emails)
  const marked = await privateThreadIds(db, [live.id])
  return { id: String(live.id), subject, withheld: withheld.filter((f) => f === 'subject'), private: marked.has(live.id), emails }
}

/**
 * The identities present among the visible emails of the filter, with how many emails each.
 * Identities come from participants, which every sharing level shows, so every reader gets the
 * same counts, and they agree with the thread list filtered by the same identity.
 */
export async function identityFacet(
  db: Kysely<EmailDatabase>,
  filter: MailFilter,
  directory: ReadonlyMap<string, DirectoryEntry>,
): Promise<IdentityFacet> {
  const condition = emailConditions(filter)
  if (condition === null) return { items: [] }
  const links = await db
    .selectFrom('email_identity_links')
    .innerJoin('emails', 'emails.id', 'email_identity_links.email_id')
    .select([
      'email_identity_links.email_id',
      'email_identity_links.identity_key',
      'email_identity_links.identity_type',
      'email_identity_links.identity_id',
      'email_identity_links.address',
      'email_identity_links.match_kind',
    ])
    .where(condition)
    .execute()
  const counts = new Map<string, { identity: ReturnType<typeof identityOf>; emails: Set<number> }>()
  for (const link of resolvedLinks(links)) {
    const identity = identityOf(link, directory)
    const entry = counts.get(identity.key) ?? { identity, emails: new Set<number>() }
    entry.emails.add(link.email_id)
    counts.set(identity.key, entry)
  }
  const order = { fund: 0, org: 1, contact: 2, addr: 3 }
  return {
    items: [...counts.values()]
      .map(({ identity, emails }) => ({ ...identity, count: emails.size }))
      .sort((a, b) => order[a.type] - order[b.type] || b.count - a.count || a.name.localeCompare(b.name)),
  }
}
