import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { PassThrough } from 'node:stream'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EmailDatabase } from '../../src/index.js'
import { parseCommandLine } from '../../src/cli/args.js'
import { statusCommand } from '../../src/cli/status-command.js'
import { syncCommand } from '../../src/cli/sync-command.js'
import { thisProcess } from '../../src/sync/lease/owner.js'
import { cliEnvironment } from '../helpers/cli-process.js'
import { CHEAP_COSTS } from '../helpers/sync/expect.js'
import { openSqliteFile } from '../helpers/sync/process.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN] = TEAM as [string, ...string[]]

/** Runs a command of the command line in this process, with the given environment; its exit code and output. */
async function command(argv: readonly string[], env: Record<string, string>) {
  const args = parseCommandLine(argv)
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
  const handler = args.command === 'status' ? statusCommand : syncCommand
  const code = await handler(args, { options: args.options, env, streams: { stdout, stderr } })
  return { code, stdout: out, stderr: err }
}

describe('the command line names who holds a busy account', () => {
  let file: ReturnType<typeof openSqliteFile>
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let env: Record<string, string>

  beforeEach(async () => {
    file = openSqliteFile()
    w = await syncWorld(file, { emulator: { costs: CHEAP_COSTS }, config: { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250 } })
    db = file.db as unknown as Kysely<EmailDatabase>
    for (const member of TEAM) w.emu.addMessage(member, mail({ from: 'dana@acme.vc', to: [member], subject: 'Deal' }).raw)
    const cli = cliEnvironment(w.emu, w.attachmentsDir, DIRECTORY)
    env = { ...cli.env, CRM_GMAIL_DB: file.path, CRM_GMAIL_ATTACHMENTS_DIR: w.attachmentsDir, CRM_GMAIL_DIRECTORY_FILE: cli.directoryFile }
  })
  afterEach(async () => {
    await w.close()
    await file.close()
  })

  it('shows a live holder as busy in status and sync, and a dead one as replaced by the next sync', async () => {
    const since = new Date().toISOString()
    const until = new Date(Date.now() + 60_000).toISOString()
    await db
      .updateTable('email_accounts')
      .set({ lease_owner: 'crm-2:77:ab12', lease_expires_at: until, lease_host: 'crm-2', lease_pid: 77, lease_boot_id: 'linux:elsewhere', lease_acquired_at: since })
      .where('address', '=', ANN)
      .execute()
    const holder = `pid 77 on crm-2 since ${since}, lease until ${until}`

    const status = await command(['status'], env)
    expect(status.code).toBe(0)
    expect(status.stdout.split('\n')).toContain(`${ANN}: busy (held by ${holder})`)
    const json = JSON.parse((await command(['status', '--json'], env)).stdout) as { accounts: { address: string; busy: { pid: number; host: string } | null }[] }
    expect(json.accounts.find((a) => a.address === ANN)?.busy).toMatchObject({ pid: 77, host: 'crm-2', since, expiresAt: until, dead: false })
    expect(json.accounts.filter((a) => a.busy !== null)).toHaveLength(1)

    const synced = await command(['sync'], env)
    expect(synced.code).toBe(0)
    const lines = synced.stdout.split('\n')
    expect(lines).toContain(`${ANN}: busy (held by ${holder})`)
    expect(lines).toContainEqual(expect.stringMatching(/^sync finished: 5 accounts \(4 ok, 0 partial, 0 error, 1 busy\) /))

    // The holder was on this host and its process is gone (a process that ran and exited).
    const gone = spawnSync(process.execPath, ['-e', '']).pid
    await db.updateTable('email_accounts').set({ lease_host: hostname(), lease_pid: gone, lease_boot_id: thisProcess().bootId }).where('address', '=', ANN).execute()
    const after = await command(['status'], env)
    expect(after.stdout).toContain(`${ANN}: held by pid ${gone} on ${hostname()} since ${since}, lease until ${until}, whose process is gone: the next sync takes it over`)
    const resumed = await command(['sync', '--account', ANN], env)
    expect(resumed.code).toBe(0)
    expect(resumed.stdout).toMatch(new RegExp(`^${ANN}: backfill ok, `, 'm'))
    expect((await command(['status'], env)).stdout).not.toContain('busy')
  })
})
