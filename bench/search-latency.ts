/**
 * The search benchmark's queries and their timing: a fixed set of queries picked by how
 * selective their words are, each run several times through the public `email.search`, as the
 * team and as a teammate whose view mixes every sharing level.
 */
import type { EmailIntegration } from '../src/index.js'
import { BENCH_ACCOUNTS, BENCH_ORGS } from './search-corpus.js'

/** One query of the set. */
export interface QueryCase {
  /** `selective`, `common`, `two-word`, `prefix` or `identity`, and a number. */
  readonly name: string
  readonly q: string
  readonly identity?: string
}

/** Latencies in milliseconds. */
export interface LatencySummary {
  readonly runs: number
  readonly p50: number
  readonly p95: number
  readonly max: number
}

/** One query's timing under one reader, and how many results it gave. */
export interface QueryTiming extends LatencySummary {
  readonly name: string
  readonly q: string
  readonly reader: string
  readonly results: number
  /** The `degraded` flag and reason of the answer, when it had them (hybrid only). */
  readonly degraded?: string
}

/** The timings of one mode: all queries together per reader, and each query. */
export interface ModeTimings {
  readonly team: LatencySummary
  readonly viewer: LatencySummary
  readonly all: LatencySummary
  readonly queries: readonly QueryTiming[]
}

/** The teammate the `viewer` timings read as: owner of a quarter of the mail, the rest at every level. */
export const BENCH_VIEWER = BENCH_ACCOUNTS[3]?.address ?? 'dee@team.example'

/**
 * The percentiles of some timings (nearest rank).
 *
 * @example
 * ```ts
 * latencySummary([3, 1, 2]) // { runs: 3, p50: 2, p95: 3, max: 3 }
 * ```
 */
export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => round(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0)
  return { runs: sorted.length, p50: at(0.5), p95: at(0.95), max: round(sorted.at(-1) ?? 0) }
}

const round = (ms: number) => Math.round(ms * 100) / 100

/**
 * The fixed query set, from the corpus's vocabulary by rank (0 is the most frequent word).
 *
 * @example
 * ```ts
 * benchQueries(corpus.vocabulary).map((c) => c.name) // ['selective-1', ..., 'identity-2']
 * ```
 */
export function benchQueries(vocabulary: readonly string[]): QueryCase[] {
  const word = (rank: number) => vocabulary[Math.min(rank, vocabulary.length - 1)] ?? 'ba'
  return [
    { name: 'selective-1', q: word(1000) },
    { name: 'selective-2', q: word(3000) },
    { name: 'selective-3', q: word(8000) },
    { name: 'common-1', q: word(0) },
    { name: 'common-2', q: word(4) },
    { name: 'common-3', q: word(30) },
    { name: 'two-word-1', q: `${word(1)} ${word(2)}` },
    { name: 'two-word-2', q: `${word(40)} ${word(900)}` },
    { name: 'two-word-3', q: `${word(300)} ${word(6000)}` },
    // The last word of every query is also a prefix; these are prefixes of a frequent and a rare word.
    { name: 'prefix-1', q: word(20).slice(0, 3) },
    { name: 'prefix-2', q: `${word(8)} ${word(2000).slice(0, 4)}` },
    { name: 'identity-1', q: word(2), identity: `org:${BENCH_ORGS - 1}` },
    { name: 'identity-2', q: word(5000), identity: 'org:7' },
  ]
}

/** How a mode is run: the options `email.search` gets besides the query. */
export interface TimingOptions {
  readonly mode?: 'keyword' | 'semantic' | 'hybrid'
  /** Timed runs per query and reader, after one untimed run. */
  readonly repeats: number
}

/**
 * Times every query as the team and as {@link BENCH_VIEWER}, `repeats` times each (the first
 * run of each, which fills caches, is not timed).
 *
 * @example
 * ```ts
 * const keyword = await timeQueries(email, benchQueries(corpus.vocabulary), { mode: 'keyword', repeats: 20 })
 * keyword.all.p95 // milliseconds
 * ```
 */
export async function timeQueries(email: EmailIntegration, queries: readonly QueryCase[], options: TimingOptions): Promise<ModeTimings> {
  const byReader: Record<'team' | 'viewer', number[]> = { team: [], viewer: [] }
  const timings: QueryTiming[] = []
  for (const reader of ['team', 'viewer'] as const) {
    for (const query of queries) {
      const searchOptions = {
        limit: 25,
        ...(options.mode === undefined ? {} : { mode: options.mode }),
        ...(query.identity === undefined ? {} : { identity: query.identity }),
        ...(reader === 'viewer' ? { viewer: BENCH_VIEWER } : {}),
      }
      const first = await email.search(query.q, searchOptions)
      const times: number[] = []
      for (let i = 0; i < options.repeats; i++) {
        const started = performance.now()
        await email.search(query.q, searchOptions)
        times.push(performance.now() - started)
      }
      byReader[reader].push(...times)
      const reason = first.degraded ? { degraded: first.reason ?? 'degraded' } : {}
      timings.push({ name: query.name, q: query.q, reader, results: first.items.length, ...latencySummary(times), ...reason })
    }
  }
  return {
    team: latencySummary(byReader.team),
    viewer: latencySummary(byReader.viewer),
    all: latencySummary([...byReader.team, ...byReader.viewer]),
    queries: timings,
  }
}
