/**
 * The capture pipeline's test world: set-ups closed after each test, a shared emulator, small
 * messages of Ann's mailbox, and readers of what was stored.
 */
import { afterEach } from 'vitest'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { startCaptureSetup, type CaptureSetup, type CaptureSetupOptions, type MailboxRun } from './capture-setup.js'
import type { TestDatabase } from './databases.js'
import { buildMessage } from './message.js'
import { ANN, BOB, CAT } from './team.js'

// The capture pipeline end to end: real HTTP to the Gmail emulator, the library's Gmail client
// and DWD credentials, a real database, the real blob store.

export const setups: CaptureSetup[] = []
export const emulators: GmailEmulator[] = []
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()))
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})

export async function setup(open: () => Promise<TestDatabase>, options: CaptureSetupOptions = {}): Promise<CaptureSetup> {
  const s = await startCaptureSetup(open, options)
  setups.push(s)
  return s
}

export async function sharedEmulator(seed = 23): Promise<GmailEmulator> {
  const emu = await startGmailEmulator({ seed, quota: Infinity, maxInFlight: Infinity })
  emulators.push(emu)
  return emu
}

export const BASE = Date.UTC(2026, 5, 1, 9, 0, 0)

export interface Mail {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly cc?: string
  readonly subject?: string
  /** Minutes after BASE. */
  readonly at?: number
  readonly inReplyTo?: string
  readonly references?: readonly string[]
  readonly body?: string
}

/**
 * A plain text message of {@link Mail}'s fields, dated `at` minutes after BASE.
 *
 * @example
 * emu.addMessage(ANN, rfc822({ id: 'fund@acme.vc', from: 'Dana <dana@eu.acme.vc>', to: ANN, at: 1 }))
 */
export function rfc822(m: Mail): string {
  return buildMessage({
    from: m.from,
    to: m.to,
    ...(m.cc === undefined ? {} : { cc: m.cc }),
    subject: m.subject ?? `About ${m.id}`,
    date: new Date(BASE + (m.at ?? 0) * 60_000),
    messageId: m.id,
    ...(m.inReplyTo === undefined ? {} : { inReplyTo: m.inReplyTo }),
    ...(m.references === undefined ? {} : { references: m.references }),
    text: m.body ?? `Body of ${m.id}.`,
  })
}

/** Gmail ids whose content the emulator served, with how often. */
export const downloads = (emu: GmailEmulator): Readonly<Record<string, number>> => emu.stats.downloads

export const skipReasons = (run: MailboxRun): Record<string, string> => Object.fromEntries(run.skipped.map((s) => [s.gmailId, s.reason]))

/** Per Message-ID, the links as `key address kind`, sorted. */
export async function linksByMessage(s: CaptureSetup): Promise<Record<string, string[]>> {
  const rows = await s.db
    .selectFrom('email_identity_links')
    .innerJoin('emails', 'emails.id', 'email_identity_links.email_id')
    .select(['emails.message_id', 'email_identity_links.identity_key', 'email_identity_links.address', 'email_identity_links.match_kind'])
    .execute()
  const out: Record<string, string[]> = {}
  for (const r of rows) (out[r.message_id] ??= []).push(`${r.identity_key} ${r.address} ${r.match_kind}`)
  for (const list of Object.values(out)) list.sort()
  return out
}

/** Gmail id -> Message-ID of every stored copy of a mailbox. */
export async function storedCopies(s: CaptureSetup, address: string): Promise<Record<string, string>> {
  const rows = await s.db
    .selectFrom('email_copies')
    .innerJoin('emails', 'emails.id', 'email_copies.email_id')
    .select(['email_copies.gmail_id', 'emails.message_id'])
    .where('email_copies.account_id', '=', s.account(address).id)
    .execute()
  return Object.fromEntries(rows.map((r) => [r.gmail_id, r.message_id]))
}

/** Ann's mailbox: CRM mail of every kind, and every kind of mail that is not captured. */
export function fillAnnsMailbox(emu: GmailEmulator) {
  const add = (m: Mail, labelIds: readonly string[] = ['INBOX']) => emu.addMessage(ANN, rfc822(m), { labelIds }).id
  const crm = {
    fund: add({ id: 'fund@acme.vc', from: 'Dana <dana@eu.acme.vc>', to: ANN, at: 1 }),
    org: add({ id: 'org@fund.example', from: `Ann <${ANN}>`, to: 'Hal <hal@globex.example>', cc: BOB, at: 2 }, ['SENT']),
    contact: add({ id: 'contact@startup.example', from: 'Jane <Jane+deals@startup.example>', to: ANN, at: 3 }),
    freeMailContact: add({ id: 'pat@gmail.example', from: 'Pat <P.a.t.Lee@GoogleMail.com>', to: ANN, at: 4 }),
    several: add({ id: 'several@acme.vc', from: 'dana@acme.vc', to: ANN, cc: 'jane@startup.example, hal@globex.example, cat@fund.example', at: 5 }),
  }
  const other = {
    newsletter: add({ id: 'news@marketing.example', from: 'News <news@marketing.example>', to: ANN, at: 6 }),
    personal: add({ id: 'friend@gmail.example', from: 'friend@gmail.com', to: ANN, at: 7 }),
    internal: add({ id: 'internal@fund.example', from: BOB, to: ANN, cc: CAT, at: 8 }),
  }
  const excluded = {
    spam: add({ id: 'spam@acme.vc', from: 'dana@acme.vc', to: ANN, at: 9 }, ['SPAM']),
    trash: add({ id: 'trash@acme.vc', from: 'dana@acme.vc', to: ANN, at: 10 }, ['TRASH']),
    draft: add({ id: 'draft@fund.example', from: ANN, to: 'dana@acme.vc', at: 11 }, ['DRAFT']),
    blockedAddress: add({ id: 'blocked@acme.vc', from: 'spammy@acme.vc', to: ANN, at: 12 }),
    blockedDomain: add({ id: 'blocked@globex.example', from: 'hal@globex.example', to: ANN, cc: 'x@mail.blocked.example', at: 13 }),
  }
  return { crm, other, excluded }
}
