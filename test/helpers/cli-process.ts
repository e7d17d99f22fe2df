import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createEmailIntegration, loadConfig, type DirectoryEntry, type EmailIntegration } from '../../src/index.js'
import type { GmailEmulator } from '../../src/testing/index.js'

const ROOT = resolve(import.meta.dirname, '../..')
const TSX = resolve(ROOT, 'node_modules/.bin/tsx')

/** How a command-line process ended, with what it printed. */
export interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `command` with `args` as its own process, with only the given environment (plus PATH). */
export function runProcess(command: string, args: readonly string[], env: Record<string, string>, cwd?: string): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { ...(cwd === undefined ? {} : { cwd }), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', fail)
    child.on('close', (code) => {
      done({ code, stdout, stderr })
    })
  })
}

/**
 * Writes the emulator's service-account key and the CRM `directory` into `dir`, and returns the
 * environment a host sets for the CLI against `emu` (attachments under `dir`, no backfill
 * window) with the directory file's path.
 *
 * @example
 * const { env, directoryFile } = cliEnvironment(emu, dir, [{ type: 'fund', id: 7, name: 'Acme', domains: ['acme.vc'] }])
 */
export function cliEnvironment(emu: GmailEmulator, dir: string, directory: readonly object[]): { readonly env: Record<string, string>; readonly directoryFile: string } {
  const keyPath = join(dir, 'sa-key.json')
  writeFileSync(keyPath, JSON.stringify(emu.serviceAccountKey))
  const directoryFile = join(dir, 'directory.json')
  writeFileSync(directoryFile, JSON.stringify(directory))
  const env: Record<string, string> = {
    CRM_GMAIL_INTEGRATION_ENABLED: 'true',
    CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example',
    CRM_GMAIL_SA_KEY_PATH: keyPath,
    CRM_GMAIL_API_BASE_URL: emu.url,
    CRM_GMAIL_TOKEN_URL: emu.tokenUrl,
    CRM_GMAIL_ATTACHMENTS_DIR: join(dir, 'attachments'),
    CRM_GMAIL_BACKFILL_DAYS: '0',
  }
  return { env, directoryFile }
}

/**
 * Runs the CLI from the sources (`src/cli/main.ts` under tsx), as its own process, with only the
 * given environment (plus PATH).
 *
 * @example
 * const out = await cliFromSources(['status', '--json'], env)
 */
export function cliFromSources(args: readonly string[], env: Record<string, string>): Promise<Outcome> {
  return runProcess(TSX, ['src/cli/main.ts', ...args], env, ROOT)
}

/**
 * Opens the integration a host runs on the CLI's SQLite file (`env.CRM_GMAIL_DB`), migrated,
 * hands it to `use`, then closes it and the database: the host's side of a CLI test.
 *
 * @example
 * await asHost(env, DIRECTORY, async (email) => { await email.accounts.enroll(ANN) })
 */
export async function asHost(env: Record<string, string>, directory: readonly DirectoryEntry[], use: (email: EmailIntegration) => Promise<void>): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(env.CRM_GMAIL_DB) }) })
  const email = createEmailIntegration({ db, config: loadConfig(env), directory: () => Promise.resolve([...directory]) })
  try {
    await email.migrate()
    await use(email)
  } finally {
    await email.close()
    await db.destroy()
  }
}
