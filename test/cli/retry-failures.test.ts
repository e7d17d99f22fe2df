import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DirectoryEntry, type RetryReport } from '../../src/index.js'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { asHost, cliEnvironment, cliFromSources } from '../helpers/cli-process.js'
import { nestedMessage } from '../helpers/message.js'
import { mail } from '../helpers/sync/setup.js'
import { ACME, ANN } from '../helpers/team.js'

const FUND = 'dana@acme.vc'
const DIRECTORY: DirectoryEntry[] = [ACME]

const cli = cliFromSources

/** A message nested 300 MIME levels deep: CRM mail by its headers, refused by the parser every time. */
function poison(): string {
  return nestedMessage(300, { from: FUND, to: ANN, subject: 'Nested', date: new Date(Date.UTC(2026, 5, 1, 10)), messageId: 'deep@acme.vc' })
}

describe('crm-email-integration retry-failures', () => {
  let dir: string
  let emu: GmailEmulator
  let env: Record<string, string>
  let poisonId: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'email-cli-retry-'))
    emu = await startGmailEmulator({ seed: 9 })
    emu.addMailbox(ANN)
    const cliEnv = cliEnvironment(emu, dir, DIRECTORY)
    env = { ...cliEnv.env, CRM_GMAIL_DB: join(dir, 'crm.sqlite'), CRM_GMAIL_DIRECTORY_FILE: cliEnv.directoryFile }
    emu.addMessage(ANN, mail({ from: FUND, to: [ANN], subject: 'Term sheet' }).raw)
    poisonId = emu.addMessage(ANN, poison()).id

    // The host syncs in its own process (twice); the operator then uses the command line.
    await asHost(env, DIRECTORY, async (email) => {
      await email.accounts.enroll(ANN)
      expect(await email.sync.run({ account: ANN })).toMatchObject({ status: 'partial', captured: 1, failed: 1 })
      expect(await email.sync.run({ account: ANN })).toMatchObject({ status: 'ok', failed: 0 })
    })
  }, 60_000)

  afterAll(async () => {
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows a poison message in the status and fetches it again only when told to', async () => {
    expect(emu.stats.downloads[poisonId]).toBe(1)

    const status = await cli(['status', '--json'], env)
    const accounts = (JSON.parse(status.stdout) as { accounts: { address: string; failures: unknown }[] }).accounts
    expect(accounts).toEqual([expect.objectContaining({ address: ANN, failures: { permanent: 1, waiting: 0, nextAttemptAt: null } })])
    const table = await cli(['status'], env)
    expect(table.stdout).toContain(`${ANN}: 1 failed for good, never fetched again by a sync (\`crm-email-integration retry-failures --account ${ANN}\` tries them now)`)

    const retried = await cli(['retry-failures', '--account', ANN, '--json'], env)
    expect(retried.code).toBe(0)
    const reports = JSON.parse(retried.stdout) as RetryReport[]
    expect(reports).toEqual([expect.objectContaining({ account: ANN, retried: 1, resolved: 0, failing: 1 })])
    expect(reports[0]?.run).toMatchObject({ account: ANN, kind: 'incremental', status: 'ok' })
    expect(emu.stats.downloads[poisonId]).toBe(2)

    const plain = await cli(['retry-failures'], env)
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(new RegExp(`^${ANN}: retried 1 failed message: 0 captured or settled, 1 still failing\n${ANN}: incremental ok, `))
    expect(emu.stats.downloads[poisonId]).toBe(3)

    emu.deleteMessage(ANN, poisonId)
    const settled = await cli(['retry-failures'], env)
    expect(settled.stdout).toMatch(new RegExp(`^${ANN}: retried 1 failed message: 1 captured or settled, 0 still failing\n`))
    const nothing = await cli(['retry-failures', '--account', 'eve@fund.example'], env)
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain('eve@fund.example is not enrolled')
  }, 120_000)
})
