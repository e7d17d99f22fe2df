/**
 * Loading generated mail into the Gmail emulator. Each mailbox keeps its own Gmail thread per
 * conversation: the first copy of a conversation in a mailbox starts a Gmail thread, and later
 * copies join it by id, so threads are right even when a subject or a parent is missing there.
 */
import type { GmailEmulator } from 'crm-email-integration/testing'
import type { GeneratedMessage } from './team-mailbox-types.js'

/** The part of the emulator the loader uses. */
export type MailboxTarget = Pick<GmailEmulator, 'addMailbox' | 'addMessage'>

/**
 * Which Gmail thread each conversation has in each mailbox. Keep it between loads so that
 * mail loaded later (fresh mail) joins the Gmail threads of the mail loaded before.
 */
export interface LoadState {
  /** `mailbox` + `\n` + `threadKey` -> Gmail thread id. */
  readonly threads: Map<string, string>
}

/** What {@link loadTeamMailbox} did. */
export interface LoadResult {
  /** Distinct messages loaded. */
  readonly messages: number
  /** Copies added (a message in three mailboxes counts three). */
  readonly copies: number
  /** Pass it to the next load. */
  readonly state: LoadState
}

/** An empty load state. */
export function createLoadState(): LoadState {
  return { threads: new Map() }
}

/**
 * Adds the team's mailboxes (when missing) and every copy of `messages`, in order, to the
 * emulator, with the copy's labels and the message's date as `internalDate`.
 *
 * @example
 * ```ts
 * const { copies, state } = loadTeamMailbox(emu, mailbox.messages, mailbox.team.map((t) => t.address))
 * loadTeamMailbox(emu, generateFreshMail(mailbox, { run: 1, now: new Date() }), [], state)
 * ```
 */
export function loadTeamMailbox(
  emu: MailboxTarget,
  messages: readonly GeneratedMessage[],
  team: readonly string[],
  state: LoadState = createLoadState(),
): LoadResult {
  for (const address of team) emu.addMailbox(address)
  let copies = 0
  for (const message of messages) {
    for (const copy of message.copies) {
      const key = `${copy.mailbox.toLowerCase()}\n${copy.threadKey}`
      const threadId = state.threads.get(key)
      const added = emu.addMessage(copy.mailbox, message.raw, {
        labelIds: copy.labelIds,
        internalDate: message.date,
        ...(threadId === undefined ? {} : { threadId }),
      })
      if (threadId === undefined) state.threads.set(key, added.threadId)
      copies += 1
    }
  }
  return { messages: messages.length, copies, state }
}
