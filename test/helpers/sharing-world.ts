/**
 * The sharing world (SPEC §12): three teammates' mailboxes at the three levels, and five
 * emails held by one mailbox or by two at different levels. Every email's subject and body
 * carry words of their own that occur nowhere else (`<name>subj`, `<name>body`), so a test can
 * probe each read path, search included, with words only a withheld field holds.
 *
 * | email   | held by          | a teammate sees | its owners        |
 * |---------|------------------|-----------------|-------------------|
 * | alpha   | ann (everything) | everything      | ann               |
 * | beta    | bob (subject)    | subject         | bob               |
 * | gamma   | cat (metadata)   | metadata        | cat               |
 * | delta   | bob, cat         | subject         | bob, cat          |
 * | epsilon | ann, cat         | everything      | ann, cat          |
 *
 * Dee owns none of them: she reads as any teammate. Eve is the admin of the tests' principals.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'
import type { Authenticate, EmailIntegration } from '../../src/index.js'
import type { SharingLevel } from '../../src/sharing/levels.js'
import { mailWithAttachments } from './attachment-mail.js'
import type { TestDatabase } from './databases.js'
import { call, type Answer } from './http.js'
import { syncWorld, type SyncWorld } from './sync/setup.js'
import { ANN, BOB, CAT, DEE, EVE } from './team.js'

/** Each teammate's level in the world. Dee and Eve keep the default (`everything`). */
export const LEVELS: Readonly<Record<string, SharingLevel>> = { [ANN]: 'everything', [BOB]: 'subject', [CAT]: 'metadata' }

/** The emails of the world and the mailboxes holding each. */
export const HOLDERS = {
  alpha: [ANN],
  beta: [BOB],
  gamma: [CAT],
  delta: [BOB, CAT],
  epsilon: [ANN, CAT],
} as const satisfies Record<string, readonly string[]>

/** An email's name in the world. */
export type SharedName = keyof typeof HOLDERS

/** Every email's name, in the order they were sent. */
export const SHARED_NAMES = Object.keys(HOLDERS) as SharedName[]

/** What each email's reader sees when they own none of its mailboxes. */
export const TEAM_ACCESS: Readonly<Record<SharedName, SharingLevel>> = {
  alpha: 'everything',
  beta: 'subject',
  gamma: 'metadata',
  delta: 'subject',
  epsilon: 'everything',
}

/** The principals tests read as: the three owners, a teammate, and an admin. */
export const READERS = {
  ann: { userId: 'u-ann', email: ANN, isAdmin: false },
  bob: { userId: 'u-bob', email: BOB, isAdmin: false },
  cat: { userId: 'u-cat', email: CAT, isAdmin: false },
  dee: { userId: 'u-dee', email: DEE, isAdmin: false },
  eve: { userId: 'u-eve', email: EVE, isAdmin: true },
} as const

/** A reader's name in {@link READERS}. */
export type ReaderName = keyof typeof READERS

/** The header that names the reader a request is made as (read by {@link readersAuthenticate}). */
const READER_HEADER = 'x-reader'

/** An `authenticate` hook that signs in the reader a request names, and nobody else. */
export const readersAuthenticate: Authenticate = (request) => {
  const name = request.headers.get(READER_HEADER) ?? ''
  return Promise.resolve(Object.hasOwn(READERS, name) ? READERS[name as ReaderName] : null)
}

/**
 * Calls an integration's routes as a reader (or as nobody), through `tryHandle`; the
 * integration's `authenticate` must be {@link readersAuthenticate}.
 *
 * @example
 * const answer = await callAs(r.email, 'dee', 'POST', '/api/email/accounts/sharing', { address: BOB, level: 'metadata' })
 */
export function callAs(email: EmailIntegration, reader: ReaderName | 'anon', method: string, path: string, json?: unknown): Promise<Answer> {
  const headers = reader === 'anon' ? {} : { [READER_HEADER]: reader }
  return call(email, method, path, { as: 'anon', headers, ...(json === undefined ? {} : { json }) })
}

/** One email of the world, as stored. */
export interface SharedEmail {
  readonly emailId: string
  readonly threadId: string
  readonly messageId: string
  /** A word only its subject holds. */
  readonly subjectWord: string
  /** A word only its body holds. */
  readonly bodyWord: string
  /** A word only its attachment's file name holds. */
  readonly fileWord: string
}

/** The world: a synced team, and each email's ids and words. */
export interface SharingWorld extends SyncWorld {
  readonly emails: Readonly<Record<SharedName, SharedEmail>>
  /** Sets a mailbox's level as an admin would. */
  setLevel(address: string, level: SharingLevel): Promise<void>
}

/**
 * Builds the sharing world on a test database: the team enrolled, the five emails (each with
 * one attachment) synced into their mailboxes, and the three levels set.
 *
 * @example
 * const w = await sharingWorld(t)
 * await w.email.search(w.emails.gamma.bodyWord, { viewer: DEE }) // finds nothing
 */
export async function sharingWorld(t: TestDatabase): Promise<SharingWorld> {
  const w = await syncWorld(t)
  const db = t.db as unknown as Kysely<EmailDatabase>
  SHARED_NAMES.forEach((name, i) => {
    for (const box of HOLDERS[name]) {
      w.emu.addMessage(
        box,
        mailWithAttachments({
          to: HOLDERS[name].join(', '),
          messageId: `${name}@acme.vc`,
          date: new Date(Date.UTC(2026, 5, 1 + i, 12)),
          subject: `Update ${name}subj`,
          text: `Notes on the round: ${name}body and the rest.`,
          files: [{ name: `${name}file.pdf`, bytes: Buffer.from(`%PDF-1.4 ${name} bytes`), type: 'application/pdf' }],
        }),
      )
    }
  })
  await w.email.sync.runAll()
  await w.email.attachments.downloadPending()
  const setLevel = async (address: string, level: SharingLevel) => {
    await w.email.accounts.setSharing(address, level, { actor: EVE })
  }
  for (const [address, level] of Object.entries(LEVELS)) await setLevel(address, level)
  const rows = await db.selectFrom('emails').select(['id', 'thread_id', 'message_id']).execute()
  const emails = Object.fromEntries(
    SHARED_NAMES.map((name) => {
      const row = rows.find((r) => r.message_id === `${name}@acme.vc`)
      if (row === undefined) throw new Error(`the sync did not capture ${name}`)
      const email: SharedEmail = {
        emailId: String(row.id),
        threadId: String(row.thread_id),
        messageId: row.message_id,
        subjectWord: `${name}subj`,
        bodyWord: `${name}body`,
        fileWord: `${name}file`,
      }
      return [name, email]
    }),
  ) as Record<SharedName, SharedEmail>
  return { ...w, emails, setLevel }
}
