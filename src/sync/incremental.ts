import type { Kysely } from 'kysely'
import { nowIso } from '../context.js'
import type { EmailDatabase } from '../db/database.js'
import type { GmailHistoryRecord, GmailMessageRef } from '../gmail/types.js'
import { createNewMailDecider } from './new-mail-decider.js'
import { capturePage, historyAfter, type RunState } from './run-state.js'

/** The history kinds the sync follows. */
const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'] as const

/** Labels under which a copy counts as gone from the mailbox (it comes back if they are removed). */
const GONE_LABELS = new Set(['TRASH', 'SPAM'])

/** What one page of history asks of the database. */
interface HistoryChanges {
  /** Messages to capture (added, or back from trash/spam). */
  readonly added: GmailMessageRef[]
  /** Gmail ids deleted for good. */
  readonly deleted: Set<string>
  /** Gmail ids whose labels are now the given ones. */
  readonly labels: Map<string, readonly string[]>
  /** The newest record id on the page: the checkpoint. */
  readonly lastId: string | null
  /** Ids among `added` that came back from trash or spam (old mail: never decided by a search of new mail). */
  readonly restored: Set<string>
}

function changesOf(records: readonly GmailHistoryRecord[]): HistoryChanges {
  const added = new Map<string, GmailMessageRef>()
  const deleted = new Set<string>()
  const labels = new Map<string, readonly string[]>()
  const restored = new Set<string>()
  let lastId: string | null = null
  for (const record of records) {
    if (historyAfter(record.id, lastId)) lastId = record.id
    for (const { message } of record.messagesAdded ?? []) {
      added.set(message.id, message)
      deleted.delete(message.id)
      restored.delete(message.id)
    }
    for (const { message } of record.messagesDeleted ?? []) {
      deleted.add(message.id)
      added.delete(message.id)
    }
    for (const change of [...(record.labelsAdded ?? []), ...(record.labelsRemoved ?? [])]) {
      const { message } = change
      const removal = record.labelsRemoved?.includes(change) === true
      // Gmail leaves out an empty list: after a removal (archiving an inbox-only message) no label may be left.
      const current = message.labelIds ?? (removal ? [] : undefined)
      if (current !== undefined) labels.set(message.id, current)
      // A message leaving trash or spam may never have been captured: let the pipeline decide.
      const left = removal && change.labelIds.some((l) => GONE_LABELS.has(l))
      if (left && !deleted.has(message.id) && !added.has(message.id)) {
        added.set(message.id, message)
        restored.add(message.id)
      }
    }
  }
  return { added: [...added.values()], deleted, labels, lastId, restored }
}

/**
 * Follows the mailbox's history from the cursor: new messages are captured, deleted ones and
 * ones moved to trash or spam have their copy marked deleted (the email itself is kept: the
 * CRM keeps a record of the conversation even once every mailbox deleted it), label changes
 * are recorded. Each page commits with its newest record id as the cursor; at the end the
 * cursor moves to the mailbox's current historyId. The cursor only ever moves forward.
 * Returns `false` when stopped by the signal. A 404 (history expired) is thrown to the caller.
 */
export async function runIncremental(state: RunState): Promise<boolean> {
  const { context, client } = state
  const start = state.account.history_id
  if (start === null) throw new Error('incremental sync needs a history cursor')
  let current: string | null = null
  const decider = state.strategy === 'search' ? createNewMailDecider(state) : null
  for await (const page of client.historyPages({
    startHistoryId: start,
    historyTypes: [...HISTORY_TYPES],
    ...(state.signal ? { signal: state.signal } : {}),
  })) {
    current = page.historyId
    const changes = changesOf(page.history ?? [])
    await applyCopyChanges(context.db, state.account.id, changes, nowIso(context))
    const checkpoint = changes.lastId !== null && historyAfter(changes.lastId, state.account.history_id) ? changes.lastId : null
    const cursor = checkpoint === null ? {} : { history_id: checkpoint }
    if (decider === null) await capturePage(state, changes.added, cursor)
    else await decider.capture(changes.added, changes.restored, cursor)
    if (state.signal?.aborted === true) return false
  }
  await decider?.finish()
  const end = current !== null && historyAfter(current, state.account.history_id) ? { history_id: current } : {}
  await capturePage(state, [], { ...end, history_checked_at: nowIso(context) })
  return true
}

/**
 * Marks deletions and label changes on stored copies. Safe to repeat (a replay after a crash
 * sets the same values), so it runs before the page's capture transaction.
 */
async function applyCopyChanges(db: Kysely<EmailDatabase>, accountId: number, changes: HistoryChanges, now: string): Promise<void> {
  if (changes.deleted.size > 0) {
    await db
      .updateTable('email_copies')
      .set({ deleted_at: now, updated_at: now })
      .where('account_id', '=', accountId)
      .where('gmail_id', 'in', [...changes.deleted])
      .where('deleted_at', 'is', null)
      .execute()
  }
  for (const [gmailId, labelIds] of changes.labels) {
    if (changes.deleted.has(gmailId)) continue
    const gone = labelIds.some((l) => GONE_LABELS.has(l))
    await db
      .updateTable('email_copies')
      .set((eb) => ({
        label_ids: JSON.stringify(labelIds),
        deleted_at: gone ? eb.fn.coalesce('deleted_at', eb.val(now)) : null,
        updated_at: now,
      }))
      .where('account_id', '=', accountId)
      .where('gmail_id', '=', gmailId)
      .execute()
  }
}
