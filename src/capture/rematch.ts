/**
 * Relinks stored mail after the host's directory changed (SPEC §6): every email's identity
 * links are recomputed from its stored participants with the same index the capture uses, so
 * a contact added today links last year's mail, and an org removed stops claiming it.
 */
import type { Kysely } from 'kysely'
import { nowIso, type IntegrationContext } from '../context.js'
import { groupBy, inChunks } from '../db/chunks.js'
import type { EmailDatabase, EmailIdentityLinksTable, ParticipantRole } from '../db/database.js'
import { ValidationError } from '../errors.js'
import { buildMatchIndex, type AddressMatch, type MatchIndex } from './match/match-index.js'
import type { ParsedAddress, ParsedHeaders } from './parse/parsed-email.js'
import { markPayloadDirty } from '../vectors/index-state.js'

/**
 * Emails per transaction. Small enough that a large mailbox never holds the write lock for
 * long (SQLite has one writer), large enough that the two reads per batch stay cheap.
 */
export const DEFAULT_REMATCH_BATCH_SIZE = 500

/**
 * The largest batch accepted: a batch's ids are bound as parameters of an `IN` list, and SQLite
 * builds cap a statement at 32,766 parameters (PostgreSQL at 65,535).
 */
export const MAX_REMATCH_BATCH_SIZE = 5_000

/**
 * Stale links per DELETE. Each is an `OR` term, and SQLite parses a chain of them as a tree as
 * deep as it is long, against a default depth limit of 1,000.
 */
const DELETE_CHUNK = 100

/** Options of {@link rematchEmails}. */
export interface RematchOptions {
  /** Emails per transaction, 1 to {@link MAX_REMATCH_BATCH_SIZE}; default {@link DEFAULT_REMATCH_BATCH_SIZE}. */
  readonly batchSize?: number | undefined
  /** Checked between batches: an abort rejects with its reason, leaving finished batches committed. */
  readonly signal?: AbortSignal | undefined
}

/** What a rematch did. */
export interface RematchResult {
  /** Emails walked, hidden ones included. */
  readonly emails: number
  /** Link rows added. */
  readonly linked: number
  /** Link rows removed. */
  readonly unlinked: number
  /** Emails whose set of links changed (added, removed, or found by another match kind). */
  readonly changed: number
  /** Why directory or configuration values were ignored (the index's warnings). */
  readonly warnings: readonly string[]
}

/** What relinking one batch of emails did. */
export type BatchCounts = Omit<RematchResult, 'warnings'>

/** One batch's counts, and the id to continue after (`null`: no email was left). */
interface BatchOutcome {
  readonly counts: BatchCounts
  readonly lastId: number | null
}

/** A link row as rematch compares it: every column but its creation time. */
type StoredLink = Readonly<Omit<EmailIdentityLinksTable, 'created_at'>>

interface ParticipantRow {
  readonly email_id: number
  readonly role: ParticipantRole
  readonly address: string
  readonly name: string | null
}

/**
 * Recomputes every stored email's identity links against the current `directory()`. Walks the
 * emails in id order, one transaction per batch, so an interrupted run leaves each batch either
 * fully relinked or untouched and a rerun finishes the job. Links that still hold are left as
 * they are (their `created_at` survives); emails are never deleted, hidden mail is relinked too
 * (hiding is orthogonal), and mail captured in `all` mode while unmatched may gain links. The
 * blocklist is a capture policy: it does not unlink mail already stored.
 *
 * @example
 * ```ts
 * const result = await rematchEmails(context, { batchSize: 1000 })
 * // { emails: 12840, linked: 311, unlinked: 4, changed: 97, warnings: [] }
 * ```
 */
export async function rematchEmails(context: IntegrationContext, options: RematchOptions = {}): Promise<RematchResult> {
  const batchSize = resolveBatchSize(options.batchSize)
  const { signal } = options
  signal?.throwIfAborted()
  const index = buildMatchIndex(await context.directory(), context.config)
  const totals = { emails: 0, linked: 0, unlinked: 0, changed: 0 }
  let after: number | null = null
  for (;;) {
    signal?.throwIfAborted()
    const now = nowIso(context)
    const cursor = after
    const batch: BatchOutcome = await context.db.transaction().execute((trx) => rematchBatch(trx, index, cursor, batchSize, now))
    if (batch.lastId === null) break
    totals.emails += batch.counts.emails
    totals.linked += batch.counts.linked
    totals.unlinked += batch.counts.unlinked
    totals.changed += batch.counts.changed
    after = batch.lastId
    if (batch.counts.emails < batchSize) break
  }
  context.logger.info({ ...totals, warnings: index.warnings.length }, 'rematch finished')
  return { ...totals, warnings: index.warnings }
}

function resolveBatchSize(value: number | undefined): number {
  if (value === undefined) return DEFAULT_REMATCH_BATCH_SIZE
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_REMATCH_BATCH_SIZE) {
    throw new ValidationError(`batchSize: expected an integer from 1 to ${MAX_REMATCH_BATCH_SIZE}, got ${String(value)}`)
  }
  return value
}

/** Relinks the next batch of emails after id `after` (from the first when `null`); `lastId` is `null` when none is left. */
async function rematchBatch(
  db: Kysely<EmailDatabase>,
  index: MatchIndex,
  after: number | null,
  batchSize: number,
  now: string,
): Promise<BatchOutcome> {
  const emails = await db
    .selectFrom('emails')
    .select(['id', 'message_id', 'subject'])
    .$if(after !== null, (qb) => qb.where('id', '>', after ?? 0))
    .orderBy('id')
    .limit(batchSize)
    .execute()
  const last = emails.at(-1)
  if (last === undefined) return { counts: { emails: 0, linked: 0, unlinked: 0, changed: 0 }, lastId: null }
  return { counts: await relinkRows(db, index, emails, now), lastId: last.id }
}

/**
 * Relinks the given emails (at most {@link MAX_REMATCH_BATCH_SIZE}) against `index`, inside the
 * caller's transaction: what a targeted backfill runs for mail already stored when identities
 * new to the directory turn out to be among its participants.
 *
 * @example
 * ```ts
 * await db.transaction().execute((trx) => relinkEmails(trx, buildMatchIndex(entries, config), [12, 40], now))
 * ```
 */
export async function relinkEmails(db: Kysely<EmailDatabase>, index: MatchIndex, emailIds: readonly number[], now: string): Promise<BatchCounts> {
  if (emailIds.length === 0) return { emails: 0, linked: 0, unlinked: 0, changed: 0 }
  const emails = await db.selectFrom('emails').select(['id', 'message_id', 'subject']).where('id', 'in', [...emailIds]).orderBy('id').execute()
  return relinkRows(db, index, emails, now)
}

async function relinkRows(
  db: Kysely<EmailDatabase>,
  index: MatchIndex,
  emails: readonly { readonly id: number; readonly message_id: string; readonly subject: string }[],
  now: string,
): Promise<BatchCounts> {
  const ids = emails.map((e) => e.id)

  const participants = await db
    .selectFrom('email_participants')
    .select(['email_id', 'role', 'address', 'name'])
    .where('email_id', 'in', ids)
    .orderBy('email_id')
    .orderBy('role')
    .orderBy('position')
    .execute()
  const stored = await db
    .selectFrom('email_identity_links')
    .select(['email_id', 'identity_key', 'identity_type', 'identity_id', 'address', 'match_kind'])
    .where('email_id', 'in', ids)
    .execute()
  const participantsByEmail = groupBy(participants, (p) => p.email_id)
  const storedByEmail = groupBy(stored, (l) => l.email_id)

  const removals: StoredLink[] = []
  const additions: StoredLink[] = []
  const kindChanges: StoredLink[] = []
  let changed = 0
  for (const email of emails) {
    const headers = headersOf(email, participantsByEmail.get(email.id) ?? [])
    const wanted = new Map(index.matchHeaders(headers).links.map((m) => [linkId(m.identityKey, m.address), rowOf(email.id, m)]))
    const had = new Map((storedByEmail.get(email.id) ?? []).map((l) => [linkId(l.identity_key, l.address), l]))
    const before = removals.length + additions.length + kindChanges.length
    for (const [id, row] of had) if (!wanted.has(id)) removals.push(row)
    for (const [id, row] of wanted) {
      const old = had.get(id)
      if (old === undefined) additions.push(row)
      else if (old.match_kind !== row.match_kind || old.identity_type !== row.identity_type || old.identity_id !== row.identity_id) {
        kindChanges.push(row)
      }
    }
    if (removals.length + additions.length + kindChanges.length > before) changed += 1
  }

  await deleteLinks(db, removals)
  await insertLinks(db, additions, now)
  await updateLinks(db, kindChanges)
  // The vector store filters by identity: the emails whose identities changed get a new payload.
  const relinked = new Set([...removals, ...additions].map((r) => r.email_id))
  if (relinked.size > 0) await markPayloadDirty(db, { emailIds: [...relinked] })
  return { emails: emails.length, linked: additions.length, unlinked: removals.length, changed }
}

/**
 * The headers as the capture saw them, rebuilt from the participants stored by role and
 * position; the matcher reads only the addresses.
 */
function headersOf(email: { message_id: string; subject: string }, rows: readonly ParticipantRow[]): ParsedHeaders {
  const byRole = groupBy(rows, (r) => r.role)
  const list = (role: ParticipantRole): ParsedAddress[] => (byRole.get(role) ?? []).map((r) => ({ address: r.address, name: r.name }))
  return {
    messageId: email.message_id,
    from: list('from')[0] ?? null,
    sender: list('sender')[0] ?? null,
    replyTo: list('reply_to'),
    to: list('to'),
    cc: list('cc'),
    bcc: list('bcc'),
    subject: email.subject,
    headerDate: null,
  }
}

/** A link's identity within one email: the table's key without `email_id`. */
function linkId(identityKey: string, address: string): string {
  return `${identityKey}\u0000${address}`
}

function rowOf(emailId: number, match: AddressMatch): StoredLink {
  return {
    email_id: emailId,
    identity_key: match.identityKey,
    identity_type: match.type,
    identity_id: match.id,
    address: match.address,
    match_kind: match.matchKind,
  }
}

async function deleteLinks(db: Kysely<EmailDatabase>, rows: readonly StoredLink[]): Promise<void> {
  for (const chunk of inChunks(rows, DELETE_CHUNK)) {
    await db
      .deleteFrom('email_identity_links')
      .where((eb) =>
        eb.or(
          chunk.map((r) =>
            eb.and([eb('email_id', '=', r.email_id), eb('identity_key', '=', r.identity_key), eb('address', '=', r.address)]),
          ),
        ),
      )
      .execute()
  }
}

async function insertLinks(db: Kysely<EmailDatabase>, rows: readonly StoredLink[], now: string): Promise<void> {
  for (const chunk of inChunks(rows)) {
    await db
      .insertInto('email_identity_links')
      .values(chunk.map((r) => ({ ...r, created_at: now })))
      // A capture committing the same link meanwhile is no conflict: the link exists either way.
      .onConflict((oc) => oc.columns(['email_id', 'identity_key', 'address']).doNothing())
      .execute()
  }
}

/**
 * The same identity through the same address, now found another way (a domain match that an
 * exact email now explains): updated in place, since the email has been linked since then.
 */
async function updateLinks(db: Kysely<EmailDatabase>, rows: readonly StoredLink[]): Promise<void> {
  for (const r of rows) {
    await db
      .updateTable('email_identity_links')
      .set({ identity_type: r.identity_type, identity_id: r.identity_id, match_kind: r.match_kind })
      .where('email_id', '=', r.email_id)
      .where('identity_key', '=', r.identity_key)
      .where('address', '=', r.address)
      .execute()
  }
}
