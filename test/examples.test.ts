import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmailIntegration, type SchedulerState, type ThreadPage } from '../src/index.js'
import { startGmailEmulator, type GmailEmulator } from '../src/testing/index.js'
import { openCrm } from '../examples/host/crm.js'
import { mail, TEAM } from './helpers/sync/setup.js'

/**
 * The examples run as a host runs them: each server and the cron job is a child process started
 * with tsx from the repository root, configured only through its environment, against the Gmail
 * emulator, and spoken to over real HTTP.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`
const USER_TOKEN = `user-${randomBytes(12).toString('hex')}`
const [ANN, BOB, CAT, , EVE] = TEAM as [string, string, string, string, string]
/** The subjects of the CRM conversations seeded below; the internal and newsletter mail is not CRM mail. */
const CRM_SUBJECTS = ['Coffee', 'Intro', 'Term sheet']

interface Child {
  readonly process: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** The exit code (`null` when killed by a signal). */
  readonly exited: Promise<number | null>
}

const children = new Set<Child>()
let emu: GmailEmulator
let dir: string
let keyPath: string

/** The environment of every child: the integration on, pointed at the emulator; nothing of ours inherited. */
function baseEnv(name: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    DATABASE_PATH: join(dir, `${name}.sqlite`),
    OUTBOX_DIR: join(dir, `${name}-outbox`),
    CRM_GMAIL_INTEGRATION_ENABLED: 'true',
    CRM_GMAIL_SA_KEY_PATH: keyPath,
    CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example',
    CRM_GMAIL_API_BASE_URL: emu.url,
    CRM_GMAIL_TOKEN_URL: emu.tokenUrl,
    CRM_GMAIL_ATTACHMENTS_DIR: join(dir, `${name}-attachments`),
    CRM_GMAIL_BACKFILL_DAYS: '0',
    EXAMPLE_ADMIN_TOKEN: ADMIN_TOKEN,
    EXAMPLE_USER_TOKEN: USER_TOKEN,
  }
}

function start(file: string, env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code)
    })
  })
  const handle: Child = { process: child, stdout: () => out, stderr: () => err, exited }
  children.add(handle)
  void exited.then(() => {
    children.delete(handle)
  })
  return handle
}

/** Starts an example server and resolves its URL from the line it prints. */
async function startServer(kind: string): Promise<{ child: Child; url: string }> {
  const child = start(`examples/${kind}/server.ts`, { ...baseEnv(kind), PORT: '0' })
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(child.stdout())
      if (found?.[1] !== undefined) resolve(found[1])
    }
    child.process.stdout?.on('data', look)
    void child.exited.then((code) => {
      reject(new Error(`${kind} exited (${String(code)}) before listening:\n${child.stderr()}`))
    })
  })
  return { child, url }
}

/** Runs the host job to its end. */
async function runJob(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start('examples/host-job/job.ts', env)
  const code = await child.exited
  return { code, stdout: child.stdout(), stderr: child.stderr() }
}

async function call(url: string, path: string, options: { token?: string; method?: string; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  return fetch(`${url}${path}`, { method: options.method ?? 'GET', headers, ...(options.body === undefined ? {} : { body: options.body }) })
}

async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text()
  expect(response.status, text).toBe(status)
  return JSON.parse(text) as T
}

interface Status {
  scheduler: SchedulerState
  accounts: { address: string; lastRun: { status: string; finishedAt: string | null } | null }[]
}

/** Polls the status route until the run the server started has finished for every account. */
async function finishedSync(url: string): Promise<Status> {
  for (;;) {
    const status = await json<Status>(await call(url, '/api/email/status', { token: ADMIN_TOKEN }))
    if (!status.scheduler.running && status.accounts.every((a) => (a.lastRun?.finishedAt ?? null) !== null)) return status
    await delay(100)
  }
}

/** A team's recent mail: three CRM conversations (fund, org, contact) and mail the CRM does not keep. */
function seedMail(): void {
  const recent = new Date(Date.now() - 2 * 3_600_000)
  const add = (boxes: readonly string[], m: { raw: string }, labelIds = ['INBOX']) => {
    for (const box of boxes) emu.addMessage(box, m.raw, { labelIds })
  }
  const termSheet = mail({ from: 'dana@acme.vc', to: [ANN, BOB], subject: 'Term sheet', date: recent })
  add([ANN, BOB], termSheet)
  add([ANN], mail({ from: ANN, to: ['dana@acme.vc'], subject: 'Re: Term sheet', inReplyTo: termSheet.messageId, date: recent }), ['SENT'])
  add([CAT], mail({ from: 'x@globex.example', to: [CAT], subject: 'Intro', date: recent }))
  add([EVE], mail({ from: 'dana@gmail.com', to: [EVE], subject: 'Coffee', date: recent }))
  add([ANN, BOB], mail({ from: ANN, to: [BOB], subject: 'Lunch?', date: recent }))
  add(TEAM, mail({ from: 'news@letters.example', to: TEAM, subject: 'Weekly', date: recent }))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'email-examples-'))
  emu = await startGmailEmulator({ seed: 23 })
  for (const address of TEAM) emu.addMailbox(address)
  seedMail()
  keyPath = join(dir, 'service-account.json')
  writeFileSync(keyPath, JSON.stringify(emu.serviceAccountKey), { mode: 0o600 })
})

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL')
  await Promise.all([...children].map((c) => c.exited))
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

describe.each(['express', 'fastify', 'node'])('the %s example server', (kind) => {
  let server: { child: Child; url: string }
  beforeAll(async () => {
    server = await startServer(kind)
  })

  it('refuses a caller without a token (401) and a user on an admin route (403)', async () => {
    expect((await call(server.url, '/api/email/threads')).status).toBe(401)
    expect((await call(server.url, '/api/email/threads', { token: 'not-a-token' })).status).toBe(401)
    expect((await call(server.url, '/api/email/accounts', { token: USER_TOKEN })).status).toBe(403)
  })

  it('enrolls the team, syncs it on request and lists the CRM threads', async () => {
    for (const address of TEAM) {
      const body = await json<{ account: { address: string } }>(
        await call(server.url, '/api/email/accounts/enroll', { token: ADMIN_TOKEN, method: 'POST', body: JSON.stringify({ address }) }),
      )
      expect(body.account.address).toBe(address)
    }
    await json(await call(server.url, '/api/email/sync/run-now', { token: ADMIN_TOKEN, method: 'POST', body: '{}' }), 202)
    const status = await finishedSync(server.url)
    expect(status.accounts.map((a) => [a.address, a.lastRun?.status])).toEqual(TEAM.map((a) => [a, 'ok']))

    const page = await json<ThreadPage>(await call(server.url, '/api/email/threads', { token: USER_TOKEN }))
    expect(page.items.map((t) => t.subject).sort()).toEqual(CRM_SUBJECTS)
    // The identities come from the host's own table, through `directory`.
    expect(page.items.flatMap((t) => t.identities.map((i) => `${i.key} ${i.name}`)).sort()).toEqual([
      'contact:c-1 Dana Diaz',
      'fund:7 Acme Ventures',
      'org:o-1 Globex',
    ])
    const fund = await json<ThreadPage>(await call(server.url, '/api/email/threads?identity=fund:7', { token: USER_TOKEN }))
    expect(fund.items.map((t) => t.subject)).toEqual(['Term sheet'])
  })

  it("keeps the host's own routes, and reads JSON bodies whatever the host parsed", async () => {
    expect(await json(await call(server.url, '/api/crm/health'))).toEqual({ ok: true })
    expect((await call(server.url, '/api/crm/nothing-here')).status).toBe(404)
    const bad = await json<{ error: { code: string; message: string } }>(
      await call(server.url, '/api/email/accounts/enroll', { token: ADMIN_TOKEN, method: 'POST', body: '{"address":' }),
      400,
    )
    expect(bad.error).toEqual({ code: 'validation_failed', message: 'body: malformed JSON' })
    const again = await json<{ account: { address: string } }>(
      await call(server.url, '/api/email/accounts/enroll', { token: ADMIN_TOKEN, method: 'POST', body: JSON.stringify({ address: ANN }) }),
    )
    expect(again.account.address).toBe(ANN)
  })

  it('closes and exits 0 on SIGTERM', async () => {
    server.child.process.kill('SIGTERM')
    expect(await server.child.exited).toBe(0)
    expect(server.child.stderr()).toBe('')
  })
})

/**
 * A time zone where it is about noon now. With the digest hour at 0 the daily digest is due all
 * day, whatever the wall clock says, and runs a few seconds apart cannot fall on two local days.
 */
function zoneNearNoon(now: Date): string {
  const offset = 12 - now.getUTCHours()
  return offset === 0 ? 'UTC' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`
}

describe('the example host job', () => {
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    env = { ...baseEnv('job'), CRM_GMAIL_DIGEST_HOUR: '0', CRM_GMAIL_DIGEST_TZ: zoneNearNoon(new Date()) }
    // A host's database that already has the integration's tables and the team enrolled.
    const crm = await openCrm({ DATABASE_PATH: env.DATABASE_PATH })
    const email = createEmailIntegration({ db: crm.db, config: { workspaceDomains: ['fund.example'] }, directory: crm.directory })
    await email.migrate()
    for (const address of TEAM) await email.accounts.enroll(address)
    await email.close()
    await crm.close()
  })
  const outbox = () => readdirSync(env.OUTBOX_DIR!).sort()

  it('syncs every account and writes one digest, then sends no second digest the same day', async () => {
    const first = await runJob(env)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const lines = first.stdout.trim().split('\n')
    expect(lines.slice(0, TEAM.length).map((l) => l.split(' (')[0])).toEqual(TEAM.map((a) => `${a}: backfill ok`))
    expect(lines[TEAM.length]).toMatch(/^digest \d{4}-\d{2}-\d{2}: sent to /)
    const files = outbox()
    expect(files).toHaveLength(2)
    expect(files.map((f) => f.replace(/^digest-.*\./, ''))).toEqual(['html', 'txt'])
    const text = readFileSync(join(env.OUTBOX_DIR!, files[1]!), 'utf8')
    for (const name of ['Acme Ventures', 'Globex', 'Dana Diaz', 'Term sheet']) expect(text).toContain(name)

    const second = await runJob(env)
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    const again = second.stdout.trim().split('\n')
    expect(again.slice(0, TEAM.length).map((l) => l.split(' (')[0])).toEqual(TEAM.map((a) => `${a}: incremental ok`))
    expect(again[TEAM.length]).toMatch(/^digest \d{4}-\d{2}-\d{2}: not sent \(already sent\)$/)
    expect(outbox()).toEqual(files)
  })

  it('exits non-zero with the configuration problem when the configuration is broken', async () => {
    const broken = await runJob({ ...env, CRM_GMAIL_SA_KEY_PATH: join(dir, 'missing-key.json'), CRM_GMAIL_SYNC_INTERVAL_MIN: 'often' })
    expect(broken.code).toBe(1)
    expect(broken.stdout).toBe('')
    expect(broken.stderr).toMatch(/^email job failed: Invalid email integration configuration \(2 problems\)/)
    expect(broken.stderr).toContain('CRM_GMAIL_SA_KEY_PATH')
    expect(broken.stderr).toContain('CRM_GMAIL_SYNC_INTERVAL_MIN')
    expect(broken.stderr).not.toMatch(/\n\s+at /)
  })
})
