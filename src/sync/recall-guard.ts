/**
 * The recall guard (SPEC §6): under the `search` strategy the library never reads a message
 * Gmail's search does not list for a CRM identity, so it must notice when Gmail's reading of a
 * query differs from its own. After a search scan it lists one random day of the window, reads
 * the headers (only) of a few messages the search did not list, and matches them locally. A
 * CRM message among them is a miss: it is captured at once, the run reports it, and the account
 * falls back to the `headers` strategy, starting with a header scan of its window, until an
 * operator clears it.
 */
import { domainOf } from '../address.js'
import { knownCopies } from '../capture/capture-records.js'
import { matchKeyOf, domainSuffixes } from '../capture/match/address.js'
import { decideCapture } from '../capture/match/policy.js'
import { METADATA_HEADERS } from '../capture/pipeline.js'
import { parseMetadataHeaders } from '../capture/parse/full.js'
import { nowIso } from '../context.js'
import { errorMessage } from '../errors.js'
import { dayQuery, type SearchWindow } from '../gmail/search-query.js'
import type { GmailMessageRef } from '../gmail/types.js'
import { captureWindowStart, capturedTerms } from './account-terms.js'
import { stillFailing } from './failures.js'
import { capturePage, type RunState } from './run-state.js'
import { windowPlan, planColumns } from './scan-plan.js'

/** A day, in seconds. */
const DAY_S = 86_400

/** Days the guard tries before giving up on finding a day with unlisted mail (each try is one list call). */
const DAY_TRIES = 3

/** The span a guard over "all mail" samples from: the last year, where a CRM's mail mostly is. */
const ALL_MAIL_SPAN_S = 365 * DAY_S

/**
 * Messages newer than the scan's start are history's business: a message that arrived during
 * the scan may be sampled before history brings it. This margin covers clock skew between
 * Gmail's internal dates and this host.
 */
const ARRIVAL_MARGIN_MS = 5 * 60_000

/** A CRM message the search did not list. */
export interface RecallMiss {
  readonly gmailId: string
  readonly identities: readonly string[]
}

/**
 * After a search scan over `window` that started at `scanStartedAt`: samples one random day's
 * unlisted mail and checks it (see the module comment). Never fails the run: a Gmail error
 * only skips the check, with a warning.
 *
 * @example
 * ```ts
 * await runRecallGuard(state, plan.window, state.account.scan_started_at)
 * ```
 */
export async function runRecallGuard(state: RunState, window: SearchWindow, scanStartedAt: string | null): Promise<void> {
  const sample = state.context.config.recallSample
  if (sample === 0) return
  try {
    const end = Math.floor((scanStartedAt === null ? state.context.clock.now().getTime() : Date.parse(scanStartedAt)) / 1000)
    const start = window.after ?? end - ALL_MAIL_SPAN_S
    const days = Math.max(1, Math.ceil((end - start) / DAY_S))
    for (let attempt = 0; attempt < DAY_TRIES; attempt += 1) {
      const day = start + Math.floor(Math.random() * days) * DAY_S
      const page = await state.client.listMessages({ q: dayQuery(day), maxResults: 500, ...(state.signal ? { signal: state.signal } : {}) })
      const unlisted = await unlistedOf(state, page.messages ?? [])
      if (unlisted.length === 0) continue
      await checkSample(state, pick(unlisted, sample), scanStartedAt)
      return
    }
  } catch (error) {
    if (state.signal?.aborted === true) throw error
    state.context.logger.warn({ account: state.account.address, error: errorMessage(error) }, 'email recall guard skipped')
  }
}

/** Listed refs that are neither stored for this account, failed, nor downloaded and discarded by this run. */
async function unlistedOf(state: RunState, refs: readonly GmailMessageRef[]): Promise<GmailMessageRef[]> {
  if (refs.length === 0) return []
  const ids = refs.map((r) => r.id)
  const { db } = state.context
  const stored = await knownCopies(db, state.account.id, ids)
  const failed = await stillFailing(db, state.account.id, ids)
  const known = new Set([...stored, ...failed, ...state.discardedIds])
  return refs.filter((r) => !known.has(r.id))
}

/** Up to `n` refs chosen at random. */
function pick<T>(items: readonly T[], n: number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1))
    const a = copy[i] as T
    copy[i] = copy[j] as T
    copy[j] = a
  }
  return copy.slice(0, n)
}

/**
 * Reads the headers of `refs` (messages the search did not list) and handles the CRM mail
 * among them as misses: captured now, reported, and the account falls back to `headers`.
 * Also used by the incremental sync for the new messages it decided through search.
 *
 * @example
 * ```ts
 * const misses = await checkSample(state, notListed.slice(0, 3), null)
 * ```
 */
export async function checkSample(state: RunState, refs: readonly GmailMessageRef[], scanStartedAt: string | null): Promise<RecallMiss[]> {
  if (refs.length === 0) return []
  const { context } = state
  const covered = await capturedTerms(context.db, state.account.id)
  const newest = scanStartedAt === null ? Number.POSITIVE_INFINITY : Date.parse(scanStartedAt) - ARRIVAL_MARGIN_MS
  const results = await state.client.batchGetMessages(
    refs.map((r) => r.id),
    { format: 'metadata', metadataHeaders: [...METADATA_HEADERS], ...(state.signal ? { signal: state.signal } : {}) },
  )
  const misses: RecallMiss[] = []
  let sampled = 0
  for (const result of results) {
    if (!result.ok) continue
    if (Number(result.message.internalDate ?? 0) >= newest) continue
    sampled += 1
    const headers = parseMetadataHeaders(result.message)
    if (!headers.ok) continue
    const match = state.index.matchHeaders(headers.value)
    if (!decideCapture({ labelIds: result.message.labelIds ?? [], match, config: context.config }).capture) continue
    // Only a term this account has captured for makes a miss: a pending one is not searched yet.
    const links = match.links.filter((l) => termKeysOf(l.address, l.matchKind).some((k) => covered.has(k)))
    if (links.length > 0) misses.push({ gmailId: result.id, identities: [...new Set(links.map((l) => l.identityKey))] })
  }
  state.counts.recall_sampled += sampled
  state.counts.recall_missed += misses.length
  // The counters of a clean sample are committed with the run's next page or its end.
  if (misses.length > 0) await fallBack(state, misses)
  return misses
}

/** The term keys a link could have been found by: its exact address, or its domain and parents. */
function termKeysOf(address: string, kind: 'exact' | 'domain'): string[] {
  if (kind === 'exact') {
    const key = matchKeyOf(address)
    return key === null ? [] : [`addr:${key}`]
  }
  return domainSuffixes(domainOf(address)).map((d) => `domain:${d}`)
}

/** Captures the missed messages, records the fallback, and starts a header scan of the window. */
async function fallBack(state: RunState, misses: readonly RecallMiss[]): Promise<void> {
  const { context } = state
  const now = nowIso(context)
  const first = misses[0]
  const reason =
    `Gmail's search did not list ${misses.length} CRM message${misses.length === 1 ? '' : 's'} ` +
    `(${first?.gmailId ?? ''}, ${first?.identities.join(', ') ?? ''}${misses.length > 1 ? ', ...' : ''}) found by the recall guard on ${now}; ` +
    'this account reads every message\'s headers until the fallback is cleared'
  context.logger.warn({ account: state.account.address, misses: misses.map((m) => m.gmailId) }, 'email recall guard: Gmail search missed CRM mail; falling back to headers')
  const plan = windowPlan('catchup', 'headers', state.terms, captureWindowStart(context.clock.now(), context.config.backfillDays, context.config.retentionDays))
  await capturePage(state, misses.map((m) => ({ id: m.gmailId, threadId: '' })), {
    search_fallback_at: now,
    search_fallback_reason: reason,
    // A header scan of the window brings whatever else the search missed; the cursor stays.
    ...planColumns(plan),
    scan_history_id: null,
    scan_started_at: now,
  })
}
