import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createEmailIntegration } from '../../src/index.js'
import { MIGRATION_TABLE } from '../../src/db/migrate.js'
import { PG_URL, openPostgres, type TestDatabase } from '../helpers/databases.js'
import type { MigrateTarget } from '../helpers/migrate-child.js'
import { SCHEMA_SPEC } from '../helpers/schema-spec.js'
import { buildSyncChild, openSqliteFile, seededRandom } from '../helpers/sync/process.js'

/** Databases killed between two statements of their migration (twice each), per dialect. */
const STATEMENT_KILLS = 6
/** Databases killed at a random instant of their migration, per dialect. */
const TIMED_KILLS = 2

/** A fresh database and how a child process reaches it. */
interface Target {
  readonly t: TestDatabase
  readonly child: MigrateTarget
}

async function freshTarget(dialect: 'sqlite' | 'postgres'): Promise<Target> {
  if (dialect === 'sqlite') {
    const file = openSqliteFile()
    return { t: file, child: { sqlite: file.path } }
  }
  const t = await openPostgres()
  return { t, child: { postgres: { url: PG_URL, schema: t.schema ?? '' } } }
}

/** The library's tables present, by name (the host has none in these databases). */
async function libraryTables(t: TestDatabase): Promise<Map<string, Set<string>>> {
  const tables = await t.db.introspection.getTables()
  const ours = tables.filter((table) => (t.schema === null || table.schema === t.schema) && (table.name === 'emails' || table.name.startsWith('email_')))
  return new Map(ours.map((table) => [table.name, new Set(table.columns.map((c) => c.name))]))
}

/**
 * `none` when nothing of the library is there, `complete` when every table and column of the
 * schema and every migration's bookkeeping row is, or what a half-made state lacks.
 */
async function schemaState(t: TestDatabase, migrations: readonly string[]): Promise<string> {
  const tables = await libraryTables(t)
  if (tables.size === 0) return 'none'
  const missing: string[] = []
  for (const [table, columns] of Object.entries(SCHEMA_SPEC)) {
    const found = tables.get(table)
    if (found === undefined) missing.push(table)
    else for (const column of Object.keys(columns)) if (!found.has(column)) missing.push(`${table}.${column}`)
  }
  if (!tables.has(MIGRATION_TABLE)) return `half-made: no ${MIGRATION_TABLE}; tables ${[...tables.keys()].sort().join(', ')}`
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(t.db)
  const recorded = rows.map((r) => r.name)
  if (missing.length > 0 || recorded.join() !== migrations.join()) return `half-made: missing ${missing.join(', ')}; recorded ${recorded.join(', ')}`
  return 'complete'
}

/** A child migrating `target`, its output, and a way to kill it. */
function startChild(script: string, target: MigrateTarget) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, MIGRATE_CHILD: JSON.stringify(target) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const changed = new Set<() => void>()
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    for (const wake of changed) wake()
  }
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('close', (_code, signal) => {
      resolve(signal)
    })
  })
  return {
    output: () => output,
    /** Resolves once it printed `ready`, or `false` when it exited first. */
    ready: () =>
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (output.includes('ready')) resolve(true)
        }
        changed.add(check)
        check()
        void exited.then(() => {
          resolve(output.includes('ready'))
        })
      }),
    kill: async () => {
      child.kill('SIGKILL')
      return exited
    },
    exited,
  }
}

/** `[milliseconds, statements]` of a child that finished its migration. */
function measured(output: string): [number, number] {
  const match = /migrated (\d+) (\d+)/.exec(output)
  if (match === null) throw new Error(`the child did not finish its migration: ${output}`)
  return [Number(match[1]), Number(match[2])]
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  const enabled = dialect === 'sqlite' || PG_URL !== ''
  describe.skipIf(!enabled)(`migrate() killed with SIGKILL [${dialect}]`, () => {
    let built: Awaited<ReturnType<typeof buildSyncChild>>
    const open: TestDatabase[] = []
    beforeAll(async () => {
      built = await buildSyncChild('migrate-child')
    })
    afterAll(() => {
      built.remove()
    })
    afterEach(async () => {
      for (const t of open.splice(0)) await t.close()
    })

    /** Kills one child migrating `target` at `point`; whether it was cut short, and the state it left. */
    async function killAt(target: Target, migrations: readonly string[], point: { readonly afterStatements?: number; readonly delayMs?: number }): Promise<boolean> {
      const child = startChild(built.script, { ...target.child, ...(point.afterStatements === undefined ? {} : { killAfter: point.afterStatements }) })
      expect(await child.ready(), child.output()).toBe(true)
      if (point.delayMs !== undefined) await sleep(point.delayMs)
      const signal = point.delayMs === undefined ? await child.exited : await child.kill()
      const finished = child.output().includes('migrated')
      expect(finished || signal === 'SIGKILL', child.output()).toBe(true)
      // Killed after its commit but before it printed, a child leaves everything too.
      const allowed = finished ? ['complete'] : ['none', 'complete']
      expect(allowed, `killed at ${JSON.stringify(point)}: ${child.output()}`).toContain(await schemaState(target.t, migrations))
      return !finished
    }

    async function finishAndCheck(target: Target, migrations: readonly string[]): Promise<void> {
      const email = createEmailIntegration({ db: target.t.db, config: { workspaceDomains: ['fund.example'] }, directory: () => Promise.resolve([]) })
      await email.migrate()
      expect(await schemaState(target.t, migrations)).toBe('complete')
      expect((await email.migrate()).applied).toEqual([])
      await email.accounts.enroll('ann@fund.example')
      await target.t.close()
      open.splice(open.indexOf(target.t), 1)
    }

    it('leaves nothing or everything wherever it dies, and the next migrate() completes', async () => {
      // A whole migration of a fresh database in a child: how long it takes, its statements, what it records.
      const reference = await freshTarget(dialect)
      open.push(reference.t)
      const clean = startChild(built.script, reference.child)
      await clean.exited
      const [spanMs, statements] = measured(clean.output())
      const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(reference.t.db)
      const migrations = rows.map((r) => r.name)
      expect(migrations.length).toBeGreaterThanOrEqual(4)

      // Between two statements, spread over the whole migration (each migration's DDL, its bookkeeping row,
      // the commit), twice on the same database before it is finished; then at random instants, mid-statement.
      const random = seededRandom(dialect === 'sqlite' ? 20_261_202 : 20_261_203)
      let interrupted = 0
      for (let i = 0; i < STATEMENT_KILLS; i++) {
        const slice = statements / STATEMENT_KILLS
        const first = Math.max(1, Math.floor(i * slice) + random(0, Math.max(0, Math.floor(slice) - 1)))
        const target = await freshTarget(dialect)
        open.push(target.t)
        for (const afterStatements of [first, Math.min(statements, first + random(1, 20))]) {
          if (await killAt(target, migrations, { afterStatements })) interrupted += 1
        }
        await finishAndCheck(target, migrations)
      }
      expect(interrupted).toBeGreaterThanOrEqual(STATEMENT_KILLS * 2 - 1)
      for (let i = 0; i < TIMED_KILLS; i++) {
        const target = await freshTarget(dialect)
        open.push(target.t)
        await killAt(target, migrations, { delayMs: random(0, Math.ceil(spanMs * 1.2)) })
        await finishAndCheck(target, migrations)
      }
      console.log(`[${dialect}] migrate() of a fresh database: ${spanMs} ms, ${statements} statements`)
    }, 300_000)
  })
}
