/**
 * The benchmark's workload: the generated mail of one scenario (bench/mail-mix.ts), and the
 * facts about it that the floor and the checks need: what each mailbox lists, and which
 * copies are CRM mail that the library must capture.
 */
import type { GmailEmulator } from 'crm-email-integration/testing'
import { loadTeamMailbox } from '../src/testing/fixtures/team-mailbox/index.js'
import type { GeneratedCopy, LoadState, TeamMailbox } from '../src/testing/fixtures/team-mailbox/index.js'
import { LARGE_FILE_BYTES, MEDIUM_FILE_BYTES } from './mail-extras.js'
import { generateMailMix } from './mail-mix.js'
import type { BenchMail, BenchMessage, MailMixOptions } from './mail-mix.js'

/** Labels `messages.list` leaves out unless asked (Gmail's default). */
const UNLISTED = ['SPAM', 'TRASH']
/** Labels the library never captures (SPEC §6). */
const NEVER_CAPTURED = ['SPAM', 'TRASH', 'DRAFT']
/** Gmail's `larger:1M` and `larger:10M`, on the raw size. */
const ONE_MB = 1024 * 1024
const TEN_MB = 10 * ONE_MB

/** The generated mail and what must happen to it. */
export interface Workload {
  readonly mail: BenchMail
  /** The mailboxes in the order `runAll` syncs them (by address). */
  readonly team: readonly string[]
  /** Per mailbox, the copies `messages.list` returns. */
  readonly listed: ReadonlyMap<string, number>
  /** Per mailbox, the CRM copies it must store. */
  readonly crmCopiesByMailbox: ReadonlyMap<string, number>
  /** The CRM copies, as `mailbox` + `\n` + Message-ID. */
  readonly crmCopyKeys: ReadonlySet<string>
  /** The messages the library must capture (a capturable CRM copy somewhere), by Message-ID. */
  readonly crm: ReadonlySet<string>
  readonly facts: WorkloadFacts
}

/** The size and make-up of the workload, as reported. */
export interface WorkloadFacts {
  readonly mailboxes: number
  /** The share of CRM mail asked for, in percent. */
  readonly crmSharePercent: number
  /** Distinct messages (Message-IDs), and copies across mailboxes. */
  readonly messages: number
  readonly copies: number
  /** Copies `messages.list` returns (spam and trash are not listed), over all mailboxes and per mailbox. */
  readonly listedCopies: number
  readonly listedByMailbox: Readonly<Record<string, number>>
  readonly crmMessages: number
  readonly crmCopies: number
  readonly crmCopiesByMailbox: Readonly<Record<string, number>>
  /** CRM copies over listed copies, in percent: what the scenario is about. */
  readonly crmShareActualPercent: number
  /** Distinct messages by kind (`crm`, `newsletter`, `personal`, `internal`, `spam`, `draft`, `notification`, `reply-to-only`). */
  readonly kinds: Readonly<Record<string, number>>
  /** Listed copies of notifications from blocklisted CRM senders: Gmail's search lists them, the library must discard them. */
  readonly falsePositiveCopies: number
  /** Listed copies over 1 MB and over 10 MB (raw), and how many of them are CRM copies. */
  readonly copiesOver1MB: number
  readonly copiesOver10MB: number
  readonly crmCopiesOver1MB: number
  readonly crmCopiesOver10MB: number
  /** RFC 822 bytes of the distinct messages. */
  readonly rawBytes: number
  /** Attachments of the CRM messages (stored by the library). */
  readonly crmAttachments: number
}

const has = (copy: GeneratedCopy, labels: readonly string[]): boolean => copy.labelIds.some((l) => labels.includes(l))

function crmHolders(message: BenchMessage): string[] {
  if (message.kind !== 'crm') return []
  return [...new Set(message.copies.filter((c) => !has(c, NEVER_CAPTURED)).map((c) => c.mailbox.toLowerCase()))]
}

const percent = (a: number, b: number): number => (b === 0 ? 0 : Math.round((a / b) * 1000) / 10)

/**
 * Generates the mail of a scenario and works out what a sync must do with it.
 *
 * @example
 * ```ts
 * const workload = buildWorkload({ seed: 2026, now, days: 365, mailboxes: 2, perMailbox: 1000, crmShare: 0.2, medium: 3, large: 1 })
 * workload.facts.crmCopies // the copies the library must store
 * ```
 */
export function buildWorkload(options: MailMixOptions): Workload {
  const mail = generateMailMix(options)
  const team = [...mail.team]
  const listed = new Map(team.map((m) => [m, 0]))
  const crmByMailbox = new Map(team.map((m) => [m, 0]))
  const crmCopyKeys = new Set<string>()
  const crm = new Set<string>()
  const kinds: Record<string, number> = {}
  const big = { copiesOver1MB: 0, copiesOver10MB: 0, crmCopiesOver1MB: 0, crmCopiesOver10MB: 0 }
  let copies = 0
  let rawBytes = 0
  let crmAttachments = 0
  let falsePositiveCopies = 0
  for (const message of mail.messages) {
    kinds[message.kind] = (kinds[message.kind] ?? 0) + 1
    const size = Buffer.byteLength(message.raw)
    rawBytes += size
    copies += message.copies.length
    const holders = crmHolders(message)
    for (const copy of message.copies) {
      if (has(copy, UNLISTED)) continue
      const mailbox = copy.mailbox.toLowerCase()
      listed.set(mailbox, (listed.get(mailbox) ?? 0) + 1)
      if (message.kind === 'notification') falsePositiveCopies += 1
      const isCrm = holders.includes(mailbox)
      if (size > ONE_MB) big.copiesOver1MB += 1
      if (size > TEN_MB) big.copiesOver10MB += 1
      if (isCrm && size > ONE_MB) big.crmCopiesOver1MB += 1
      if (isCrm && size > TEN_MB) big.crmCopiesOver10MB += 1
    }
    if (holders.length === 0) continue
    crm.add(message.messageId)
    crmAttachments += message.attachments.length
    for (const holder of holders) {
      crmByMailbox.set(holder, (crmByMailbox.get(holder) ?? 0) + 1)
      crmCopyKeys.add(`${holder}\n${message.messageId}`)
    }
  }
  const listedCopies = [...listed.values()].reduce((a, b) => a + b, 0)
  return {
    mail,
    team,
    listed,
    crmCopiesByMailbox: crmByMailbox,
    crmCopyKeys,
    crm,
    facts: {
      mailboxes: team.length,
      crmSharePercent: Math.round(options.crmShare * 100),
      messages: mail.messages.length,
      copies,
      listedCopies,
      listedByMailbox: Object.fromEntries(listed),
      crmMessages: crm.size,
      crmCopies: crmCopyKeys.size,
      crmCopiesByMailbox: Object.fromEntries(crmByMailbox),
      crmShareActualPercent: percent(crmCopyKeys.size, listedCopies),
      kinds,
      falsePositiveCopies,
      ...big,
      rawBytes,
      crmAttachments,
    },
  }
}

/** The mail as the demo's `TeamMailbox`, for the demo's fresh-mail generator. */
export function asTeamMailbox(mail: BenchMail): TeamMailbox {
  return { domain: mail.domain, team: mail.team.map((address) => ({ address, name: address })), directory: mail.directory, messages: mail.messages }
}

/**
 * Loads the workload into an emulator. With the same emulator seed the same load gives the
 * same Gmail ids, so every sync reads identical mailboxes. Keep the state to load more mail
 * into the same Gmail threads later.
 */
export function loadWorkload(emu: GmailEmulator, workload: Workload): LoadState {
  return loadTeamMailbox(emu, workload.mail.messages, workload.team).state
}

/** Sizes of the big files, for the definitions. */
export const BIG_FILE_BYTES = { medium: MEDIUM_FILE_BYTES, large: LARGE_FILE_BYTES } as const
