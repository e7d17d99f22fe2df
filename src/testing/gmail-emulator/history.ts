import type { GmailHistoryRecord, GmailHistoryType, GmailMessageRef } from '../../gmail/types.js'

/** One change of a mailbox, with the message as it was right after the change. */
export interface HistoryEntry {
  readonly id: number
  /** When it happened (emulator clock), for `historyTtl`. */
  readonly at: number
  readonly type: GmailHistoryType
  readonly message: { readonly id: string; readonly threadId: string; readonly labelIds: readonly string[] }
  /** The labels added or removed (label changes only). */
  readonly labels: readonly string[]
}

/**
 * A mailbox's history: an increasing history id, the records since the oldest one still
 * retained, and the floor below which a `startHistoryId` can no longer be served (Gmail then
 * answers 404).
 */
export class HistoryLog {
  private current: number
  private floor: number
  private records: HistoryEntry[] = []

  /** `step` gives the gap to the next id: Gmail's ids increase but are not contiguous. */
  constructor(start: number, private readonly step: () => number) {
    this.current = start
    this.floor = start
  }

  /** The mailbox's current history id. */
  get currentId(): number {
    return this.current
  }

  /** Appends a record and returns its id, which becomes the mailbox's current history id. */
  append(type: GmailHistoryType, message: HistoryEntry['message'], labels: readonly string[], at: number): number {
    this.current += this.step()
    this.records.push({ id: this.current, at, type, message: { ...message, labelIds: [...message.labelIds] }, labels: [...labels] })
    return this.current
  }

  /** Forgets every record: any start id before the current one now 404s. */
  expireAll(): void {
    this.records = []
    this.floor = this.current
  }

  /** Drops records older than `ttl` ms; start ids before the newest dropped one then 404. */
  prune(now: number, ttl: number | null): void {
    if (ttl === null) return
    const keepFrom = this.records.findIndex((r) => now - r.at <= ttl)
    const dropped = keepFrom === -1 ? this.records : this.records.slice(0, keepFrom)
    const newest = dropped.at(-1)
    if (newest === undefined) return
    this.floor = Math.max(this.floor, newest.id)
    this.records = keepFrom === -1 ? [] : this.records.slice(keepFrom)
  }

  /** Whether records after `start` have been lost, so history from `start` cannot be served. */
  isExpired(start: number): boolean {
    return start < this.floor
  }

  /** The records after `start`, oldest first. */
  after(start: number): readonly HistoryEntry[] {
    return this.records.filter((r) => r.id > start)
  }
}

/** A history entry in the JSON shape of `users.history.list`. */
export function toHistoryRecord(entry: HistoryEntry): GmailHistoryRecord {
  const ref: GmailMessageRef = { id: entry.message.id, threadId: entry.message.threadId }
  const full: GmailMessageRef = entry.message.labelIds.length > 0 ? { ...ref, labelIds: entry.message.labelIds } : ref
  const base = { id: String(entry.id), messages: [ref] }
  switch (entry.type) {
    case 'messageAdded':
      return { ...base, messagesAdded: [{ message: full }] }
    case 'messageDeleted':
      return { ...base, messagesDeleted: [{ message: full }] }
    case 'labelAdded':
      return { ...base, labelsAdded: [{ message: full, labelIds: entry.labels }] }
    case 'labelRemoved':
      return { ...base, labelsRemoved: [{ message: full, labelIds: entry.labels }] }
  }
}
