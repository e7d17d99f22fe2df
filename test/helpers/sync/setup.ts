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
import { buildMessage } from '../message.js'
import { ACME, DANA, GLOBEX, TEAM, WORKSPACE_DOMAIN } from '../team.js'

export { TEAM } from '../team.js'

/** The CRM identities the sync tests match against. */
export const DIRECTORY: DirectoryEntry[] = [ACME, GLOBEX, DANA]

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
        workspaceDomains: [WORKSPACE_DOMAIN],
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

/**
 * An RFC 822 message; `from`/`to` (and `cc`/`bcc`) decide whether it is CRM mail.
 *
 * @example
 * emu.addMessage(ANN, mail({ from: 'dana@acme.vc', to: [ANN], subject: 'Term sheet' }).raw)
 */
export function mail(options: {
  from: string
  to: readonly string[]
  cc?: readonly string[]
  bcc?: readonly string[]
  replyTo?: string
  subject?: string
  id?: string
  date?: Date
  inReplyTo?: string
  body?: string
}): { raw: string; messageId: string } {
  counter += 1
  const messageId = options.id ?? `msg-${counter}-${Math.random().toString(36).slice(2)}@mail.example`
  const raw = buildMessage({
    from: options.from,
    to: options.to,
    ...(options.cc === undefined ? {} : { cc: options.cc }),
    ...(options.bcc === undefined ? {} : { bcc: options.bcc }),
    ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
    subject: options.subject ?? `Subject ${counter}`,
    date: options.date ?? new Date(Date.UTC(2026, 5, 1, 10, 0, counter % 60)),
    messageId,
    ...(options.inReplyTo === undefined ? {} : { inReplyTo: options.inReplyTo, references: [options.inReplyTo] }),
    text: options.body ?? `Body ${counter}`,
  })
  return { raw, messageId }
}
