import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Digest, SyncReport } from '../../src/index.js'
import { startGmailEmulator, type GmailEmulator, type GmailEmulatorOptions } from '../../src/testing/index.js'
import { PG_URL } from '../helpers/databases.js'
import { cliEnvironment, runProcess, type Outcome } from '../helpers/cli-process.js'
import { mail } from '../helpers/sync/setup.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const ANN = 'ann@fund.example'
const BOB = 'bob@fund.example'
const ACME = 'partner@acme.vc'
const SECRET_KEY = randomBytes(32).toString('base64')
const DIRECTORY = [{ type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] }]

/** Everything any child printed, to prove that no secret ever shows. */
const printed: string[] = []

/** Runs the built CLI as a real process with only the given environment (plus PATH). */
async function run(args: readonly string[], env: Record<string, string>): Promise<Outcome> {
  const outcome = await runProcess(process.execPath, [CLI, ...args], env)
  printed.push(outcome.stdout, outcome.stderr)
  return outcome
}

/** A temp dir, an emulator with a small team mailbox, and the environment a host would set. */
async function world(emulator: GmailEmulatorOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'email-cli-'))
  const emu = await startGmailEmulator({ seed: 5, ...emulator })
  emu.addMailbox(ANN)
  emu.addMailbox(BOB)
  const { env, directoryFile } = cliEnvironment(emu, dir, DIRECTORY)
  return { dir, emu, env: { ...env, CRM_GMAIL_SECRET_KEY: SECRET_KEY }, directoryFile }
}

function hoursAgo(hours: number): Date {
  return new Date(Date.now() - hours * 3_600_000)
}

function deliver(emu: GmailEmulator, user: string, message: Parameters<typeof mail>[0]): void {
  emu.addMessage(user, mail(message).raw)
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`)
})

describe('the crm-email-integration CLI on SQLite', () => {
  let w: Awaited<ReturnType<typeof world>>
  let env: Record<string, string>

  beforeAll(async () => {
    w = await world()
    env = { ...w.env, CRM_GMAIL_DB: join(w.dir, 'data', 'crm.sqlite') }
    const sheet = mail({ from: ACME, to: [ANN], subject: 'Term sheet draft', date: hoursAgo(3) })
    w.emu.addMessage(ANN, sheet.raw)
    deliver(w.emu, ANN, { from: ANN, to: [ACME], subject: 'Re: Term sheet draft', inReplyTo: sheet.messageId, date: hoursAgo(2) })
    deliver(w.emu, ANN, { from: BOB, to: [ANN], subject: 'Lunch?', date: hoursAgo(2) })
    deliver(w.emu, ANN, { from: 'news@letters.example', to: [ANN], subject: 'Weekly news', date: hoursAgo(2) })
    deliver(w.emu, BOB, { from: 'lp@acme.vc', to: [BOB], subject: 'Capital call', date: hoursAgo(1) })
    deliver(w.emu, BOB, { from: BOB, to: [ANN], subject: 'Lunch?', date: hoursAgo(2) })
  })

  afterAll(async () => {
    await w.emu.close()
    rmSync(w.dir, { recursive: true, force: true })
  })

  it('migrates, idempotently, creating the SQLite file', async () => {
    const first = await run(['migrate'], env)
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(/crm\.sqlite: applied \d+ migrations?: /)
    const second = await run(['migrate'], env)
    expect(second).toMatchObject({ code: 0, stderr: '' })
    expect(second.stdout).toContain('crm.sqlite: the email tables are up to date')
  })

  it('enrolls several addresses, says which were known, and refuses one outside the workspace', async () => {
    const enrolled = await run(['enroll', ANN, BOB], env)
    expect(enrolled).toMatchObject({ code: 0, stdout: `enrolled ${ANN} (active)\nenrolled ${BOB} (active)\n` })
    const again = await run(['enroll', ANN, 'eve@elsewhere.example'], env)
    expect(again.code).toBe(2)
    expect(again.stdout).toBe(`already enrolled ${ANN} (active)\n`)
    expect(again.stderr).toContain('eve@elsewhere.example is not in the workspace domains (fund.example)')
  })

  it('refuses to sync in matched mode without a directory, and names a bad directory entry', async () => {
    const missing = await run(['sync'], env)
    expect(missing.code).toBe(2)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toContain('--directory <file>')
    expect(missing.stderr).toContain('CRM_GMAIL_DIRECTORY_FILE')
    const bad = join(w.dir, 'bad-directory.json')
    writeFileSync(bad, JSON.stringify([...DIRECTORY, { type: 'org', id: 'o-1', domains: ['globex.example'] }]))
    const invalid = await run(['sync', '--directory', bad], env)
    expect(invalid.code).toBe(2)
    expect(invalid.stderr).toContain('bad-directory.json: entry 1: name must be a non-empty string')
  })

  it('syncs every account with plain progress lines when stdout is a pipe', async () => {
    const synced = await run(['sync', '--directory', w.directoryFile], env)
    expect(synced.stderr).toBe('')
    expect(synced.code).toBe(0)
    // Plain lines: no carriage return, no escape sequence.
    expect(synced.stdout).not.toContain('\r')
    expect(synced.stdout).not.toContain('\u001b')
    const lines = synced.stdout.trimEnd().split('\n')
    // Gmail's search lists only the CRM candidates: the newsletters are never listed nor read.
    expect(lines).toContainEqual(expect.stringMatching(/^ann@fund\.example: backfill in progress, listed 2\/2, fetched 2, captured 2, skipped 0, failed 0/))
    expect(lines).toContainEqual(expect.stringMatching(/^ann@fund\.example: backfill ok, listed 2, fetched 2, captured 2, skipped 0, failed 0, \d+ units, /))
    expect(lines).toContainEqual(expect.stringMatching(/^bob@fund\.example: backfill ok, listed 1, fetched 1, captured 1, skipped 0, failed 0, /))
    expect(lines.at(-1)).toMatch(/^sync finished: 2 accounts \(2 ok, 0 partial, 0 error\) in \d+s, listed 3, captured 3, skipped 0, failed 0$/)
  })

  it('syncs one account incrementally and prints the reports as JSON with --json', async () => {
    deliver(w.emu, ANN, { from: ACME, to: [ANN], subject: 'Signed term sheet', date: hoursAgo(1) })
    const synced = await run(['sync', '--account', ANN, '--json'], { ...env, CRM_GMAIL_DIRECTORY_FILE: w.directoryFile })
    expect(synced.code).toBe(0)
    const reports = JSON.parse(synced.stdout) as SyncReport[]
    expect(reports).toEqual([expect.objectContaining({ account: ANN, kind: 'incremental', status: 'ok', listed: 1, fetched: 1, captured: 1, skipped: 0, failed: 0 })])
    // The progress went to stderr, so stdout stays machine-readable; history gives no total to show.
    expect(synced.stderr).toMatch(/^ann@fund\.example: incremental in progress, listed 1, fetched 1, captured 1, /m)
    expect(synced.stderr).toMatch(/^ann@fund\.example: incremental ok, listed 1, /m)
  })

  it('shows each account with its last run, as a table and as JSON', async () => {
    const table = await run(['status'], env)
    expect(table).toMatchObject({ code: 0, stderr: '' })
    const lines = table.stdout.split('\n')
    expect(lines[0]).toMatch(/^integration enabled; 2 accounts in .*crm\.sqlite$/)
    expect(lines).toContainEqual(expect.stringMatching(/^ACCOUNT\s+STATUS\s+SHARING\s+LAST RUN\s+RESULT\s+LISTED\s+CAPTURED\s+SKIPPED\s+FAILED\s+FINISHED$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ann@fund\.example\s+active\s+everything \(default\)\s+incremental\s+ok\s+1\s+1\s+0\s+0\s+\d{4}-/))
    expect(lines).toContainEqual(expect.stringMatching(/^bob@fund\.example\s+active\s+everything \(default\)\s+backfill\s+ok\s+1\s+1\s+0\s+0\s+\d{4}-/))

    const json = await run(['status', '--json'], env)
    expect(json.code).toBe(0)
    const status = JSON.parse(json.stdout) as { enabled: boolean; accounts: { address: string; lastRun: { kind: string; captured: number } | null }[] }
    expect(status.enabled).toBe(true)
    expect(status.accounts.map((a) => [a.address, a.lastRun?.kind, a.lastRun?.captured])).toEqual([
      [ANN, 'incremental', 1],
      [BOB, 'backfill', 1],
    ])
  })

  it('notes an account whose recall guard fell it back to reading headers', async () => {
    const db = new Database(env.CRM_GMAIL_DB ?? '')
    db.prepare('update email_accounts set search_fallback_at = ?, search_fallback_reason = ? where address = ?').run('2026-06-01T07:00:00.000Z', "Gmail's search did not list 1 CRM message", BOB)
    db.close()
    const table = await run(['status'], env)
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(`${BOB}: reads every message's headers since 2026-06-01T07:00:00.000Z: Gmail's search did not list 1 CRM message`)
    const json = JSON.parse((await run(['status', '--json'], env)).stdout) as { accounts: { address: string; searchFallback: unknown }[] }
    expect(json.accounts.find((a) => a.address === BOB)?.searchFallback).toEqual({ at: '2026-06-01T07:00:00.000Z', reason: "Gmail's search did not list 1 CRM message" })
  })

  it('previews the digest since a date, as text, JSON and HTML, with the directory from a module', async () => {
    const module = join(w.dir, 'directory.mjs')
    writeFileSync(module, `export default async () => ${JSON.stringify(DIRECTORY)}\n`)
    const since = hoursAgo(24).toISOString().slice(0, 10)
    const text = await run(['digest', 'preview', '--since', since, '--directory', module], env)
    expect(text).toMatchObject({ code: 0, stderr: '' })
    expect(text.stdout).toContain('Acme Ventures')
    expect(text.stdout).toContain('Term sheet draft')
    expect(text.stdout).toContain('Capital call')

    const json = await run(['digest', 'preview', '--since', since, '--json', '--directory', module], env)
    const digest = JSON.parse(json.stdout) as Digest
    expect(digest.groups.map((g) => g.identity.key)).toEqual(['fund:7'])
    expect(digest.summarizer).toBe('extractive')

    const html = await run(['digest', 'preview', '--hours', '48', '--html'], env)
    expect(html.code).toBe(0)
    expect(html.stdout).toMatch(/^</)
    expect(html.stderr).toContain('no CRM directory')

    const future = await run(['digest', 'preview', '--since', '2999-01-01'], env)
    expect(future.code).toBe(2)
    expect(future.stderr).toContain('since: must not be in the future')
  })

  it('rolls back only with --yes, after which the tables are gone', async () => {
    const refused = await run(['rollback'], env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('run it again with --yes')
    expect((await run(['status'], env)).code).toBe(0)

    const dropped = await run(['rollback', '--yes'], env)
    expect(dropped).toMatchObject({ code: 0, stderr: '' })
    const after = await run(['status'], env)
    expect(after.code).toBe(1)
    expect(after.stderr).toContain('run `crm-email-integration migrate` first')
    expect(after.stderr).not.toMatch(/^\s+at /m)
  })
})

describe('the CLI stopped by a signal', () => {
  const MESSAGES = 60
  let w: Awaited<ReturnType<typeof world>>
  let env: Record<string, string>

  beforeAll(async () => {
    // Many small, cheap pages (the emulator charges by its own table: give it room): the sync is
    // still running when the signal comes, and quick either way.
    w = await world({ quota: 100_000 })
    env = {
      ...w.env,
      CRM_GMAIL_DB: join(w.dir, 'crm.sqlite'),
      CRM_GMAIL_DIRECTORY_FILE: w.directoryFile,
      CRM_GMAIL_BACKFILL_PAGE_SIZE: '3',
      // Every message is listed and its headers read, so the backfill has many pages to stop between.
      CRM_GMAIL_CAPTURE_STRATEGY: 'headers',
      CRM_GMAIL_QUOTA_COSTS: 'legacy',
      CRM_GMAIL_RATE_UNITS_SEC: '250',
    }
    for (let i = 0; i < MESSAGES; i++) deliver(w.emu, ANN, { from: `n${i}@letters.example`, to: [ANN], subject: `News ${i}`, date: hoursAgo(3) })
    expect((await run(['migrate'], env)).code).toBe(0)
    expect((await run(['enroll', ANN], env)).code).toBe(0)
  })

  afterAll(async () => {
    await w.emu.close()
    rmSync(w.dir, { recursive: true, force: true })
  })

  it('stops after the current page on SIGINT, exits 130, and the next sync resumes where it stopped', async () => {
    const child = spawn(process.execPath, [CLI, 'sync'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      // The first page is committed: interrupt, as Ctrl-C would.
      if (stdout === '') child.kill('SIGINT')
      stdout += chunk
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    printed.push(stdout, stderr)
    expect(code).toBe(130)
    expect(stderr).toContain('SIGINT: stopping after the current page')
    expect(stderr).toContain('the next sync resumes where they stopped')
    const stopped = /^ann@fund\.example: backfill partial, listed (\d+), fetched 0, captured 0, skipped \1, failed 0, /m.exec(stdout)
    expect(stopped).not.toBeNull()
    const first = Number(stopped![1])
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThan(MESSAGES)
    expect(first % 3).toBe(0)

    const resumed = await run(['sync'], env)
    expect(resumed.code).toBe(0)
    expect(resumed.stdout).toMatch(new RegExp(`^ann@fund\\.example: backfill ok, listed ${MESSAGES - first}, `, 'm'))
  })
})

describe('the CLI refuses what it cannot do, clearly', () => {
  let w: Awaited<ReturnType<typeof world>>
  let env: Record<string, string>

  beforeAll(async () => {
    w = await world()
    env = { ...w.env, CRM_GMAIL_DB: join(w.dir, 'crm.sqlite') }
  })

  afterAll(async () => {
    await w.emu.close()
    rmSync(w.dir, { recursive: true, force: true })
  })

  it('names the bad variable of a configuration error, never its secret value, and exits 2', async () => {
    const badKey = `${SECRET_KEY.slice(0, 20)}-not-a-key`
    const outcome = await run(['status'], { ...env, CRM_GMAIL_SYNC_INTERVAL_MIN: 'often', CRM_GMAIL_SECRET_KEY: badKey })
    expect(outcome.code).toBe(2)
    expect(outcome.stderr).toContain('CRM_GMAIL_SYNC_INTERVAL_MIN')
    expect(outcome.stderr).toContain('CRM_GMAIL_SECRET_KEY')
    expect(outcome.stderr).not.toContain(badKey)
    expect(outcome.stderr).not.toMatch(/^\s+at /m)
  })

  it('exits 2 with the usage for an unknown command or option, and for a missing database', async () => {
    for (const args of [['frobnicate'], ['status', '--bogus'], ['status', '--yes']]) {
      const outcome = await run(args, env)
      expect(outcome.code).toBe(2)
      expect(outcome.stderr).toContain('Usage: crm-email-integration <command>')
    }
    const noDb = await run(['status'], w.env)
    expect(noDb.code).toBe(2)
    expect(noDb.stderr).toContain('pass --db <file.sqlite | postgres://...> or set CRM_GMAIL_DB')
    const notMigrated = await run(['status', '--db', join(w.dir, 'nothing-here.sqlite')], w.env)
    expect(notMigrated.code).toBe(2)
    expect(notMigrated.stderr).toContain('does not exist (run migrate first')
  })

  it('refuses to sync while the integration is disabled', async () => {
    const outcome = await run(['sync', '--directory', w.directoryFile], { ...env, CRM_GMAIL_INTEGRATION_ENABLED: 'false' })
    expect(outcome.code).toBe(2)
    expect(outcome.stderr).toContain('The email integration is disabled')
  })

  it('prints help, and the version from package.json', async () => {
    const help = await run(['--help'], {})
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('digest preview')
    const version = await run(['--version'], {})
    expect(version.stdout).toBe(`${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n`)
  })

  it('is an executable script, as npm links the bin', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    expect(statSync(CLI).mode & 0o111).not.toBe(0)
    const out = execFileSync(CLI, ['--version'], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' })
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/)
  })
})

describe.skipIf(PG_URL === '')('the CLI on PostgreSQL (--db postgres://...)', () => {
  const schema = `email_cli_${randomBytes(6).toString('hex')}`
  let w: Awaited<ReturnType<typeof world>>

  beforeAll(async () => {
    w = await world()
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    await admin.end()
    deliver(w.emu, ANN, { from: ACME, to: [ANN], subject: 'Board deck', date: hoursAgo(2) })
  })

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.end()
    await w.emu.close()
    rmSync(w.dir, { recursive: true, force: true })
  })

  it('migrates, enrolls, syncs, shows status and rolls back in a schema of its own', async () => {
    const url = new URL(PG_URL)
    url.searchParams.set('options', `-c search_path=${schema}`)
    const db = ['--db', url.toString()]
    expect((await run(['migrate', ...db], w.env)).code).toBe(0)
    expect((await run(['enroll', ANN, ...db], w.env)).code).toBe(0)
    const synced = await run(['sync', ...db, '--directory', w.directoryFile], w.env)
    expect(synced.code).toBe(0)
    expect(synced.stdout).toMatch(/^ann@fund\.example: backfill ok, listed 1, fetched 1, captured 1, skipped 0, failed 0, /m)
    const status = JSON.parse((await run(['status', '--json', ...db], w.env)).stdout) as { accounts: { lastRun: { captured: number } }[] }
    expect(status.accounts.map((a) => a.lastRun.captured)).toEqual([1])
    expect((await run(['rollback', '--yes', ...db], w.env)).code).toBe(0)
  })
})

// Runs last: nothing any child printed contains a secret (the token-sealing key, the service account's private key).
it('never prints a secret', () => {
  expect(printed.length).toBeGreaterThan(20)
  const everything = printed.join('\n')
  expect(everything).not.toContain(SECRET_KEY)
  expect(everything).not.toContain('PRIVATE KEY')
})
