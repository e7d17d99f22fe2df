/**
 * The crash tests of the data lifecycle (account removal, retention): a child process runs the
 * action on the sharing world and is killed with SIGKILL after its N-th statement, at several N
 * and at a random instant, on both dialects. Each time, no stored email may be half deleted, and
 * running the action again must end exactly where a run never interrupted ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PG_URL, openPostgres, type TestDatabase } from '../helpers/databases.js'
import { sharingWorld, type SharingWorld } from '../helpers/sharing-world.js'
import { buildSyncChild, openSqliteFile, seededRandom } from '../helpers/sync/process.js'
import type { LifecycleTarget } from './lifecycle-crash-child.js'
import { halfDeleted, lifecycleSnapshot } from './lifecycle-checks.js'
import { runKillableChild } from '../helpers/kill-child.js'

/** A fresh sharing world in a database a child can open, and the child's settings for it. */
export interface CrashTarget {
  readonly t: TestDatabase
  readonly w: SharingWorld
  readonly child: Omit<LifecycleTarget, 'killAfter'>
}

/** What one crash suite runs, checks and finishes. */
export interface CrashSuite {
  readonly title: string
  /** The action and its settings (address, retention days, clock). */
  readonly action: Pick<LifecycleTarget, 'action' | 'address' | 'retentionDays' | 'now'>
  /** What an uninterrupted run reports. */
  readonly expectReport: (report: Record<string, unknown>) => void
  /** Checks a killed run's state beyond "no email half deleted". */
  readonly afterKill?: (target: CrashTarget, when: string) => Promise<void>
  /**
   * Whether a killed run stopped midway (some of its work committed, not all): at least one kill
   * point must, or the points missed the stages that need finishing.
   */
  readonly midway: (target: CrashTarget) => Promise<boolean>
  /** Runs the action again in the parent, as the next call or the scheduler would. */
  readonly finish: (target: CrashTarget) => Promise<void>
  readonly seed: number
}

async function freshTarget(dialect: 'sqlite' | 'postgres', action: CrashSuite['action']): Promise<CrashTarget> {
  const file = dialect === 'sqlite' ? openSqliteFile() : null
  const t = file ?? (await openPostgres())
  const w = await sharingWorld(t)
  const database = file === null ? { postgres: { url: PG_URL, schema: t.schema ?? '' } } : { sqlite: file.path }
  return { t, w, child: { ...database, dir: w.attachmentsDir, ...action } }
}

async function closeTarget(target: CrashTarget): Promise<void> {
  await target.w.close()
  await target.t.close()
}

/** Runs a child on `target`, killed after `killAfter` statements or `delayMs` after it is ready. */
function runChild(script: string, target: LifecycleTarget, delayMs?: number): Promise<string> {
  return runKillableChild(script, 'LIFECYCLE_CHILD', target, delayMs)
}

/**
 * Where to kill a run of `statements` statements: each of the first three (the first
 * transaction), fifths of the way (the batches), and each of the last three (the last
 * transaction and the files). A world per point costs seconds, so the points are few.
 */
export function killPoints(statements: number): number[] {
  const spread = [1, 2, 3, ...[1, 2, 3, 4].map((k) => Math.round((statements * k) / 5)), statements - 2, statements - 1, statements]
  return [...new Set(spread)].filter((n) => n >= 1 && n <= statements).sort((a, b) => a - b)
}

/**
 * Declares the suite on both dialects: a whole run first (its report and its statement count),
 * then a run killed at each of {@link killPoints} and at a random instant, each checked and
 * finished, ending in the uninterrupted run's state.
 */
export function describeLifecycleCrashes(suite: CrashSuite): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe.skipIf(dialect === 'postgres' && PG_URL === '')(`${suite.title} [${dialect}]`, () => {
      let built: Awaited<ReturnType<typeof buildSyncChild>>
      beforeAll(async () => {
        built = await buildSyncChild('../erasure/lifecycle-crash-child')
      })
      afterAll(() => {
        built.remove()
      })

      it('leaves no email half deleted wherever it is killed, and running it again ends where an uninterrupted run ends', async () => {
        const reference = await freshTarget(dialect, suite.action)
        const clean = await runChild(built.script, reference.child)
        const match = /done (\{.*\}) (\d+)/.exec(clean)
        expect(match, clean).not.toBeNull()
        suite.expectReport(JSON.parse(match?.[1] ?? '{}') as Record<string, unknown>)
        const statements = Number(match?.[2])
        const expected = await lifecycleSnapshot(reference.t, reference.w.attachmentsDir)
        expect(await halfDeleted(reference.t, reference.w.attachmentsDir)).toEqual([])
        await closeTarget(reference)

        let midway = 0
        const check = async (target: CrashTarget, when: string) => {
          expect(await halfDeleted(target.t, target.w.attachmentsDir), when).toEqual([])
          await suite.afterKill?.(target, when)
          if (await suite.midway(target)) midway += 1
          await suite.finish(target)
          expect(await lifecycleSnapshot(target.t, target.w.attachmentsDir), `${when}, then run again`).toEqual(expected)
          await closeTarget(target)
        }
        for (const killAfter of killPoints(statements)) {
          const target = await freshTarget(dialect, suite.action)
          const output = await runChild(built.script, { ...target.child, killAfter })
          expect(output, `killed after ${killAfter} of ${statements} statements`).not.toContain('done')
          await check(target, `killed after ${killAfter} of ${statements} statements`)
        }
        const random = seededRandom(suite.seed + (dialect === 'sqlite' ? 0 : 1))
        const delayMs = random(0, 60)
        const target = await freshTarget(dialect, suite.action)
        await runChild(built.script, target.child, delayMs)
        await check(target, `killed ${delayMs} ms after it started`)
        expect(midway, `kill points that stopped a run midway, of ${statements} statements`).toBeGreaterThan(0)
      }, 600_000)
    })
  }
}
