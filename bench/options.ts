/**
 * The benchmark's settings, from command-line flags and environment variables (flags win).
 *
 *   --size=small|default|large   BENCH_SIZE       how much mail (`--quick` is `--size=small`)
 *   --scenario=legacy|2026|all   BENCH_SCENARIO   which cost tables to run (default all)
 *   --threads=N                  BENCH_THREADS    CRM threads per scenario, overriding the size
 *   --seed=N                     BENCH_SEED       the mail generator's and the emulator's seed
 */
import { resolveConfig } from 'crm-email-integration'
import { quotaRegimeOf } from '../src/config-quota.js'

/** A cost table and rate, with the mail to sync under them. */
export interface Scenario {
  /** `legacy-225`, `2026-90`: the cost table and the library's units per second. */
  readonly name: string
  readonly costs: 'legacy' | '2026'
  /**
   * Units per second per mailbox the library spends and the naive syncs pace at: the library's
   * default under the table (90% of Gmail's per-user limit).
   */
  readonly rateUnitsSec: number
  /** Gmail's per-user limit under the table, per minute; the emulator enforces it (and a sixtieth of it per second). */
  readonly limitUnitsMin: number
  /** CRM threads of the generated team mailbox (the other mail scales with it). */
  readonly threads: number
}

/** Everything a run needs to know. */
export interface BenchSettings {
  readonly size: BenchSize
  readonly seed: number
  /** The newest date of the generated mail: fixed, so the same seed gives byte-identical mail. */
  readonly mailNow: Date
  readonly scenarios: readonly Scenario[]
}

/** How much mail each scenario syncs. */
export type BenchSize = 'small' | 'default' | 'large'

const SIZES: readonly BenchSize[] = ['small', 'default', 'large']
const SCENARIO_NAMES = ['legacy', '2026', 'all'] as const
type ScenarioChoice = (typeof SCENARIO_NAMES)[number]

/**
 * The cost table Gmail published before 2026 (get 5) and the 2026 one (get 20), each at the
 * library's default rate under the table's per-user limit (225 and 90 units/s). At 2026 costs
 * a message read takes four times the quota at well under half the rate, so that scenario
 * gets much less mail.
 */
const THREADS: Readonly<Record<BenchSize, { legacy: number; '2026': number }>> = {
  small: { legacy: 12, '2026': 6 },
  default: { legacy: 120, '2026': 16 },
  large: { legacy: 670, '2026': 100 },
}

/** The seed of `npm run demo`, so the benchmark's mail is the demo's mail. */
const DEFAULT_SEED = 2026
const MAIL_NOW = new Date('2026-06-01T12:00:00Z')
/** Beyond the generator's own cap this only makes a run take hours. */
const MAX_THREADS = 5000

/** A bad flag or variable; the entry point prints it and exits 2. */
export class UsageError extends Error {}

function flagValue(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`
  const found = argv.findLast((a) => a.startsWith(prefix))
  return found?.slice(prefix.length)
}

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  }
  return value
}

function oneOf<T extends string>(name: string, text: string | undefined, choices: readonly T[], fallback: T): T {
  if (text === undefined || text === '') return fallback
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`${name}: expected one of ${choices.join(', ')}, got ${JSON.stringify(text)}`)
  return text as T
}

/** Reads the settings; throws {@link UsageError} naming the flag or variable that is wrong. */
export function readSettings(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchSettings {
  const known = ['--quick', '--size=', '--scenario=', '--threads=', '--seed=']
  const unknown = argv.filter((a) => !known.some((k) => (k.endsWith('=') ? a.startsWith(k) : a === k)))
  if (unknown.length > 0) throw new UsageError(`unknown argument ${unknown.join(' ')}; use ${known.join(' ')}`)
  const size = argv.includes('--quick') ? 'small' : oneOf('--size (BENCH_SIZE)', flagValue(argv, 'size') ?? env.BENCH_SIZE, SIZES, 'default')
  const choice: ScenarioChoice = oneOf('--scenario (BENCH_SCENARIO)', flagValue(argv, 'scenario') ?? env.BENCH_SCENARIO, SCENARIO_NAMES, 'all')
  const threads = integer('--threads (BENCH_THREADS)', flagValue(argv, 'threads') ?? env.BENCH_THREADS, 1, MAX_THREADS)
  const seed = integer('--seed (BENCH_SEED)', flagValue(argv, 'seed') ?? env.BENCH_SEED, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_SEED
  const tables = choice === 'all' ? (['legacy', '2026'] as const) : [choice]
  return {
    size,
    seed,
    mailNow: MAIL_NOW,
    scenarios: tables.map((costs) => {
      // The library's own default under the table, and the limit Gmail enforces under it.
      const { rateUnitsSec, quotaCosts } = resolveConfig({ quotaCosts: costs })
      return {
        name: `${costs}-${rateUnitsSec}`,
        costs,
        rateUnitsSec,
        limitUnitsMin: quotaRegimeOf(quotaCosts).limitUnitsMin,
        threads: threads ?? THREADS[size][costs],
      }
    }),
  }
}
