import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { build } from 'tsup'
import type { DirectoryEntry, EmailConfigInput, SyncProgress, SyncReport } from '../../../src/index.js'
import type { HostDatabase, TestDatabase } from '../databases.js'
import { CHEAP_COSTS } from './expect.js'
import { DIRECTORY, type SyncWorld } from './setup.js'

const root = resolve(import.meta.dirname, '../../..')

/** What the parent tells a child, as JSON in its `SYNC_CHILD` environment variable. */
export interface ChildSettings {
  /** The SQLite file. */
  readonly database: string
  readonly config: EmailConfigInput
  readonly directory: readonly DirectoryEntry[]
  /** The account to sync with `sync.run`; every account (`sync.runAll`) when absent. */
  readonly account?: string
}

/** A line a child prints. */
export type ChildEvent =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'progress'; readonly progress: SyncProgress }
  | { readonly type: 'done'; readonly reports: readonly SyncReport[] }
  | { readonly type: 'failed'; readonly error: string }

/** A running child. */
export interface SyncChild {
  /** Everything it printed so far. */
  readonly events: readonly ChildEvent[]
  /** Resolves `true` once `condition` holds for the events so far, `false` if the child exits before. */
  until(condition: (events: readonly ChildEvent[]) => boolean): Promise<boolean>
  /** Kills it with SIGKILL (no cleanup of any kind runs) and waits until it is gone. */
  kill(): Promise<void>
  /** Resolves when it has exited and its output is read. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string }>
}

/**
 * Bundles `sync/child.ts` (or another child program of `test/helpers/`, by its path there) with the
 * library's current source into one ES module that plain node runs, which starts much faster
 * than a TypeScript loader. It goes under `node_modules/.cache` so its bare imports (kysely,
 * better-sqlite3, pg, the dependencies) resolve from the project.
 */
export async function buildSyncChild(program = 'sync/child'): Promise<{ readonly script: string; remove(): void }> {
  const name = program.replaceAll('/', '-')
  const outDir = join(root, 'node_modules', '.cache', `crm-email-${name}-${randomBytes(4).toString('hex')}`)
  await build({
    entry: { [name]: join(root, `test/helpers/${program}.ts`) },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    silent: true,
    external: ['better-sqlite3', 'kysely', 'pg'],
  })
  return {
    script: join(outDir, `${name}.js`),
    remove: () => {
      rmSync(outDir, { recursive: true, force: true })
    },
  }
}

/** Starts a child process running the built `sync/child.ts` script. */
export function startSyncChild(script: string, settings: ChildSettings): SyncChild {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, SYNC_CHILD: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const events: ChildEvent[] = []
  const waiters: { condition: (events: readonly ChildEvent[]) => boolean; resolve: (met: boolean) => void }[] = []
  let stderr = ''
  let done = false
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.trim() === '') return
    events.push(JSON.parse(line) as ChildEvent)
    for (const waiter of [...waiters]) {
      if (!waiter.condition(events)) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(true)
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolveExit) => {
    child.on('close', (code, signal) => {
      done = true
      for (const waiter of waiters.splice(0)) waiter.resolve(false)
      resolveExit({ code, signal, stderr })
    })
  })
  return {
    events,
    until(condition) {
      if (condition(events)) return Promise.resolve(true)
      if (done) return Promise.resolve(false)
      return new Promise((resolveWait) => waiters.push({ condition, resolve: resolveWait }))
    },
    async kill() {
      if (!done) child.kill('SIGKILL')
      await exited
    },
    exited,
  }
}

/** Progress lines printed so far. */
export function progressCount(events: readonly ChildEvent[]): number {
  return events.filter((e) => e.type === 'progress').length
}

/** The reports of a child that finished, or an error with what it said. */
export async function reportsOf(child: SyncChild): Promise<readonly SyncReport[]> {
  const { code, signal, stderr } = await child.exited
  const done = child.events.find((e) => e.type === 'done')
  if (done?.type !== 'done') throw new Error(`the child did not finish (code ${code}, signal ${signal}): ${JSON.stringify(child.events.at(-1))} ${stderr}`)
  return done.reports
}

/** A SQLite database in a file of its own, which child processes open too. */
export function openSqliteFile(): TestDatabase & { readonly path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'email-sync-process-'))
  const path = join(dir, 'crm.db')
  const database = new Database(path)
  database.pragma('journal_mode = WAL')
  database.pragma('foreign_keys = ON')
  const db = new Kysely<HostDatabase>({ dialect: new SqliteDialect({ database }) })
  return {
    dialect: 'sqlite',
    db,
    schema: null,
    path,
    async close() {
      await db.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A child's settings for the sync world's emulator and database: the configuration `syncWorld` gives its own integration. */
export function childSettings(w: SyncWorld, database: string, extra: Partial<ChildSettings> & { readonly config?: EmailConfigInput } = {}): ChildSettings {
  return {
    database,
    directory: DIRECTORY,
    ...extra,
    config: {
      enabled: true,
      serviceAccountKey: w.emu.serviceAccountKey,
      workspaceDomains: ['fund.example'],
      apiBaseUrl: w.emu.url,
      tokenUrl: w.emu.tokenUrl,
      attachmentsDir: w.attachmentsDir,
      backfillDays: 0,
      quotaCosts: CHEAP_COSTS,
      rateUnitsSec: 250,
      ...extra.config,
    },
  }
}

/** A deterministic source of numbers for kill points (mulberry32). */
export function seededRandom(seed: number): (min: number, max: number) => number {
  let state = seed >>> 0
  return (min, max) => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
    return min + Math.floor(unit * (max - min + 1))
  }
}

/** A proxy in front of the emulator that holds chosen requests until it is opened. */
export interface GatedProxy {
  /** The base URL to give an integration as `apiBaseUrl`. */
  readonly url: string
  /** Requests held so far (released ones included). */
  held(): number
  /** Lets the held requests and every later one through. */
  open(): void
  close(): Promise<void>
}

/**
 * Starts a proxy in front of the emulator that holds every request `hold` picks (by its body and
 * path) until `open()`: a test can stop an integration at a known point of its run (its first
 * Gmail calls, its content downloads) while something else happens, then let it go.
 */
export async function gatedProxy(target: string, hold: (body: string, path: string) => boolean): Promise<GatedProxy> {
  let release: () => void = () => undefined
  const opened = new Promise<void>((resolveOpen) => (release = resolveOpen))
  let held = 0
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = chunks.length === 0 ? null : Buffer.concat(chunks)
    const path = req.url ?? '/'
    if (hold(body?.toString('utf8') ?? '', path)) {
      held += 1
      await opened
    }
    const headers = Object.entries(req.headers).flatMap(([name, value]) =>
      ['host', 'content-length', 'connection'].includes(name) || value === undefined ? [] : [[name, String(value)] as [string, string]],
    )
    const answer = await fetch(`${target}${path}`, { method: req.method ?? 'GET', headers, ...(body === null ? {} : { body }) })
    const bytes = Buffer.from(await answer.arrayBuffer())
    const type = answer.headers.get('content-type')
    res.writeHead(answer.status, { ...(type === null ? {} : { 'content-type': type }), 'content-length': bytes.length })
    res.end(bytes)
  }
  const server = createServer((req, res) => {
    forward(req, res).catch(() => res.destroy())
  })
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => held,
    open: () => {
      release()
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections()
        server.close(() => {
          resolveClose()
        })
      }),
  }
}
