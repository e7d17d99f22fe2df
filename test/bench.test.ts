import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { QuotaBound } from '../bench/quota-bound.js'
import type { ScenarioResult } from '../bench/scenario.js'

const root = resolve(import.meta.dirname, '..')
const tsx = resolve(root, 'node_modules/.bin/tsx')
/** The quick run takes about 20 s on its own; a busy machine may stretch it. */
const RUN_TIMEOUT_MS = 150_000

interface BenchOutput {
  readonly benchmark: string
  readonly settings: { readonly size: string; readonly seed: number; readonly scenarios: readonly { readonly name: string }[] }
  readonly definitions: Readonly<Record<string, string>>
  readonly summary: Readonly<Record<string, ScenarioResult['ratios']>>
  readonly scenarios: readonly ScenarioResult[]
}

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, ['bench/run.ts', ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`bench/run.ts ${args.join(' ')} did not finish in ${RUN_TIMEOUT_MS} ms; stderr:\n${stderr}`))
    }, RUN_TIMEOUT_MS)
    child.once('error', fail)
    child.once('exit', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)
const mailboxes = (bound: QuotaBound) => Object.values(bound.perMailbox)

describe('npm run bench --quick', () => {
  let output: BenchOutput

  beforeAll(async () => {
    const run = await runBench(['--quick'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/\[bench\] done/)
    output = JSON.parse(run.stdout) as BenchOutput
  }, RUN_TIMEOUT_MS)

  it('prints one JSON object with the settings, the definitions, and both cost tables', () => {
    expect(output.benchmark).toBe('sync')
    expect(output.settings.size).toBe('small')
    // Each table at the library's default rate under it.
    expect(output.scenarios.map((s) => s.name)).toEqual(['legacy-225', '2026-90'])
    expect(Object.keys(output.summary)).toEqual(['legacy-225', '2026-90'])
    for (const key of ['bound', 'library', 'naive', 'naiveHeadersFirst', 'traffic', 'ratios']) expect(output.definitions[key]).toEqual(expect.any(String))
    const [legacy, current] = output.scenarios
    expect(legacy).toMatchObject({ costTable: 'legacy', rateUnitsSec: 225, costs: { get: 5, list: 5 }, parallelAccounts: 3 })
    expect(current).toMatchObject({ costTable: '2026', rateUnitsSec: 90, costs: { get: 20, list: 5 } })
    for (const s of output.scenarios) {
      for (const run of [s.library, s.naive, s.naiveHeadersFirst]) {
        for (const value of [run.seconds, run.units, run.httpRequests, run.bytesDownloaded]) expect(Number.isFinite(value)).toBe(true)
      }
      expect(s.ratios.naiveOverLibrary.units).toBeCloseTo(s.naive.units / s.library.units, 2)
      expect(s.ratios.libraryUnitsOverMinimum).toBeCloseTo(s.library.units / s.bound.minimumUnits, 2)
    }
  })

  it('computes the bound as it defines it: listing, one header read per listed message, one content read per CRM message', () => {
    for (const { workload, bound, costs, pageSize } of output.scenarios) {
      const all = mailboxes(bound)
      expect(all).toHaveLength(workload.mailboxes)
      expect(sum(all.map((m) => m.listed))).toBe(workload.listedCopies)
      expect(sum(all.map((m) => m.contentReads))).toBe(workload.crmMessages)
      for (const m of all) {
        expect(m.pages).toBe(Math.max(1, Math.ceil(m.listed / pageSize)))
        expect(m.mandatoryUnits).toBe(costs.profile + m.pages * costs.list + m.listed * costs.get)
        expect(m.minimumUnits).toBe(m.mandatoryUnits + m.contentReads * costs.get)
      }
      expect(bound.minimumUnits).toBe(sum(all.map((m) => m.minimumUnits)))
      expect(bound.seconds.allAccountsParallel).toBeLessThanOrEqual(bound.seconds.libraryParallelism)
    }
  })

  it('the library captures exactly the CRM mail, with every copy and attachment, and no run fails', () => {
    for (const { name, workload, library } of output.scenarios) {
      expect(library.runs, name).toEqual({ ok: workload.mailboxes })
      expect(library.failed, name).toBe(0)
      expect(library.crmMissing, name).toBe(0)
      expect(library.crmCaptured, name).toBe(workload.crmMessages)
      expect(library.nonCrmCaptured, name).toBe(0)
      expect(library.captured, name).toBe(workload.crmCopies)
      expect(library.attachmentsStored, name).toBe(workload.crmAttachments)
      expect(library.listed, name).toBe(workload.listedCopies)
    }
  })

  it('the library spends at least the minimum, and beyond it only on downloading a CRM message again', () => {
    for (const { name, workload, bound, costs, library } of output.scenarios) {
      expect(library.units, name).toBeGreaterThanOrEqual(bound.minimumUnits)
      expect(library.contentDownloads, name).toBeGreaterThanOrEqual(workload.crmMessages)
      expect(library.contentDownloads, name).toBeLessThanOrEqual(workload.crmCopies)
      expect(library.redundantDownloads, name).toBe(library.contentDownloads - workload.crmMessages)
      expect(library.units - bound.minimumUnits, name).toBe(library.redundantDownloads * costs.get)
    }
  })

  it('the library downloads fewer bytes and contents than the naive sync, and spends fewer units than a naive matched-mode sync', () => {
    for (const { name, workload, library, naive, naiveHeadersFirst } of output.scenarios) {
      // The baselines did the work: read every listed message and picked out the CRM mail.
      for (const baseline of [naive, naiveHeadersFirst]) {
        expect(baseline.listed, name).toBe(workload.listedCopies)
        expect(baseline.crmMatched, name).toBe(workload.crmMessages)
        expect(baseline.wouldStore, name).toBe(workload.crmCopies)
      }
      expect(naive.fetched, name).toBe(workload.listedCopies)
      expect(naiveHeadersFirst.fetched, name).toBe(workload.crmCopies)

      expect(library.bytesDownloaded, name).toBeLessThan(naive.bytesDownloaded)
      expect(library.contentDownloads, name).toBeLessThan(naive.contentDownloads)
      expect(library.contentDownloads, name).toBeLessThan(naiveHeadersFirst.contentDownloads)
      expect(library.httpRequests, name).toBeLessThan(naive.httpRequests)
      expect(library.units, name).toBeLessThan(naiveHeadersFirst.units)
    }
  })
})
