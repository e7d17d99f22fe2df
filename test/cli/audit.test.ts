import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuditReport, type DirectoryEntry } from '../../src/index.js'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { asHost, cliEnvironment, cliFromSources } from '../helpers/cli-process.js'
import { mail } from '../helpers/sync/setup.js'
import { ACME, ANN, GLOBEX } from '../helpers/team.js'

const DIRECTORY: DirectoryEntry[] = [ACME, GLOBEX]

const cli = cliFromSources

describe('crm-email-integration audit', () => {
  let dir: string
  let emu: GmailEmulator
  let env: Record<string, string>
  let hidden = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'email-cli-audit-'))
    emu = await startGmailEmulator({ seed: 13 })
    emu.addMailbox(ANN)
    const cliEnv = cliEnvironment(emu, dir, DIRECTORY)
    env = { ...cliEnv.env, CRM_GMAIL_DB: join(dir, 'crm.sqlite'), CRM_GMAIL_DIRECTORY_FILE: cliEnv.directoryFile, CRM_GMAIL_RECALL_SAMPLE: '0' }
    emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Term sheet' }).raw)
    emu.addMessage(ANN, mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro' }).raw)
    hidden = emu.addMessage(ANN, mail({ from: 'lp@acme.vc', to: [ANN], subject: 'Capital call' }).raw).id
    emu.hideFromSearch(ANN, hidden)

    // The host syncs in its own process; the operator then audits from the command line.
    await asHost(env, DIRECTORY, async (email) => {
      await email.accounts.enroll(ANN)
      expect(await email.sync.run({ account: ANN })).toMatchObject({ status: 'ok', captured: 2 })
    })
  }, 60_000)

  afterAll(async () => {
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints each identity with what its search lists and what is stored, and the mail the search missed', async () => {
    const out = await cli(['audit', '--account', ANN], env)
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    const lines = out.stdout.split('\n')
    expect(lines[0]).toMatch(/^ann@fund\.example: audit of all mail, 2 identities, \d+ quota units$/)
    expect(lines).toContain('IDENTITY  NAME           TERMS  LISTED  STORED  MISSING  STORED NOT LISTED')
    expect(lines).toContain('fund:7    Acme Ventures      1       1       1        0                  0')
    expect(lines).toContain('org:o-1   Globex             1       1       1        0                  0')
    expect(lines).toContain('CRM mail no search listed: 1 (id, reason, identities, date):')
    expect(out.stdout).toMatch(new RegExp(`^  ${hidden}  missed_by_search  fund:7  2026-06-01T`, 'm'))
  }, 120_000)

  it('prints the report as JSON, and without reading headers when told not to', async () => {
    const json = await cli(['audit', '--account', ANN, '--identity', 'fund:7', '--json'], env)
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as AuditReport
    expect(report.identities.map((i) => [i.identityKey, i.foundBySearch, i.stored])).toEqual([['fund:7', 1, 1]])
    expect(report.missedBySearch.map((m) => [m.gmailId, m.reason, m.identities])).toEqual([[hidden, 'missed_by_search', ['fund:7']]])

    const quick = await cli(['audit', '--account', ANN, '--no-headers'], env)
    expect(quick.code).toBe(0)
    expect(quick.stdout).toContain('Headers of unlisted mail not read (--no-headers)')
    expect(quick.stdout).not.toContain(hidden)
  }, 120_000)

  it('exits 2 without an account, for an account not enrolled and for an identity outside the directory', async () => {
    const cases: [string[], RegExp][] = [
      [['audit'], /--account <address> is required/],
      [['audit', '--account', 'zed@fund.example'], /zed@fund\.example is not enrolled/],
      [['audit', '--account', ANN, '--identity', 'org:o-9'], /identity: org:o-9 is not in the directory/],
    ]
    for (const [args, message] of cases) {
      const out = await cli(args, env)
      expect(out.code, args.join(' ')).toBe(2)
      expect(out.stderr).toMatch(message)
      expect(out.stdout).toBe('')
    }
  }, 120_000)
})
