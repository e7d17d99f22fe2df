import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IndexReport } from '../../src/index.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { asHost, cliEnvironment, cliFromSources } from '../helpers/cli-process.js'
import { mail } from '../helpers/sync/setup.js'

const ANN = 'ann@fund.example'
const DIRECTORY = [{ type: 'fund' as const, id: '7', name: 'Acme Ventures', emails: [], domains: ['acme.vc'] }]
/** A token in the endpoint's URL: it must never be printed. */
const TOKEN = 'tk9Qw2Lm7Xz4Rb8Vn3'

describe('crm-email-integration index', () => {
  let dir: string
  let emu: GmailEmulator
  let standin: EmbeddingsStandin
  let env: Record<string, string>
  const printed: string[] = []
  const run = async (args: readonly string[], extra: Record<string, string> = {}) => {
    const outcome = await cliFromSources(args, { ...env, ...extra })
    printed.push(outcome.stdout, outcome.stderr)
    return outcome
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'email-cli-index-'))
    emu = await startGmailEmulator({ seed: 3 })
    emu.addMailbox(ANN)
    for (const subject of ['Term sheet', 'Capital call', 'Board deck']) emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN], subject }).raw)
    standin = await startEmbeddingsStandin({ dimension: 16 })
    const base = cliEnvironment(emu, dir, DIRECTORY).env
    const url = new URL(standin.url)
    url.searchParams.set('access_token', TOKEN)
    env = { ...base, CRM_GMAIL_DB: join(dir, 'crm.sqlite'), CRM_GMAIL_EMBEDDINGS_URL: url.toString(), CRM_GMAIL_EMBEDDINGS_MODEL: 'standin' }
    await asHost(env, DIRECTORY, async (email) => {
      await email.accounts.enroll(ANN)
      await email.sync.runAll()
    })
  }, 60_000)

  afterAll(async () => {
    await standin.close()
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('embeds the stored mail, reports it as JSON, and a second run has nothing to do', async () => {
    const first = await run(['index', '--json'])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout) as IndexReport
    expect(report).toMatchObject({ embedded: 3, removed: 0, pending: 0, error: null })
    expect(report.chunks).toBeGreaterThanOrEqual(3)
    const second = await run(['index'])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^attachments: 0 read, /m)
    expect(second.stdout).toMatch(/^vectors: 0 emails embedded \(0 chunks\), 0 removed, 0 payloads updated, 0 pending$/m)
  }, 60_000)

  it('refuses a --limit that is not a whole number, exits 1 with the error while the endpoint is down, never printing its token', async () => {
    for (const bad of ['0', '-3', 'ten', '1.5']) {
      const refused = await run(['index', '--limit', bad])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('--limit')
    }
    standin.setDown(true)
    try {
      const down = await run(['index', '--limit', '1'])
      expect(down.code).toBe(1)
      expect(down.stdout).toMatch(/^error: .+ \(the next run carries on\)$/m)
    } finally {
      standin.setDown(false)
    }
    expect(printed.join('\n')).not.toContain(TOKEN)
  }, 60_000)
})
