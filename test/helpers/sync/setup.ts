import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createEmailIntegration,
  type Clock,
  type DirectoryEntry,
  type EmailConfigInput,
  type EmailIntegration,
  type EmailIntegrationOptions,
} from '../../../src/index.js'
import { startGmailEmulator, type GmailEmulator, type GmailEmulatorOptions } from '../../../src/testing/index.js'
import type { TestDatabase } from '../databases.js'

/** The team of the sync tests: five teammates on one workspace domain. */
export const TEAM = ['ann', 'bob', 'cy', 'dee', 'eve'].map((n) => `${n}@fund.example`)

/** The CRM identities the sync tests match against. */
export const DIRECTORY: DirectoryEntry[] = [
  { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] },
  { type: 'org', id: 'o-1', name: 'Globex', domains: ['globex.example'] },
  { type: 'contact', id: 'c-1', name: 'Dana Diaz', emails: ['dana@gmail.com'] },
]

/** An emulator, a migrated integration on the test database, and the team enrolled. */
export interface SyncWorld {
  readonly emu: GmailEmulator
  readonly email: EmailIntegration
  readonly attachmentsDir: string
  /** Another integration object on the same database and emulator (another process's view), with optional hooks and tuning. */
  integration(config?: EmailConfigInput, extra?: Pick<EmailIntegrationOptions<unknown>, 'sync' | 'logger'>): EmailIntegration
  close(): Promise<void>
}

/** Builds a sync world: the integration enabled in dwd mode against the emulator (on `clock`, when given). */
export async function syncWorld(
  t: TestDatabase,
  options: { emulator?: GmailEmulatorOptions; config?: EmailConfigInput; clock?: Clock; directory?: () => Promise<DirectoryEntry[]> } = {},
): Promise<SyncWorld> {
  const emu = await startGmailEmulator({ seed: 11, ...options.emulator })
  for (const address of TEAM) emu.addMailbox(address)
  const attachmentsDir = mkdtempSync(join(tmpdir(), 'email-sync-attachments-'))
  const integration = (config: EmailConfigInput = {}, extra: Pick<EmailIntegrationOptions<unknown>, 'sync' | 'logger'> = {}) =>
    createEmailIntegration({
      ...extra,
      db: t.db,
      config: {
        enabled: true,
        serviceAccountKey: emu.serviceAccountKey,
        workspaceDomains: ['fund.example'],
        apiBaseUrl: emu.url,
        tokenUrl: emu.tokenUrl,
        attachmentsDir,
        backfillDays: 0,
        ...options.config,
        ...config,
      },
      directory: options.directory ?? (() => Promise.resolve(DIRECTORY)),
      gmail: { backoff: { minDelayMs: 2, maxDelayMs: 20 } },
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    })
  const email = integration()
  await email.migrate()
  for (const address of TEAM) await email.accounts.enroll(address)
  return {
    emu,
    email,
    attachmentsDir,
    integration,
    async close() {
      await email.close()
      await emu.close()
      rmSync(attachmentsDir, { recursive: true, force: true })
    },
  }
}

let counter = 0

/** An RFC 822 message; `from`/`to` (and `cc`/`bcc`) decide whether it is CRM mail. */
export function mail(options: {
  from: string
  to: string[]
  cc?: string[]
  bcc?: string[]
  replyTo?: string
  subject?: string
  id?: string
  date?: Date
  inReplyTo?: string
  body?: string
}): { raw: string; messageId: string } {
  counter += 1
  const messageId = options.id ?? `msg-${counter}-${Math.random().toString(36).slice(2)}@mail.example`
  const date = options.date ?? new Date(Date.UTC(2026, 5, 1, 10, 0, counter % 60))
  const lines = [
    `From: ${options.from}`,
    `To: ${options.to.join(', ')}`,
    ...(options.cc === undefined ? [] : [`Cc: ${options.cc.join(', ')}`]),
    ...(options.bcc === undefined ? [] : [`Bcc: ${options.bcc.join(', ')}`]),
    ...(options.replyTo === undefined ? [] : [`Reply-To: ${options.replyTo}`]),
    `Subject: ${options.subject ?? `Subject ${counter}`}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: <${messageId}>`,
    ...(options.inReplyTo === undefined ? [] : [`In-Reply-To: <${options.inReplyTo}>`, `References: <${options.inReplyTo}>`]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? `Body ${counter}`,
  ]
  return { raw: lines.join('\r\n'), messageId }
}
