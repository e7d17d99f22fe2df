import { PassThrough } from 'node:stream'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseCommandLine } from '../../src/cli/args.js'
import { statusCommand } from '../../src/cli/status-command.js'
import { insertAccount } from '../../src/db/accounts.js'
import type { EmailAccount, EmailDatabase, IntegrationStatus } from '../../src/index.js'
import { testContext } from '../helpers/context.js'
import { cliEnvironment } from '../helpers/cli-process.js'
import { describeEachDialect } from '../helpers/databases.js'
import { expectError, messageOf } from '../helpers/http.js'
import { ANN, BOB, routerWorld } from '../helpers/router-world.js'
import { openSqliteFile } from '../helpers/sync/process.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

// Pausing and resuming accounts through the API and the admin routes: who may, what they answer,
// what status and the account list show, and what a resume puts back.

describeEachDialect('pausing and resuming accounts: routes and API', (open) => {
  const world = routerWorld(open)
  const { db, req, get, post } = world

  const accountIn = (answer: { body: unknown }): EmailAccount => (answer.body as { account: EmailAccount }).account

  it('pauses and resumes for admins only; status and the account list show since when; its mail stays readable; run-now refuses it', async () => {
    for (const path of ['/api/email/accounts/pause', '/api/email/accounts/resume']) {
      expectError(await post(path, { address: ANN }, 'user'), 403, 'forbidden')
      expectError(await post(path, { address: ANN }, 'anon'), 401)
    }
    expect((await db().selectFrom('email_accounts').select('status').where('address', '=', ANN).executeTakeFirstOrThrow()).status).toBe('active')
    const threadsBefore = (await get('/api/email/threads?limit=50', 'user')).body

    const paused = await post('/api/email/accounts/pause', { address: ` ${ANN.toUpperCase()} ` })
    expect(paused.status).toBe(200)
    const account = accountIn(paused)
    expect(account).toMatchObject({ address: ANN, status: 'paused', statusReason: expect.stringMatching(/paused/) as unknown })
    expect(Date.parse(account.pausedAt ?? '')).not.toBeNaN()
    // Idempotent: pausing again changes nothing, not even since when.
    expect(accountIn(await post('/api/email/accounts/pause', { address: ANN }))).toEqual(account)

    const listed = ((await get('/api/email/accounts')).body as { items: EmailAccount[] }).items
    expect(listed.find((a) => a.address === ANN)).toMatchObject({ status: 'paused', pausedAt: account.pausedAt })
    expect(listed.find((a) => a.address === BOB)).toMatchObject({ status: 'active', pausedAt: null })
    const status = (await get('/api/email/status', 'user')).body as IntegrationStatus
    expect(status.accounts.find((a) => a.address === ANN)).toMatchObject({ status: 'paused', pausedAt: account.pausedAt })
    expect((await get('/api/email/threads?limit=50', 'user')).body).toEqual(threadsBefore)

    const runNow = await post('/api/email/sync/run-now', { account: ANN })
    expectError(runNow, 409, 'conflict')
    expect(messageOf(runNow)).toMatch(/paused/)

    const resumed = await post('/api/email/accounts/resume', { address: ANN })
    expect(resumed.status).toBe(200)
    expect(accountIn(resumed)).toMatchObject({ address: ANN, status: 'active', statusReason: null, pausedAt: null })
    expect(accountIn(await post('/api/email/accounts/resume', { address: ANN }))).toEqual(accountIn(resumed))
  })

  it('answers 404 for an address not enrolled and 400 for a bad body, changing nothing', async () => {
    for (const path of ['/api/email/accounts/pause', '/api/email/accounts/resume']) {
      const unknown = await post(path, { address: 'nobody@fund.example' })
      expectError(unknown, 404, 'not_found')
      expect(messageOf(unknown)).toMatch(/nobody@fund\.example/)
      const bad: Parameters<typeof req>[2][] = [
        {},
        { json: {} },
        { json: { address: 42 } },
        { json: { address: null } },
        { json: { address: 'not an address' } },
        { raw: '{"address": ' },
        { raw: '[]' },
      ]
      for (const options of bad) expectError(await req('POST', path, options), 400, 'validation_failed')
    }
    const statuses = await db().selectFrom('email_accounts').select('status').execute()
    expect(new Set(statuses.map((s) => s.status))).toEqual(new Set(['active']))
  })

  it('resume puts back what the account was: needs_attention with its reason, needs_consent without a token, active once consented', async () => {
    const { http } = world
    await db().updateTable('email_accounts').set({ status: 'needs_attention', status_reason: 'Google refused the credentials' }).where('address', '=', ANN).execute()
    expect(await http.accounts.pause(ANN)).toMatchObject({ status: 'paused' })
    expect(await http.accounts.resume(ANN)).toMatchObject({ status: 'needs_attention', statusReason: 'Google refused the credentials', pausedAt: null })

    const now = new Date().toISOString()
    const context = testContext(world.t.db)
    const reason = 'waiting for the owner to grant access (OAuth consent)'
    for (const address of ['oli@fund.example', 'pia@fund.example']) {
      await insertAccount(context, { address, authMethod: 'oauth', status: 'needs_consent', statusReason: reason, now })
      expect(await http.accounts.pause(address)).toMatchObject({ status: 'paused' })
    }
    // Pia consents while paused: her token is stored and she stays paused until resumed.
    const pia = await db().selectFrom('email_accounts').select('id').where('address', '=', 'pia@fund.example').executeTakeFirstOrThrow()
    await db().insertInto('email_oauth_tokens').values({ account_id: pia.id, refresh_token: 'v1.sealed', key_id: 'k1', scope: null, created_at: now, updated_at: now }).execute()
    expect(await http.accounts.resume('oli@fund.example')).toMatchObject({ status: 'needs_consent', statusReason: reason })
    expect(await http.accounts.resume('pia@fund.example')).toMatchObject({ status: 'active', statusReason: null })
    const columns = await db().selectFrom('email_accounts').select(['paused_at', 'paused_status', 'paused_reason']).execute()
    expect(columns.every((c) => c.paused_at === null && c.paused_status === null && c.paused_reason === null)).toBe(true)
  })
})

describe('the status command shows a paused account', () => {
  let file: ReturnType<typeof openSqliteFile>
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  let env: Record<string, string>

  beforeEach(async () => {
    file = openSqliteFile()
    w = await syncWorld(file)
    db = file.db as unknown as Kysely<EmailDatabase>
    const cli = cliEnvironment(w.emu, w.attachmentsDir, DIRECTORY)
    env = { ...cli.env, CRM_GMAIL_DB: file.path, CRM_GMAIL_ATTACHMENTS_DIR: w.attachmentsDir, CRM_GMAIL_DIRECTORY_FILE: cli.directoryFile }
    delete env.CRM_GMAIL_BACKFILL_DAYS
  })
  afterEach(async () => {
    await w.close()
    await file.close()
  })

  async function status(argv: readonly string[]): Promise<{ code: number; stdout: string }> {
    const args = parseCommandLine(argv)
    const stdout = new PassThrough()
    let out = ''
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    const code = await statusCommand(args, { options: args.options, env, streams: { stdout, stderr: new PassThrough() } })
    return { code, stdout: out }
  }

  it('in the table, with since when, and in the JSON', async () => {
    const [ann] = TEAM as [string, ...string[]]
    w.emu.addMessage(ann, mail({ from: 'dana@acme.vc', to: [ann] }).raw)
    await w.email.sync.run({ account: ann })
    const { pausedAt } = await w.email.accounts.pause(ann)
    const table = await status(['status'])
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n').find((line) => line.startsWith(`${ann} `))).toMatch(/ paused /)
    expect(table.stdout).toContain(`${ann}: paused since ${pausedAt ?? '?'}: not synced until an admin resumes it`)
    const json = JSON.parse((await status(['status', '--json'])).stdout) as { accounts: EmailAccount[] }
    expect(json.accounts.find((a) => a.address === ann)).toMatchObject({ status: 'paused', pausedAt })
    await w.email.accounts.resume(ann)
    expect((await status(['status'])).stdout).not.toMatch(/paused/)
    expect((await db.selectFrom('email_accounts').select('status').where('address', '=', ann).executeTakeFirstOrThrow()).status).toBe('active')
  })
})
