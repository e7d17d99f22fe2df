/** The generator's options, defaults and limits, validated once. */

/** The seed used when none is given. */
export const DEFAULT_SEED = 20_260_601
/** How many days back the mail goes by default. */
export const DEFAULT_DAYS = 365
/** CRM threads by default: with the mail around them, about 3000 distinct messages. */
export const DEFAULT_THREADS = 670
/** Limits that keep a typo from generating millions of messages. */
const MAX_DAYS = 3650
const MAX_THREADS = 20_000

/** Non-CRM volume per CRM message: together about a third of the whole mailbox. */
export const SHARE = { newsletter: 0.24, personal: 0.12, internal: 0.13, spam: 0.012 } as const
/** Chance per CRM thread of one internal forward. */
export const FORWARD_CHANCE = 0.14
/** Chance per CRM thread that ends with an outsider's message of an unsent draft reply. */
export const DRAFT_CHANCE = 0.06

/** Options of `generateTeamMailbox`. */
export interface TeamMailboxOptions {
  /** PRNG seed (an integer); default {@link DEFAULT_SEED}. */
  readonly seed?: number
  /** The newest possible date: every message is dated at or before it. */
  readonly now: Date
  /** How many days back the mail goes (default 365). */
  readonly days?: number
  /** How many CRM threads (default {@link DEFAULT_THREADS}, about 3000 messages in all); the rest scales with it. */
  readonly threads?: number
}

/** The options resolved: `now` in epoch milliseconds, defaults filled in. */
export interface ResolvedOptions {
  readonly seed: number
  readonly now: number
  readonly days: number
  readonly threads: number
}

function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new TypeError(`Expected \`${name}\` to be an integer from 1 to ${max}, got ${String(value)}`)
  return value
}

/** Validates the options; a bad value throws naming the option and what it should be. */
export function resolveOptions(options: TeamMailboxOptions): ResolvedOptions {
  const now = options.now instanceof Date ? options.now.getTime() : Number.NaN
  if (!Number.isFinite(now)) throw new TypeError('Expected `now` to be a valid Date')
  const seed = options.seed ?? DEFAULT_SEED
  if (!Number.isSafeInteger(seed)) throw new TypeError(`Expected \`seed\` to be an integer, got ${String(seed)}`)
  return {
    seed,
    now,
    days: positiveInteger('days', options.days ?? DEFAULT_DAYS, MAX_DAYS),
    threads: positiveInteger('threads', options.threads ?? DEFAULT_THREADS, MAX_THREADS),
  }
}
