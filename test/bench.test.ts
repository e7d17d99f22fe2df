import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { LibraryResult } from '../bench/library-sync.js'
import type { ScenarioResult } from '../bench/scenario.js'
import type { SearchBenchRun } from '../bench/search-run.js'

const root = resolve(import.meta.dirname, '..')
const tsx = resolve(root, 'node_modules/.bin/tsx')
/** The quick run takes well under a minute on its own; a busy machine may stretch it. */
const RUN_TIMEOUT_MS = 240_000

interface BenchOutput {
  readonly benchmark: string
  readonly settings: { readonly size: string; readonly seed: number; readonly scenarios: readonly { readonly name: string }[] }
  readonly definitions: Readonly<Record<string, string>>
  readonly summary: Readonly<Record<string, unknown>>
  readonly scenarios: readonly ScenarioResult[]
  readonly search: readonly SearchBenchRun[] | null
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

/** Every CRM copy stored exactly once, nothing else, every attachment of the CRM mail, no run failed. */
function expectExactCapture(name: string, s: ScenarioResult, run: LibraryResult): void {
  const { workload } = s
  expect(run.runs, name).toEqual({ ok: workload.mailboxes })
  expect(run.failed, name).toBe(0)
  expect(run.crmMissing, name).toBe(0)
  expect(run.crmCaptured, name).toBe(workload.crmMessages)
  expect(run.nonCrmCaptured, name).toBe(0)
  expect(run.crmCopiesMissing, name).toBe(0)
  expect(run.nonCrmCopies, name).toBe(0)
  expect(run.duplicateCopies, name).toBe(0)
  expect(run.copiesStored, name).toBe(workload.crmCopies)
  expect(run.captured, name).toBe(workload.crmCopies)
  expect(run.attachmentsStored, name).toBe(workload.crmAttachments)
  expect(run.attachmentsPending, name).toBe(0)
}

describe('npm run bench --quick', () => {
  let output: BenchOutput

  beforeAll(async () => {
    const run = await runBench(['--quick'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/\[bench [\d.]+s\] done/)
    output = JSON.parse(run.stdout) as BenchOutput
  }, RUN_TIMEOUT_MS)

  it('prints one JSON object with the settings, the definitions, and scenarios under both cost tables', () => {
    expect(output.benchmark).toBe('sync')
    expect(output.settings.size).toBe('small')
    expect(output.scenarios.map((s) => s.name)).toEqual(['legacy-225-crm10', 'legacy-225-crm20', '2026-90-crm60'])
    expect(Object.keys(output.summary)).toEqual(output.scenarios.map((s) => s.name))
    for (const key of ['floor', 'workload', 'search', 'headers', 'naive', 'naiveHeadersFirst', 'incremental', 'traffic', 'ratios']) {
      expect(output.definitions[key], key).toEqual(expect.any(String))
    }
    const [legacy, , current] = output.scenarios
    expect(legacy).toMatchObject({ costTable: 'legacy', rateUnitsSec: 225, costs: { get: 5, list: 5 }, parallelAccounts: 3, crmPercent: 10 })
    expect(current).toMatchObject({ costTable: '2026', rateUnitsSec: 90, costs: { get: 20, list: 5 }, crmPercent: 60 })
    for (const s of output.scenarios) {
      expect(s.search.strategy).toBe('search')
      expect(s.headers.strategy).toBe('headers')
      expect(s.ratios.searchOverFloor.units).toBeCloseTo(s.search.units / s.floor.units, 2)
      expect(s.ratios.headersOverSearch.units).toBeCloseTo(s.headers.units / s.search.units, 2)
    }
  })

  it('generates the asked share of CRM mail, with the traps the capture must get right', () => {
    for (const { name, workload, crmPercent } of output.scenarios) {
      expect(Object.values(workload.listedByMailbox).every((n) => n > 0), name).toBe(true)
      expect(sum(Object.values(workload.crmCopiesByMailbox)), name).toBe(workload.crmCopies)
      expect(Math.abs(workload.crmShareActualPercent - crmPercent), name).toBeLessThan(10)
      expect(workload.falsePositiveCopies, name).toBeGreaterThan(0)
      expect(workload.kinds['reply-to-only'], name).toBeGreaterThan(0)
      expect(workload.kinds.draft, name).toBeGreaterThan(0)
      expect(workload.copiesOver1MB, name).toBeGreaterThan(workload.crmCopiesOver1MB)
    }
    expect(output.scenarios.some((s) => s.workload.crmCopiesOver10MB > 0)).toBe(true)
    // CRM threads cross the mailboxes: some CRM mail has a copy in both.
    expect(output.scenarios.some((s) => s.workload.crmCopies > s.workload.crmMessages)).toBe(true)
  })

  it('computes the floor as it defines it: the list pages, one get per CRM copy, one getProfile per mailbox', () => {
    for (const { workload, floor, costs, pageSize } of output.scenarios) {
      const all = Object.values(floor.perMailbox)
      expect(all).toHaveLength(workload.mailboxes)
      expect(sum(all.map((m) => m.listed))).toBe(workload.listedCopies)
      expect(sum(all.map((m) => m.crmCopies))).toBe(workload.crmCopies)
      for (const m of all) {
        expect(m.pages).toBe(Math.max(1, Math.ceil(m.listed / pageSize)))
        expect(m.units).toBe(costs.profile + m.pages * costs.list + m.crmCopies * costs.get)
      }
      expect(floor.units).toBe(sum(all.map((m) => m.units)))
    }
  })

  it('both strategies capture every CRM copy exactly once and nothing else: no drafts, spam, blocklisted or Reply-To-only mail', () => {
    for (const s of output.scenarios) {
      expectExactCapture(`${s.name} search`, s, s.search)
      expectExactCapture(`${s.name} headers`, s, s.headers)
    }
  })

  it('the search spends at least the floor and less than the header-first capture', () => {
    for (const { name, floor, search, headers } of output.scenarios) {
      expect(search.units, name).toBeGreaterThanOrEqual(floor.units)
      expect(search.units, name).toBeLessThan(headers.units)
      expect(search.calls['messages.get'] ?? 0, name).toBeLessThan(headers.calls['messages.get'] ?? 0)
    }
  })

  it('the search downloads only CRM copies and the false positives it counts as discarded', () => {
    for (const { name, workload, search } of output.scenarios) {
      expect(search.discarded, name).toBe(search.fetched - search.captured)
      expect(search.discarded, name).toBeLessThanOrEqual(workload.falsePositiveCopies)
      expect(search.contentDownloads, name).toBeLessThanOrEqual(workload.crmCopies + search.discarded)
      expect(search.recallMissed, name).toBe(0)
    }
  })

  it('the naive syncs did the work, and the search spends less than them', () => {
    const withNaive = output.scenarios.filter((s) => s.naive !== null)
    expect(withNaive.map((s) => s.name)).toEqual(['legacy-225-crm20'])
    for (const { name, workload, search, naive, naiveHeadersFirst } of withNaive) {
      if (naive === null || naiveHeadersFirst === null) throw new Error('naive syncs missing')
      for (const baseline of [naive, naiveHeadersFirst]) {
        expect(baseline.listed, name).toBe(workload.listedCopies)
        expect(baseline.crmMatched, name).toBe(workload.crmMessages)
        expect(baseline.wouldStore, name).toBe(workload.crmCopies)
      }
      expect(naive.fetched, name).toBe(workload.listedCopies)
      expect(naiveHeadersFirst.fetched, name).toBe(workload.crmCopies)
      expect(search.bytesDownloaded, name).toBeLessThan(naive.bytesDownloaded)
      expect(search.contentDownloads, name).toBeLessThan(naive.contentDownloads)
      expect(search.units, name).toBeLessThan(naiveHeadersFirst.units)
    }
  })

  it('the search benchmark measures keyword search on each database over a generated corpus, and indexing where it exists', () => {
    const runs = output.search ?? []
    expect(runs.map((r) => `${r.dialect}:${r.emails}`)).toEqual(process.env.EMAIL_TEST_PG_URL ? ['sqlite:1000', 'postgres:1000'] : ['sqlite:1000'])
    for (const { dialect, corpus, keyword, vectors } of runs) {
      // About 5% hidden, some private threads, some mail in two mailboxes: the corpus the definitions describe.
      expect(corpus.hidden, dialect).toBeGreaterThan(10)
      expect(corpus.hidden, dialect).toBeLessThan(100)
      expect(corpus.copies, dialect).toBeGreaterThan(corpus.emails)
      expect(keyword.queries, dialect).toHaveLength(26)
      for (const q of keyword.queries) {
        expect(q.runs, `${dialect} ${q.name}`).toBe(3)
        expect(q.p95, `${dialect} ${q.name}`).toBeGreaterThanOrEqual(q.p50)
      }
      // The most frequent word is in nearly every email: a full page for the team and the teammate alike.
      for (const q of keyword.queries.filter((c) => c.name === 'common-1')) expect(q.results, `${dialect} ${q.reader}`).toBe(25)
      // A word of rank 1,000 is in some emails, not in most.
      for (const q of keyword.queries.filter((c) => c.name === 'selective-1')) {
        expect(q.results, `${dialect} ${q.reader}`).toBeGreaterThan(0)
        expect(q.results, `${dialect} ${q.reader}`).toBeLessThan(25)
      }
      expect(keyword.all.runs, dialect).toBe(keyword.team.runs + keyword.viewer.runs)
      if ('skipped' in vectors) {
        expect(vectors.skipped, dialect).toMatch(/not landed|not accepted|failed/)
      } else {
        // Every visible email embedded once, none hidden.
        expect(vectors.embedded, dialect).toBe(corpus.emails - corpus.hidden)
        expect(vectors.chunks, dialect).toBeGreaterThanOrEqual(vectors.embedded)
        expect(vectors.hybrid.queries, dialect).toHaveLength(26)
      }
    }
  })

  it('the incremental sync captures the new CRM copies exactly once under each decision, each at its own cost', () => {
    const withNew = output.scenarios.filter((s) => s.incremental.length > 0)
    expect(withNew.map((s) => s.name)).toEqual(['legacy-225-crm20'])
    for (const { name, incremental } of withNew) {
      expect(incremental.map((i) => i.decision), name).toEqual(['auto', 'headers', 'search'])
      for (const run of incremental) {
        const label = `${name} ${run.decision}`
        expect(run.counters.runs, label).toEqual({ ok: 2 })
        expect(run.counters.kinds, label).toEqual({ incremental: 2 })
        expect(run.newCrmCopies, label).toBeGreaterThan(0)
        expect(run.counters.captured, label).toBe(run.newCrmCopies)
        expect(run.stored.crmCopiesMissing, label).toBe(0)
        expect(run.stored.nonCrmCopies, label).toBe(0)
        expect(run.stored.duplicateCopies, label).toBe(0)
        // History also reports the new spam, which messages.list leaves out.
        expect(run.gets, label).toBeLessThanOrEqual(run.counters.listed + run.newCrmCopies)
      }
      const [auto, headers, search] = incremental
      if (auto === undefined || headers === undefined || search === undefined) throw new Error('a decision is missing')
      // Headers read every new message; the search lists instead and reads the content of its candidates only.
      expect(headers.gets, name).toBeGreaterThanOrEqual(headers.counters.listed)
      expect(search.gets, name).toBeLessThan(headers.gets)
      expect(search.lists, name).toBeGreaterThan(headers.lists)
      expect(auto.traffic.units, name).toBeLessThanOrEqual(Math.max(headers.traffic.units, search.traffic.units))
    }
  })
})
