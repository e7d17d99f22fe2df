import { expect } from 'vitest'
import type { Kysely } from 'kysely'
import type { EmailDatabase, QuotaCosts } from '../../../src/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'

/**
 * A quota cost table that lets the sync tests move hundreds of messages a second. The client
 * (`quotaCosts`) and the emulator (`costs`) must be given the same table, as they are for Gmail.
 */
export const CHEAP_COSTS: QuotaCosts = Object.freeze({ get: 1, list: 1, history: 1, profile: 1, attachment: 1 })

/** Labels under which a message is not captured (SPEC §6), and those under which a copy counts as deleted. */
const NOT_CAPTURED = new Set(['SPAM', 'TRASH', 'DRAFT'])
const GONE = new Set(['SPAM', 'TRASH'])

/** One Gmail message of one mailbox, as the test put it there. */
export interface LedgerCopy {
  readonly mailbox: string
  readonly gmailId: string
  readonly messageId: string
  /** Whether the message is CRM mail (matches the directory, not internal-only). */
  readonly crm: boolean
  labels: string[]
  /** Deleted for good in Gmail. */
  deleted: boolean
  /** Stored by a sync that completed after it was captureable. */
  captured: boolean
}

/** The part of the database the sync decides, in a form whose differences read well. */
export interface MailState {
  /** Message-IDs of the stored emails, sorted. */
  readonly emails: readonly string[]
  /** `mailbox gmailId messageId live|deleted`, sorted. */
  readonly copies: readonly string[]
  /** Each thread as its sorted Message-IDs joined by spaces, sorted. */
  readonly threads: readonly string[]
  /** Sorted label ids by `mailbox gmailId`. */
  readonly labels: Readonly<Record<string, string>>
}

function copyKey(mailbox: string, gmailId: string): string {
  return `${mailbox} ${gmailId}`
}

/**
 * What the test put into the emulator's mailboxes, and therefore what a complete sync must
 * have stored: the expected emails, copies, threads and labels, independent of the code under
 * test. Every change goes through the ledger so the emulator and the expectation never part.
 */
export class MailLedger {
  readonly copies: LedgerCopy[] = []
  /** Message-ID -> the conversation it belongs to (the Message-ID of its first message). */
  private readonly conversations = new Map<string, string>()

  constructor(private readonly emu: GmailEmulator) {}

  /**
   * Delivers one RFC 822 message to each of `mailboxes` (sender and recipients on the team), as
   * Gmail does. `replyTo` puts it in the conversation of that Message-ID.
   */
  deliver(
    message: { readonly raw: string; readonly messageId: string },
    options: { readonly mailboxes: readonly string[]; readonly crm: boolean; readonly replyTo?: string; readonly labels?: readonly string[] },
  ): LedgerCopy[] {
    const conversation = options.replyTo === undefined ? message.messageId : (this.conversations.get(options.replyTo) ?? options.replyTo)
    this.conversations.set(message.messageId, conversation)
    return options.mailboxes.map((mailbox) => {
      const labels = [...(options.labels ?? ['INBOX'])]
      const { id } = this.emu.addMessage(mailbox, message.raw, { labelIds: labels })
      const copy: LedgerCopy = { mailbox, gmailId: id, messageId: message.messageId, crm: options.crm, labels, deleted: false, captured: false }
      this.copies.push(copy)
      return copy
    })
  }

  /** Adds and removes labels in Gmail (trash, spam, archive, star, user labels). */
  relabel(copy: LedgerCopy, add: readonly string[], remove: readonly string[]): void {
    this.emu.modifyLabels(copy.mailbox, copy.gmailId, add, remove)
    copy.labels = [...new Set([...copy.labels.filter((l) => !remove.includes(l)), ...add])]
  }

  /** Deletes a message for good in Gmail. */
  remove(copy: LedgerCopy): void {
    this.emu.deleteMessage(copy.mailbox, copy.gmailId)
    copy.deleted = true
  }

  /** The copy of `messageId` in `mailbox`. */
  copy(mailbox: string, messageId: string): LedgerCopy {
    const found = this.copies.find((c) => c.mailbox === mailbox && c.messageId === messageId)
    if (found === undefined) throw new Error(`no copy of ${messageId} in ${mailbox}`)
    return found
  }

  /** Records a completed sync of every mailbox: each CRM copy Gmail shows outside spam, trash and drafts is now stored. */
  synced(mailboxes?: readonly string[]): void {
    for (const c of this.copies) {
      if (mailboxes !== undefined && !mailboxes.includes(c.mailbox)) continue
      if (c.crm && !c.deleted && !c.labels.some((l) => NOT_CAPTURED.has(l))) c.captured = true
    }
  }

  /** What the database must hold now. */
  expected(): MailState {
    const stored = this.copies.filter((c) => c.captured)
    const emails = [...new Set(stored.map((c) => c.messageId))].sort()
    const byConversation = new Map<string, string[]>()
    for (const id of emails) {
      const conversation = this.conversations.get(id) ?? id
      byConversation.set(conversation, [...(byConversation.get(conversation) ?? []), id])
    }
    return {
      emails,
      copies: stored
        .map((c) => `${copyKey(c.mailbox, c.gmailId)} ${c.messageId} ${c.deleted || c.labels.some((l) => GONE.has(l)) ? 'deleted' : 'live'}`)
        .sort(),
      threads: [...byConversation.values()].map((ids) => ids.sort().join(' ')).sort(),
      labels: Object.fromEntries(stored.filter((c) => !c.deleted).map((c) => [copyKey(c.mailbox, c.gmailId), [...c.labels].sort().join(',')])),
    }
  }
}

/** Reads the emails, copies, threads and labels the sync stored. */
export async function readMailState(db: Kysely<EmailDatabase>): Promise<MailState> {
  const emails = await db.selectFrom('emails').select(['id', 'message_id', 'thread_id']).execute()
  const copies = await db
    .selectFrom('email_copies')
    .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
    .innerJoin('emails', 'emails.id', 'email_copies.email_id')
    .select(['email_accounts.address', 'email_copies.gmail_id', 'emails.message_id', 'email_copies.deleted_at', 'email_copies.label_ids'])
    .execute()
  const threads = new Map<number, string[]>()
  for (const e of emails) threads.set(e.thread_id, [...(threads.get(e.thread_id) ?? []), e.message_id])
  return {
    emails: emails.map((e) => e.message_id).sort(),
    copies: copies.map((c) => `${copyKey(c.address, c.gmail_id)} ${c.message_id} ${c.deleted_at === null ? 'live' : 'deleted'}`).sort(),
    threads: [...threads.values()].map((ids) => ids.sort().join(' ')).sort(),
    labels: Object.fromEntries(copies.map((c) => [copyKey(c.address, c.gmail_id), (JSON.parse(c.label_ids) as string[]).sort().join(',')])),
  }
}

/**
 * Rows that should not exist whatever happened: the same email or copy twice (counted against
 * the distinct keys), emails without a copy, threads whose counts disagree with their emails or
 * that point at merged threads, and failures left behind for a message that was stored.
 */
export async function integrityProblems(db: Kysely<EmailDatabase>): Promise<string[]> {
  const problems: string[] = []
  const emails = await db.selectFrom('emails').select(['id', 'message_id', 'thread_id']).execute()
  const copies = await db.selectFrom('email_copies').select(['email_id', 'account_id', 'gmail_id']).execute()
  const threads = await db.selectFrom('email_threads').select(['id', 'merged_into', 'message_count']).execute()
  const keys = await db.selectFrom('email_thread_keys').select(['thread_id']).execute()
  const failures = await db.selectFrom('email_sync_failures').select(['account_id', 'gmail_id']).execute()

  const distinctEmails = new Set(emails.map((e) => e.message_id)).size
  if (distinctEmails !== emails.length) problems.push(`emails: ${emails.length} rows for ${distinctEmails} Message-IDs`)
  const copyKeys = new Set(copies.map((c) => `${c.account_id} ${c.gmail_id}`))
  if (copyKeys.size !== copies.length) problems.push(`email_copies: ${copies.length} rows for ${copyKeys.size} (account, Gmail id) pairs`)
  const withCopies = new Set(copies.map((c) => c.email_id))
  for (const e of emails) if (!withCopies.has(e.id)) problems.push(`email ${e.message_id} has no copy`)

  const merged = new Set(threads.filter((t) => t.merged_into !== null).map((t) => t.id))
  const counts = new Map<number, number>()
  for (const e of emails) counts.set(e.thread_id, (counts.get(e.thread_id) ?? 0) + 1)
  for (const t of threads) {
    if (merged.has(t.id)) continue
    const count = counts.get(t.id) ?? 0
    if (count === 0) problems.push(`thread ${t.id} has no email`)
    if (t.message_count !== count) problems.push(`thread ${t.id} counts ${t.message_count} messages, holds ${count}`)
  }
  for (const e of emails) if (merged.has(e.thread_id)) problems.push(`email ${e.message_id} is in merged thread ${e.thread_id}`)
  for (const k of keys) if (merged.has(k.thread_id)) problems.push(`a Gmail thread key points at merged thread ${k.thread_id}`)
  for (const f of failures) if (copyKeys.has(`${f.account_id} ${f.gmail_id}`)) problems.push(`failure left for stored message ${f.gmail_id}`)
  return problems
}

/** Asserts that the database holds exactly what the ledger expects, with no duplicate or dangling row. */
export async function expectExactly(db: Kysely<EmailDatabase>, ledger: MailLedger): Promise<void> {
  const expected = ledger.expected()
  const actual = await readMailState(db)
  expect(actual.emails).toEqual(expected.emails)
  expect(actual.copies).toEqual(expected.copies)
  expect(actual.threads).toEqual(expected.threads)
  // Labels of copies deleted for good stay as last seen; only live ones must match Gmail.
  const live = Object.fromEntries(Object.keys(expected.labels).map((key) => [key, actual.labels[key]]))
  expect(live).toEqual(expected.labels)
  expect(await integrityProblems(db)).toEqual([])
}
