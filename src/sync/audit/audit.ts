/**
 * `email.audit()`: how complete one account's capture is, in terms an operator can check.
 * Per identity, the messages Gmail's search lists for its terms over the backfill window are
 * compared with the copies the library holds, and each one missing gets a reason; then, unless
 * told not to, the headers of the rest of the window are read to find CRM mail no search
 * listed. Read-only: it takes no lease and writes nothing.
 */
import { normalizeAddress } from '../../address.js'
import { buildMatchIndex } from '../../capture/match/match-index.js'
import { identityKeyOf, parseIdentityKey } from '../../db/identity-keys.js'
import { searchTermsOf, type SearchTerm } from '../../capture/match/search-terms.js'
import { captureMatchOptions } from '../../erasure/suppressions.js'
import type { IntegrationContext } from '../../context.js'
import { findAccountRow } from '../../db/accounts.js'
import { DisabledError, NotFoundError, ValidationError } from '../../errors.js'
import type { GmailClient } from '../../gmail/client-types.js'
import { candidateQueries, windowQuery, type SearchWindow } from '../../gmail/search-query.js'
import type { DirectoryEntry } from '../../hooks.js'
import { createHeaderReader, type HeaderReader, type HeaderReading } from './headers.js'
import { capturedTerms, captureWindowStart } from '../account-terms.js'
import { accountFailures, identityCopies, lastCompletedRunStart, storedGmailIds, type AuditFailure } from './store.js'
import type { AuditIdentity, AuditMessage, AuditOptions, AuditReason, AuditReport } from './types.js'
import type { GmailAccess } from '../gmail-access.js'

export type { AuditIdentity, AuditMessage, AuditOptions, AuditReason, AuditReport } from './types.js'

/** Page size of the audit's `messages.list` calls: Gmail's largest, so the fewest calls (5 units each). */
export const AUDIT_LIST_PAGE_SIZE = 500

/** Policy skips that mean "not CRM mail" (a search false positive); the others are the policy's choice. */
const NOT_CRM_SKIPS: ReadonlySet<string> = new Set(['unmatched', 'internal'])

/** What classifying one account's messages needs. */
interface AuditState {
  readonly stored: ReadonlySet<string>
  readonly failures: ReadonlyMap<string, AuditFailure>
  /** When the last completed run started (ISO), or `null`. */
  readonly syncedSince: string | null
  readonly reader: HeaderReader
}

/** One identity's listing, before its missing messages are classified. */
interface Listed {
  readonly key: string
  readonly name: string
  readonly terms: readonly SearchTerm[]
  readonly ids: ReadonlySet<string>
  /** Ids listed by the identity's terms whose mail the account has not captured yet (new to the directory). */
  readonly pending: ReadonlySet<string>
}

/**
 * The audit window: the capture window ending now, as the sync scans it (the backfill window,
 * no earlier than the retention cutoff; both 0: all mail).
 *
 * @example
 * ```ts
 * auditWindow(new Date('2026-06-01T00:00:00Z'), 30)      // { after: 1777680000 }
 * auditWindow(new Date('2026-06-01T00:00:00Z'), 365, 30) // { after: 1777680000 }
 * ```
 */
export function auditWindow(now: Date, backfillDays: number, retentionDays = 0): SearchWindow {
  const start = captureWindowStart(now, backfillDays, retentionDays)
  return { after: start === null ? null : Math.floor(Date.parse(start) / 1000) }
}

/** The name of each identity of the directory, by key, in directory order (the first entry of a key wins). */
function identityNames(entries: readonly DirectoryEntry[]): Map<string, string> {
  const names = new Map<string, string>()
  for (const entry of entries) {
    if (!['fund', 'org', 'contact'].includes(entry.type) || typeof entry.name !== 'string') continue
    const key = identityKeyOf(entry.type, entry.id)
    if (!names.has(key)) names.set(key, entry.name)
  }
  return names
}

/** Every id that `q` lists, all pages, remembered per query. */
function createLister(client: GmailClient, signal: AbortSignal | undefined): (q: string) => Promise<readonly string[]> {
  const cache = new Map<string, string[]>()
  return async (q) => {
    const known = cache.get(q)
    if (known !== undefined) return known
    const ids: string[] = []
    for await (const page of client.listMessagePages({ q, maxResults: AUDIT_LIST_PAGE_SIZE, ...(signal === undefined ? {} : { signal }) })) {
      for (const ref of page.messages ?? []) ids.push(ref.id)
    }
    cache.set(q, ids)
    return ids
  }
}

async function listTerms(list: (q: string) => Promise<readonly string[]>, terms: readonly SearchTerm[], window: SearchWindow): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const query of candidateQueries(terms, window)) for (const id of await list(query.q)) ids.add(id)
  return ids
}

function message(gmailId: string, reason: AuditReason, detail: string | null, identities: readonly string[], date: string | null): AuditMessage {
  return { gmailId, reason, detail, identities, date }
}

/** Whether an id listed by search, not stored, must have its headers read to say why. */
function needsHeaders(state: AuditState, listed: Listed, id: string): boolean {
  return !state.failures.has(id) && !listed.pending.has(id) && state.syncedSince !== null
}

/** Why a listed id is not stored; `null` when it is gone from Gmail. */
function classify(state: AuditState, listed: Listed, id: string, identities: readonly string[]): AuditMessage | null {
  const failure = state.failures.get(id)
  if (failure !== undefined) return message(id, failure.parked ? 'parked' : 'failed', failure.reason, identities, null)
  if (listed.pending.has(id)) return message(id, 'not_yet_synced', 'listed by a search term the account has not captured yet (new to the directory since its last run)', identities, null)
  if (state.syncedSince === null) return message(id, 'not_yet_synced', 'the account has not completed a sync run yet', identities, null)
  const reading: HeaderReading | undefined = state.reader.get(id)
  if (reading === undefined || reading.kind === 'gone') return null
  if (reading.date !== null && reading.date >= state.syncedSince) {
    return message(id, 'not_yet_synced', 'arrived after the last completed sync run started', identities, reading.date)
  }
  if (reading.kind === 'unreadable') return message(id, 'failed', reading.detail, identities, reading.date)
  if (reading.crm) return message(id, 'missed_by_search', 'listed by search but never captured', identities, reading.date)
  const skip = reading.skip ?? 'unmatched'
  return message(id, NOT_CRM_SKIPS.has(skip) ? 'not_crm_mail' : 'skipped_by_policy', skip, identities, reading.date)
}

/**
 * Audits one account's capture against Gmail's own search (see {@link AuditReport}). Costs, in
 * Gmail quota: the list calls of every identity's candidate queries (a query several
 * identities share is listed once), a metadata get per listed message that is neither stored
 * nor failed, and, with `readHeaders` (the default), the list calls of the whole window plus a
 * metadata get per message of the window that is neither stored, failed, nor listed by any
 * search: on a large mailbox that is most of its mail, so a full audit is an occasional check,
 * not a routine one. Throws `DisabledError` while the integration is disabled, `NotFoundError`
 * for an account that is not enrolled, `ValidationError` for a malformed address or an
 * identity key not in the directory.
 *
 * @example
 * ```ts
 * const report = await auditAccount(context, access, { account: 'ann@fund.example', identity: 'fund:7' })
 * for (const m of report.missedBySearch) console.log(m.gmailId, m.identities.join(', '))
 * ```
 */
export async function auditAccount(context: IntegrationContext, access: GmailAccess, options: AuditOptions): Promise<AuditReport> {
  if (!context.config.enabled) throw new DisabledError()
  const address = typeof options.account === 'string' ? normalizeAddress(options.account) : null
  if (address === null) throw new ValidationError('account: expected the address of an enrolled mailbox')
  const wanted = options.identity === undefined ? undefined : typeof options.identity === 'string' ? parseIdentityKey(options.identity) : null
  if (wanted === null) throw new ValidationError('identity: expected an identity key such as fund:7')
  const account = await findAccountRow(context, address)
  if (account === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
  const { signal } = options
  const { config, db } = context

  const entries = await context.directory()
  const names = identityNames(entries)
  if (wanted !== undefined && !names.has(wanted.key)) throw new ValidationError(`identity: ${wanted.key} is not in the directory`)
  const matchOptions = await captureMatchOptions(context)
  const terms = searchTermsOf(entries, matchOptions)
  const index = buildMatchIndex(entries, matchOptions)
  const window = auditWindow(context.clock.now(), config.backfillDays, config.retentionDays)
  const afterIso = window.after === null ? null : new Date(window.after * 1000).toISOString()
  const client = access.clientFor({ id: account.id, address: account.address })
  const list = createLister(client, signal)
  const reader = createHeaderReader(client, index, config, signal)
  const stored = await storedGmailIds(db, account.id)
  const failures = await accountFailures(db, account.id)
  const captured = await capturedTerms(db, account.id)
  const copies = await identityCopies(db, account.id, afterIso, wanted?.key)
  const state: AuditState = { stored, failures, syncedSince: await lastCompletedRunStart(db, account.id), reader }

  // Each identity's search, and who listed what.
  const termsOf = new Map<string, SearchTerm[]>()
  for (const term of terms) {
    for (const key of term.identities) {
      const own = termsOf.get(key)
      if (own === undefined) termsOf.set(key, [term])
      else own.push(term)
    }
  }
  const listings: Listed[] = []
  const listedBy = new Map<string, Set<string>>()
  for (const [key, name] of names) {
    if (wanted !== undefined && key !== wanted.key) continue
    signal?.throwIfAborted()
    const own = termsOf.get(key) ?? []
    const ids = await listTerms(list, own, window)
    const pendingOwn = own.filter((t) => !captured.has(t.key))
    const pendingIds = pendingOwn.length === 0 ? new Set<string>() : await listTerms(list, pendingOwn, window)
    listings.push({ key, name, terms: own, ids, pending: pendingIds })
    for (const id of ids) {
      const by = listedBy.get(id) ?? new Set<string>()
      listedBy.set(id, by.add(key))
    }
  }

  // The headers of what is listed and missing, read once for every identity.
  const toRead = listings.flatMap((l) => [...l.ids].filter((id) => !stored.has(id) && needsHeaders(state, l, id)))
  await reader.read(toRead)
  const identities: AuditIdentity[] = listings.map((l) => {
    const held = copies.get(l.key) ?? new Set<string>()
    const missing = [...l.ids]
      .filter((id) => !stored.has(id))
      .map((id) => classify(state, l, id, [...(listedBy.get(id) ?? [])].sort()))
      .filter((m): m is AuditMessage => m !== null)
    return {
      identityKey: l.key,
      name: l.name,
      terms: l.terms.map((t) => t.key),
      foundBySearch: l.ids.size,
      stored: held.size,
      missing,
      storedNotFound: [...held].filter((id) => !l.ids.has(id)).length,
    }
  })

  const missedBySearch = options.readHeaders === false ? [] : await unlisted({ state, list, window, terms, listedBy, wanted: wanted?.key })
  return { account: account.address, window: { after: afterIso }, identities, missedBySearch, unitsSpent: client.unitsSpent }
}

/** What {@link unlisted} needs. */
interface UnlistedInput {
  readonly state: AuditState
  readonly list: (q: string) => Promise<readonly string[]>
  readonly window: SearchWindow
  readonly terms: readonly SearchTerm[]
  readonly listedBy: ReadonlyMap<string, ReadonlySet<string>>
  readonly wanted: string | undefined
}

/**
 * The CRM mail of the window no search listed: the whole window is listed, what is stored,
 * failed or listed by a search is dropped, and the headers of the rest are read. With one
 * identity audited, every term's queries are listed too (a few list calls) so that other
 * identities' mail is not read, and only mail linked to that identity is reported.
 */
async function unlisted(input: UnlistedInput): Promise<AuditMessage[]> {
  const { state, list, window, wanted } = input
  const searched = new Set(input.listedBy.keys())
  if (wanted !== undefined) for (const id of await listTerms(list, input.terms, window)) searched.add(id)
  const rest = (await list(windowQuery(window))).filter((id) => !state.stored.has(id) && !state.failures.has(id) && !searched.has(id))
  await state.reader.read(rest)
  const missed: AuditMessage[] = []
  for (const id of rest) {
    const reading = state.reader.get(id)
    if (reading?.kind !== 'read' || !reading.crm) continue
    if (wanted !== undefined && !reading.identities.includes(wanted)) continue
    missed.push(message(id, 'missed_by_search', "CRM mail that no identity's search listed", reading.identities, reading.date))
  }
  return missed
}
