import { sql, type Kysely } from 'kysely'
import { groupBy, queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { errorMessage } from '../errors.js'
import type { DirectoryEntry, Logger } from '../hooks.js'
import { identityOf, resolvedLinks, type LinkRow } from '../mail/identities.js'
import type { Address, Identity } from '../mail/types.js'
import { MAX_THREAD_PARTICIPANTS } from '../mail/threads.js'
import { threadView } from '../mail/thread-view.js'
import { accessOf, type ReadScope } from '../sharing/access.js'
import { mayRead, type Access } from '../sharing/levels.js'
import { renderHtml, renderText } from './render.js'
import type { Digest, DigestGroup, DigestThread, SummarySource } from './types.js'
import type { DigestWindow } from './window.js'
import { extractiveSummary, type Summarizer, type SummaryInput } from './summarizer.js'

/**
 * The most emails one digest reads (the newest are kept, and the digest says it was cut):
 * bounds memory and build time whatever window an admin asks for.
 */
export const MAX_DIGEST_EMAILS = 5_000
/** Emails quoted per group for its summary: the newest few carry the news. */
export const EXCERPTS_PER_GROUP = 3
/** Characters of each quoted body read from the database: enough for its first sentences. */
export const EXCERPT_CHARS = 600

const TYPE_RANK: Readonly<Record<Identity['type'], number>> = { fund: 0, org: 1, contact: 2, addr: 3 }

/** What building a digest needs. */
export interface DigestBuildDeps {
  readonly db: Kysely<EmailDatabase>
  readonly directory: ReadonlyMap<string, DirectoryEntry>
  /** The model (or the host's) summarizer; `null` for extractive summaries only. */
  readonly summarizer: Summarizer | null
  readonly logger: Required<Logger>
  /**
   * Whose view the digest takes: the team's (no viewer), so it shows each email as every
   * teammate may see it, and its summarizer reads nothing a teammate may not.
   */
  readonly scope: ReadScope
}

interface WindowEmail {
  readonly id: number
  readonly thread_id: number
  readonly sent_at: string
}

/** The CRM-linked, visible emails of the window, newest first, at most one more than the cap. */
async function windowEmails(db: Kysely<EmailDatabase>, window: DigestWindow): Promise<WindowEmail[]> {
  return db
    .selectFrom('emails')
    .select(['emails.id', 'emails.thread_id', 'emails.sent_at'])
    .where('emails.hidden_at', 'is', null)
    .where('emails.sent_at', '>=', window.from)
    .where('emails.sent_at', '<', window.to)
    .where((eb) => eb.exists(eb.selectFrom('email_identity_links as l').select('l.email_id').whereRef('l.email_id', '=', 'emails.id')))
    .orderBy('emails.sent_at', 'desc')
    .orderBy('emails.id', 'desc')
    .limit(MAX_DIGEST_EMAILS + 1)
    .execute()
}

/**
 * Each thread's subject as the scope's reader sees it, by the thread list's own rule
 * (`mail/thread-view.ts`): the subject of its oldest visible email whose subject they may see,
 * else `(private)`.
 */
async function threadSubjects(db: Kysely<EmailDatabase>, threadIds: readonly number[], scope: ReadScope): Promise<Map<number, string>> {
  const emails = await queryInChunks(threadIds, (chunk) =>
    db
      .selectFrom('emails')
      .select(['id', 'thread_id', 'subject'])
      .where('thread_id', 'in', chunk)
      .where('hidden_at', 'is', null)
      .orderBy('sent_at')
      .orderBy('id')
      .execute(),
  )
  const access = await accessOf(db, emails.map((e) => e.id), scope)
  const byThread = groupBy(emails, (e) => e.thread_id)
  return new Map(
    threadIds.map((id) => {
      const oldestFirst = (byThread.get(id) ?? []).map((e) => ({ subject: e.subject, snippet: '', access: access.get(e.id) ?? 'metadata' }))
      return [id, threadView(oldestFirst).subject]
    }),
  )
}

/** Each thread's facts over the window's emails: subject (as the scope's reader sees it), newest date, count, participants. */
async function threadFacts(db: Kysely<EmailDatabase>, emails: readonly WindowEmail[], scope: ReadScope): Promise<Map<number, DigestThread>> {
  const ids = emails.map((e) => e.id)
  const threadIds = [...new Set(emails.map((e) => e.thread_id))]
  const subjects = await threadSubjects(db, threadIds, scope)
  const people = await queryInChunks(ids, (chunk) =>
    db
      .selectFrom('email_participants')
      .select(['email_id', 'role', 'position', 'address', 'name'])
      .where('email_id', 'in', chunk)
      .where('role', 'in', ['from', 'to', 'cc'])
      .execute(),
  )
  const roleOrder = { from: 0, to: 1, cc: 2 } as Readonly<Record<string, number>>
  people.sort((a, b) => a.email_id - b.email_id || (roleOrder[a.role] ?? 3) - (roleOrder[b.role] ?? 3) || a.position - b.position)
  const byEmail = new Map<number, Address[]>()
  for (const p of people) {
    const list = byEmail.get(p.email_id) ?? []
    list.push({ address: p.address, name: p.name })
    byEmail.set(p.email_id, list)
  }
  const facts = new Map<number, { lastAt: string; count: number; participants: Map<string, Address> }>()
  // Oldest first, so participants are listed in the order they joined the conversation.
  for (const e of [...emails].reverse()) {
    const f = facts.get(e.thread_id) ?? { lastAt: e.sent_at, count: 0, participants: new Map<string, Address>() }
    f.count += 1
    if (e.sent_at > f.lastAt) f.lastAt = e.sent_at
    for (const p of byEmail.get(e.id) ?? []) if (!f.participants.has(p.address)) f.participants.set(p.address, p)
    facts.set(e.thread_id, f)
  }
  return new Map(
    [...facts].map(([id, f]) => [
      id,
      { id: String(id), subject: subjects.get(id) ?? '', lastAt: f.lastAt, messageCount: f.count, participants: [...f.participants.values()].slice(0, MAX_THREAD_PARTICIPANTS) },
    ]),
  )
}

interface GroupDraft {
  readonly identity: Identity
  /** Newest first, as the window's emails are. */
  readonly emails: WindowEmail[]
}

/** The window's emails by resolved identity (the same precedence as the list and the facet), in digest order. */
async function groupByIdentity(
  db: Kysely<EmailDatabase>,
  emails: readonly WindowEmail[],
  directory: ReadonlyMap<string, DirectoryEntry>,
): Promise<GroupDraft[]> {
  const links: LinkRow[] = await queryInChunks(
    emails.map((e) => e.id),
    (chunk) =>
      db
        .selectFrom('email_identity_links')
        .select(['email_id', 'identity_key', 'identity_type', 'identity_id', 'address', 'match_kind'])
        .where('email_id', 'in', chunk)
        .execute(),
  )
  const byEmail = new Map<number, Set<string>>()
  const identities = new Map<string, Identity>()
  for (const link of resolvedLinks(links)) {
    const identity = identityOf(link, directory)
    identities.set(identity.key, identity)
    const keys = byEmail.get(link.email_id) ?? new Set<string>()
    keys.add(identity.key)
    byEmail.set(link.email_id, keys)
  }
  const groups = new Map<string, GroupDraft>()
  for (const e of emails) {
    for (const key of byEmail.get(e.id) ?? []) {
      const identity = identities.get(key)
      if (identity === undefined) continue
      const group = groups.get(key) ?? { identity, emails: [] }
      group.emails.push(e)
      groups.set(key, group)
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      TYPE_RANK[a.identity.type] - TYPE_RANK[b.identity.type] ||
      b.emails.length - a.emails.length ||
      (b.emails[0]?.sent_at ?? '').localeCompare(a.emails[0]?.sent_at ?? '') ||
      a.identity.name.localeCompare(b.identity.name),
  )
}

/**
 * The emails of a group the digest quotes: its newest few whose body the scope's reader may
 * see. An email at `subject` level lends only its subject (in the thread list), one at
 * `metadata` level only its participants and dates: neither is ever quoted.
 */
function quoted(group: GroupDraft, access: ReadonlyMap<number, Access>): WindowEmail[] {
  return group.emails.filter((e) => mayRead(access.get(e.id) ?? 'metadata', 'body')).slice(0, EXCERPTS_PER_GROUP)
}

/** The opening text of each group's quoted emails: the body's start, or Gmail's snippet. */
async function excerpts(db: Kysely<EmailDatabase>, groups: readonly GroupDraft[], access: ReadonlyMap<number, Access>): Promise<Map<number, string>> {
  const ids = [...new Set(groups.flatMap((g) => quoted(g, access).map((e) => e.id)))]
  const rows = await queryInChunks(ids, (chunk) =>
    db
      .selectFrom('emails')
      .select(['id', 'snippet', sql<string | null>`substr(body_text, 1, ${EXCERPT_CHARS})`.as('body')])
      .where('id', 'in', chunk)
      .execute(),
  )
  return new Map(rows.map((r) => [r.id, r.body !== null && r.body.trim() !== '' ? r.body : r.snippet]))
}

/**
 * Asks the summarizer, falling back to the extractive summary when there is none or it fails.
 * After the first failure the rest of the digest goes extractive at once: a model that timed
 * out once would otherwise cost a full timeout per group.
 */
function summarizing(deps: DigestBuildDeps): (input: SummaryInput, fallback: () => string) => Promise<{ text: string; source: SummarySource }> {
  let healthy = deps.summarizer !== null
  return async (input, fallback) => {
    if (healthy && deps.summarizer !== null) {
      try {
        const text = (await deps.summarizer.summarize(input)).trim()
        if (text !== '') return { text, source: 'llm' }
        throw new Error('the summarizer returned an empty summary')
      } catch (error) {
        healthy = false
        deps.logger.warn({ error: errorMessage(error) }, 'digest summarizer failed; using extractive summaries')
      }
    }
    return { text: fallback(), source: 'extractive' }
  }
}

function overallFallback(groups: readonly DigestGroup[], emailCount: number, threadCount: number): string {
  if (groups.length === 0) return 'A quiet window: no CRM email.'
  const names = groups.slice(0, 5).map((g) => `${g.identity.name} (${g.emailCount})`)
  const more = groups.length > 5 ? ` and ${groups.length - 5} more` : ''
  return `${emailCount} ${emailCount === 1 ? 'email' : 'emails'} in ${threadCount} ${threadCount === 1 ? 'thread' : 'threads'} with ${groups.length} CRM ${groups.length === 1 ? 'identity' : 'identities'}: ${names.join(', ')}${more}.`
}

/**
 * Builds the digest of a window: the CRM-linked, visible emails with `sent_at` in
 * `[from, to)`, grouped by resolved identity, each group with its threads and a summary, an
 * overall summary and the text and HTML renderings. Reads only; hidden mail never appears.
 * Everything in it, and everything the summarizer is given, is what the scope's reader may see
 * (SPEC §12): thread subjects by the sharing rule, excerpts only of bodies they may read.
 *
 * @example
 * ```ts
 * const digest = await buildDigest({ db, directory, summarizer: null, logger }, { from, to })
 * ```
 */
export async function buildDigest(deps: DigestBuildDeps, window: DigestWindow): Promise<Digest> {
  const read = await windowEmails(deps.db, window)
  const truncated = read.length > MAX_DIGEST_EMAILS
  const emails = read.slice(0, MAX_DIGEST_EMAILS)
  const access = await accessOf(deps.db, emails.map((e) => e.id), deps.scope)
  const threads = await threadFacts(deps.db, emails, deps.scope)
  const drafts = await groupByIdentity(deps.db, emails, deps.directory)
  const quotes = await excerpts(deps.db, drafts, access)
  const summarize = summarizing(deps)

  const groups: DigestGroup[] = []
  for (const draft of drafts) {
    const own = [...new Set(draft.emails.map((e) => e.thread_id))].flatMap((id) => threads.get(id) ?? [])
    own.sort((a, b) => b.lastAt.localeCompare(a.lastAt) || Number(b.id) - Number(a.id))
    const input: SummaryInput = {
      identity: draft.identity,
      threads: own,
      excerpts: quoted(draft, access).flatMap((e) => quotes.get(e.id) ?? []),
    }
    const summary = await summarize(input, () => extractiveSummary(input))
    groups.push({ identity: draft.identity, summary: summary.text, summarizer: summary.source, emailCount: draft.emails.length, threads: own })
  }

  // A quiet window needs no model: the fixed sentence says all there is to say.
  const overall =
    groups.length === 0
      ? { text: overallFallback(groups, 0, 0), source: 'extractive' as const }
      : await summarize(
          { threads: [...threads.values()].sort((a, b) => b.lastAt.localeCompare(a.lastAt)), excerpts: groups.map((g) => `${g.identity.name}: ${g.summary}`) },
          () => overallFallback(groups, emails.length, threads.size),
        )
  const allLlm = overall.source === 'llm' && groups.every((g) => g.summarizer === 'llm')
  const base = { window, groups, summary: overall.text }
  return {
    ...base,
    summarizer: allLlm ? 'llm' : 'extractive',
    text: renderText(base),
    html: renderHtml(base),
    emailCount: emails.length,
    truncated,
  }
}
