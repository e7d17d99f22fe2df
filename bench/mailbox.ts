/**
 * The benchmark's workload: the demo's generated team mailbox (CRM threads across the
 * teammates' mailboxes, with newsletters, personal and internal mail, spam and drafts around
 * them), and the facts about it that the quota bound and the checks need.
 */
import type { GmailEmulator } from 'crm-email-integration/testing'
import { generateTeamMailbox, loadTeamMailbox } from '../examples/demo/team-mailbox.js'
import type { GeneratedCopy, GeneratedMessage, TeamMailbox } from '../examples/demo/team-mailbox.js'

/** Labels `messages.list` leaves out unless asked (Gmail's default). */
const UNLISTED = ['SPAM', 'TRASH']
/** Labels the library never captures (SPEC §6): listed, read for headers, never stored. */
const NEVER_CAPTURED = ['SPAM', 'TRASH', 'DRAFT']

/** The generated mail and what must happen to it. */
export interface Workload {
  readonly mailbox: TeamMailbox
  /** The teammates' addresses in the order `runAll` syncs them (by address). */
  readonly team: readonly string[]
  /** Per mailbox, the copies `messages.list` returns. */
  readonly listed: ReadonlyMap<string, number>
  /** The messages the library must capture (`crm` mail with a capturable copy), by Message-ID. */
  readonly crm: ReadonlySet<string>
  /** For each CRM message, the mailboxes holding a capturable copy, in sync order. */
  readonly crmHolders: readonly (readonly string[])[]
  /** Numbers for the report. */
  readonly facts: WorkloadFacts
}

/** The size and make-up of the workload, as reported. */
export interface WorkloadFacts {
  readonly threads: number
  readonly mailboxes: number
  /** Distinct messages (Message-IDs). */
  readonly messages: number
  /** Copies across mailboxes (a message in three mailboxes counts three). */
  readonly copies: number
  /** Copies `messages.list` returns (spam and trash are not listed). */
  readonly listedCopies: number
  readonly crmMessages: number
  readonly crmCopies: number
  /** Distinct messages by category (`crm`, `newsletter`, `personal`, `internal`, `spam`, `draft`). */
  readonly categories: Readonly<Record<string, number>>
  /** RFC 822 bytes of the distinct messages, and of every copy. */
  readonly rawBytes: number
  readonly rawBytesAllCopies: number
  /** Attachments of the CRM messages (stored by the library). */
  readonly crmAttachments: number
}

const has = (copy: GeneratedCopy, labels: readonly string[]): boolean => copy.labelIds.some((l) => labels.includes(l))

function capturableHolders(message: GeneratedMessage, team: readonly string[]): string[] {
  const holders = new Set(message.copies.filter((c) => !has(c, NEVER_CAPTURED)).map((c) => c.mailbox.toLowerCase()))
  return team.filter((address) => holders.has(address))
}

/** Generates the team mailbox of `threads` CRM threads and works out what a sync must do with it. */
export function buildWorkload(options: { readonly seed: number; readonly now: Date; readonly threads: number }): Workload {
  const mailbox = generateTeamMailbox(options)
  const team = mailbox.team.map((t) => t.address.toLowerCase()).sort()
  const listed = new Map(team.map((address) => [address, 0]))
  const categories: Record<string, number> = {}
  const crm = new Set<string>()
  const crmHolders: string[][] = []
  let copies = 0
  let crmCopies = 0
  let rawBytes = 0
  let rawBytesAllCopies = 0
  let crmAttachments = 0
  for (const message of mailbox.messages) {
    categories[message.category] = (categories[message.category] ?? 0) + 1
    const size = Buffer.byteLength(message.raw)
    rawBytes += size
    rawBytesAllCopies += size * message.copies.length
    copies += message.copies.length
    for (const copy of message.copies) {
      const address = copy.mailbox.toLowerCase()
      if (!has(copy, UNLISTED)) listed.set(address, (listed.get(address) ?? 0) + 1)
    }
    const holders = capturableHolders(message, team)
    if (message.category !== 'crm' || holders.length === 0) continue
    crm.add(message.messageId)
    crmHolders.push(holders)
    crmCopies += holders.length
    crmAttachments += message.attachments.length
  }
  return {
    mailbox,
    team,
    listed,
    crm,
    crmHolders,
    facts: {
      threads: options.threads,
      mailboxes: team.length,
      messages: mailbox.messages.length,
      copies,
      listedCopies: [...listed.values()].reduce((a, b) => a + b, 0),
      crmMessages: crm.size,
      crmCopies,
      categories,
      rawBytes,
      rawBytesAllCopies,
      crmAttachments,
    },
  }
}

/**
 * Loads the workload into an emulator. With the same emulator seed the same load gives the
 * same Gmail ids, so the library and the naive sync read identical mailboxes.
 */
export function loadWorkload(emu: GmailEmulator, workload: Workload): void {
  loadTeamMailbox(emu, workload.mailbox.messages, workload.team)
}
