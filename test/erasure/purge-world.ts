/**
 * The purge world: a synced team whose mail involves one contact, dana@gmail.com (`contact:c-1`),
 * in every role (from, bcc, cc), next to mail that does not involve her. Each email's subject and
 * body carry words no other email holds, so a test can look for their bytes anywhere.
 *
 * | email | mailbox | dana@gmail.com | other          | purged with dana |
 * |-------|---------|----------------|----------------|------------------|
 * | zeta  | ann     | from           | two files      | yes              |
 * | sigma | ann     | bcc            | to kim@acme.vc | yes              |
 * | kappa | bob     | cc             | from kim       | yes              |
 * | theta | bob     | -              | from kim, a file zeta shares | no |
 * | iota  | ann     | -              | kim's reply in zeta's thread | no |
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'
import type { EmailConfigInput } from '../../src/index.js'
import type { TestDatabase } from '../helpers/databases.js'
import { buildMessage, type TestMessage } from '../helpers/message.js'
import { syncWorld, type SyncWorld } from '../helpers/sync/setup.js'
import { ANN, BOB } from '../helpers/team.js'

/** The purged contact's address. */
export const DANA_GMAIL = 'dana@gmail.com'

/** Words only the purged emails hold (subjects, bodies, a file name, a participant's name). */
export const PURGED_WORDS = ['zetasubj', 'zetabody', 'zetafile', 'sigmasubj', 'sigmabody', 'kappasubj', 'kappabody', 'Dana Diaz']

/** Words only the kept emails hold. */
export const KEPT_WORDS = ['thetasubj', 'thetabody', 'iotabody']

/** The emails of the world by name, with their Message-IDs. */
export const MESSAGE_IDS = {
  zeta: 'zeta-1@mail.example',
  sigma: 'sigma-1@mail.example',
  kappa: 'kappa-1@mail.example',
  theta: 'theta-1@mail.example',
  iota: 'iota-1@mail.example',
} as const

/** The purged emails' Message-IDs. */
export const PURGED_IDS = [MESSAGE_IDS.zeta, MESSAGE_IDS.sigma, MESSAGE_IDS.kappa]

/** The world of one test. */
export interface PurgeWorld extends SyncWorld {
  readonly db: Kysely<EmailDatabase>
  /** The bytes of the file only zeta carries. */
  readonly zetaFile: Buffer
  /** The bytes of the file zeta and theta both carry. */
  readonly sharedFile: Buffer
  /** The Message-IDs of the stored emails, sorted. */
  storedMessageIds(): Promise<string[]>
}

const day = (d: number) => new Date(Date.UTC(2026, 5, d, 12))

/**
 * Builds the world: the team enrolled, the five emails synced with their attachments stored.
 *
 * @example
 * const w = await purgeWorld(t)
 * await w.email.purge({ address: DANA_GMAIL })
 */
export async function purgeWorld(t: TestDatabase, options: { config?: EmailConfigInput } = {}): Promise<PurgeWorld> {
  const w = await syncWorld(t, options.config === undefined ? {} : { config: options.config })
  const db = t.db as unknown as Kysely<EmailDatabase>
  const zetaFile = Buffer.from(`%PDF-1.4 zetacontent ${randomBytes(24).toString('hex')}`)
  const sharedFile = Buffer.from(`%PDF-1.4 sharedcontent ${randomBytes(24).toString('hex')}`)
  const add = (box: string, message: TestMessage) => w.emu.addMessage(box, buildMessage(message))
  add(ANN, {
    from: `Dana Diaz <${DANA_GMAIL}>`,
    to: ANN,
    subject: 'Lunch zetasubj',
    date: day(1),
    messageId: MESSAGE_IDS.zeta,
    text: 'Notes zetabody attached.',
    attachments: [
      { filename: 'zetafile.pdf', contentType: 'application/pdf', content: zetaFile },
      { filename: 'terms.pdf', contentType: 'application/pdf', content: sharedFile },
    ],
  })
  add(ANN, { from: ANN, to: 'kim@acme.vc', bcc: DANA_GMAIL, subject: 'Memo sigmasubj', date: day(2), messageId: MESSAGE_IDS.sigma, text: 'The sigmabody memo.' })
  add(BOB, { from: 'kim@acme.vc', to: BOB, cc: DANA_GMAIL, subject: 'Call kappasubj', date: day(3), messageId: MESSAGE_IDS.kappa, text: 'The kappabody call.' })
  add(BOB, {
    from: 'kim@acme.vc',
    to: BOB,
    subject: 'Deal thetasubj',
    date: day(4),
    messageId: MESSAGE_IDS.theta,
    text: 'The thetabody deal.',
    attachments: [{ filename: 'terms.pdf', contentType: 'application/pdf', content: sharedFile }],
  })
  add(ANN, { from: 'kim@acme.vc', to: ANN, subject: 'Re: Lunch', date: day(5), messageId: MESSAGE_IDS.iota, inReplyTo: MESSAGE_IDS.zeta, text: 'Fine, iotabody.' })
  await w.email.sync.runAll()
  await w.email.attachments.downloadPending()
  return {
    ...w,
    db,
    zetaFile,
    sharedFile,
    async storedMessageIds() {
      return (await db.selectFrom('emails').select('message_id').execute()).map((r) => r.message_id).sort()
    },
  }
}
