import { HistoryLog } from './history.js'
import { parseMime } from './mime.js'
import type { MimeNode } from './mime.js'
import { attachmentParts, snippetOf } from './payload.js'
import type { SeededRandom } from './random.js'
import { searchFieldsOf } from './search-fields.js'
import type { SearchFields } from './search-fields.js'

/** Where a new mailbox's history ids start; Gmail's are large decimal numbers. */
const HISTORY_ID_MIN = 100_000
const HISTORY_ID_MAX = 999_999
/** Gmail's history ids grow by uneven steps; clients must not assume +1. */
const HISTORY_STEP_MAX = 3
/** Subject prefixes Gmail ignores when it decides whether a reply joins a thread. */
const REPLY_PREFIX = /^\s*(?:re|fwd?|aw|wg|sv|vs|tr)\s*(?:\[\d+\])?\s*:\s*/i

/** A message as the emulator stores it. */
export interface StoredMessage {
  readonly id: string
  readonly threadId: string
  labelIds: readonly string[]
  readonly internalDate: number
  readonly raw: Buffer
  /** The id of the last history record that touched the message. */
  historyId: number
  readonly root: MimeNode
  readonly snippet: string
  readonly rfcMessageId: string | null
  readonly subjectKey: string
  /** partId -> attachmentId, for the parts `format=full` gives as attachments. */
  readonly attachmentIds: ReadonlyMap<string, string>
  /** What `q` reads (addresses, raw size, full text), computed once at `add`. */
  readonly search: SearchFields
  /**
   * Set by `hideFromSearch`: the search index missed the message, so queries with an address
   * operator, `rfc822msgid:` or a full-text word never return it; others still do.
   */
  hiddenFromSearch: boolean
}

/** What {@link EmulatorMailbox.add} needs besides the bytes. */
export interface NewMessage {
  readonly raw: Buffer
  readonly labelIds: readonly string[]
  readonly threadId: string | undefined
  readonly internalDate: number | undefined
  readonly now: number
}

function header(root: MimeNode, name: string): string | undefined {
  return root.headers.find((h) => h.name.toLowerCase() === name)?.value
}

function messageIds(value: string | undefined): string[] {
  return value === undefined ? [] : [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] ?? '').filter((id) => id !== '')
}

function subjectKey(subject: string | undefined): string {
  let s = subject ?? ''
  while (REPLY_PREFIX.test(s)) s = s.replace(REPLY_PREFIX, '')
  return s.replace(/\s+/g, ' ').trim().toLowerCase()
}

/** One user's mailbox: messages by id, an index by RFC Message-ID, and the history log. */
export class EmulatorMailbox {
  readonly messages = new Map<string, StoredMessage>()
  readonly history: HistoryLog
  /** attachmentId -> the message and part it belongs to. */
  readonly attachments = new Map<string, { readonly messageId: string; readonly partId: string }>()
  private readonly byRfcId = new Map<string, string[]>()

  constructor(readonly address: string, private readonly random: SeededRandom, private readonly inlineLimit: number) {
    const start = random.integer(`history-start:${address}`, HISTORY_ID_MIN, HISTORY_ID_MAX)
    this.history = new HistoryLog(start, () => random.integer(random.next(`history-step:${address}`), 1, HISTORY_STEP_MAX))
  }

  /**
   * The thread a new message joins: a message of this mailbox it replies to (In-Reply-To,
   * then References from the nearest) whose subject matches once Re:/Fwd: are stripped.
   */
  private threadFor(root: MimeNode, key: string): string | undefined {
    const refs = [...messageIds(header(root, 'in-reply-to')), ...messageIds(header(root, 'references')).reverse()]
    for (const ref of refs) {
      for (const id of this.byRfcId.get(ref) ?? []) {
        const parent = this.messages.get(id)
        if (parent?.subjectKey === key) return parent.threadId
      }
    }
    return undefined
  }

  /** Stores a message under a fresh `id` and records `messageAdded`. */
  add(id: string, input: NewMessage): StoredMessage {
    const root = parseMime(input.raw)
    const key = subjectKey(header(root, 'subject'))
    const dateHeader = Date.parse(header(root, 'date') ?? '')
    const attachmentIds = new Map<string, string>()
    for (const part of attachmentParts(root, this.inlineLimit)) {
      const token = ['a', 'b', 'c'].map((k) => this.random.base64url(`attachment:${id}:${part.partId}:${k}`, 32)).join('')
      const attachmentId = `ANGjdJ${token}`
      attachmentIds.set(part.partId, attachmentId)
      this.attachments.set(attachmentId, { messageId: id, partId: part.partId })
    }
    const rfcMessageId = messageIds(header(root, 'message-id'))[0] ?? null
    const message: StoredMessage = {
      id,
      // Gmail names a new thread after its first message.
      threadId: input.threadId ?? this.threadFor(root, key) ?? id,
      labelIds: [...new Set(input.labelIds)],
      internalDate: input.internalDate ?? (Number.isFinite(dateHeader) ? dateHeader : input.now),
      raw: input.raw,
      historyId: 0,
      root,
      snippet: snippetOf(root),
      rfcMessageId,
      subjectKey: key,
      attachmentIds,
      search: searchFieldsOf(input.raw, root),
      hiddenFromSearch: false,
    }
    this.messages.set(id, message)
    if (rfcMessageId !== null) this.byRfcId.set(rfcMessageId, [...(this.byRfcId.get(rfcMessageId) ?? []), id])
    message.historyId = this.history.append('messageAdded', message, [], input.now)
    return message
  }

  /** Removes a message for good (Gmail's `delete`, not trash) and records `messageDeleted`. */
  delete(id: string, now: number): void {
    const message = this.require(id)
    this.messages.delete(id)
    for (const [attachmentId, owner] of this.attachments) if (owner.messageId === id) this.attachments.delete(attachmentId)
    if (message.rfcMessageId !== null) {
      const rest = (this.byRfcId.get(message.rfcMessageId) ?? []).filter((other) => other !== id)
      if (rest.length === 0) this.byRfcId.delete(message.rfcMessageId)
      else this.byRfcId.set(message.rfcMessageId, rest)
    }
    this.history.append('messageDeleted', message, [], now)
  }

  /** Adds and removes labels; records `labelAdded` / `labelRemoved` only for real changes. */
  modifyLabels(id: string, add: readonly string[], remove: readonly string[], now: number): void {
    const message = this.require(id)
    const labels = new Set(message.labelIds)
    const added = [...new Set(add)].filter((l) => !labels.has(l) && !remove.includes(l))
    for (const l of added) labels.add(l)
    const removed = [...new Set(remove)].filter((l) => labels.has(l))
    for (const l of removed) labels.delete(l)
    message.labelIds = [...labels]
    if (added.length > 0) message.historyId = this.history.append('labelAdded', message, added, now)
    if (removed.length > 0) message.historyId = this.history.append('labelRemoved', message, removed, now)
  }

  /** The message, or an error naming it (for the programmatic API). */
  require(id: string): StoredMessage {
    const message = this.messages.get(id)
    if (message === undefined) throw new Error(`No message ${id} in mailbox ${this.address}`)
    return message
  }

  /** Distinct threads, for `getProfile`. */
  threadCount(): number {
    return new Set([...this.messages.values()].map((m) => m.threadId)).size
  }
}
