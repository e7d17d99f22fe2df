/**
 * How an incremental run decides which of the messages history adds are CRM mail, under the
 * `search` strategy, at the lowest quota. Two ways, measured in `npm run bench`:
 *
 * - `headers`: read each new message's headers (a get each), then the content of the CRM ones;
 * - `search`: list the directory's candidate queries over the time since the previous run (a
 *   list call per chunk, plus the size lists), intersect with history's ids, and read only the
 *   content of the intersection; a few of the rest go to the recall guard (headers only).
 *
 * `auto` (the default) estimates both for the run's first page of history and takes the
 * cheaper: `n x get` against `(chunks + 2) x list + min(sample, n) x get`. Messages that came
 * back from trash or spam are old mail a search of recent mail cannot see: their headers decide.
 */
import type { SizeHints } from '../capture/pipeline.js'
import { candidateQueries, type SearchWindow } from '../gmail/search-query.js'
import type { GmailMessageRef } from '../gmail/types.js'
import type { Updateable } from 'kysely'
import type { EmailAccountsTable } from '../db/database.js'
import { checkSample } from './recall-guard.js'
import { capturePage, type RunState } from './run-state.js'
import { listAllIds, sizeHints } from './scan.js'

/**
 * How far before the previous run the search of new mail reaches: internal dates can lag the
 * moment history recorded a message, and the previous run's own clock may differ from Gmail's.
 */
export const NEW_MAIL_OVERLAP_MS = 86_400_000

/** Captures history's new messages page by page; `finish` runs the recall guard on what the search did not list. */
export interface NewMailDecider {
  capture(added: readonly GmailMessageRef[], restored: ReadonlySet<string>, cursor: Updateable<EmailAccountsTable>): Promise<void>
  finish(): Promise<void>
}

/**
 * The decider of one incremental run.
 *
 * @example
 * ```ts
 * const decider = createNewMailDecider(state)
 * await decider.capture(changes.added, changes.restored, { history_id: checkpoint })
 * await decider.finish()
 * ```
 */
export function createNewMailDecider(state: RunState): NewMailDecider {
  const { config } = state.context
  const since = state.account.history_checked_at ?? state.account.last_success_at
  const window: SearchWindow | null = since === null ? null : { after: Math.floor((Date.parse(since) - NEW_MAIL_OVERLAP_MS) / 1000) }
  let decision: 'headers' | 'search' | null = null
  let listed: { readonly ids: Set<string>; readonly hints: SizeHints } | null = null
  const notListed: GmailMessageRef[] = []

  const choose = (fresh: number): 'headers' | 'search' => {
    if (window === null) return 'headers'
    if (state.incrementalDecision !== 'auto') return state.incrementalDecision
    const { get, list } = config.quotaCosts
    const chunks = candidateQueries(state.terms, window).length
    const searchCost = (chunks + 2) * list + Math.min(config.recallSample, fresh) * get
    return searchCost < fresh * get ? 'search' : 'headers'
  }

  const candidates = async (): Promise<{ readonly ids: Set<string>; readonly hints: SizeHints }> => {
    if (listed !== null) return listed
    const w = window ?? { after: null }
    const ids = new Set<string>()
    for (const query of candidateQueries(state.terms, w)) {
      for (const id of await listAllIds(state.client, query.q, state.signal)) ids.add(id)
    }
    listed = { ids, hints: await sizeHints(state.client, w, config.maxAttachmentMb, state.signal) }
    return listed
  }

  return {
    async capture(added, restored, cursor) {
      const fresh = added.filter((r) => !restored.has(r.id))
      if (fresh.length === 0) {
        await capturePage(state, added, cursor)
        return
      }
      decision ??= choose(fresh.length)
      if (decision === 'headers') {
        await capturePage(state, added, cursor)
        return
      }
      const found = await candidates()
      const hits = fresh.filter((r) => found.ids.has(r.id))
      const misses = fresh.filter((r) => !found.ids.has(r.id))
      notListed.push(...misses)
      await capturePage(state, added.filter((r) => found.ids.has(r.id) || restored.has(r.id)), cursor, {
        candidates: { ids: new Set(hits.map((r) => r.id)), hints: found.hints },
        notCandidates: misses.length,
      })
    },
    async finish() {
      if (notListed.length === 0 || config.recallSample === 0) return
      // The newest messages are the likeliest to be missing from Gmail's search index yet.
      await checkSample(state, notListed.slice(-config.recallSample), null)
    },
  }
}
