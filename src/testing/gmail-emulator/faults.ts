import type { GmailEmulatorMethod, ResolvedEmulatorOptions } from './options.js'
import type { SeededRandom } from './random.js'
import type { EmulatorResponse } from './responses.js'
import type { StatsRecorder } from './stats.js'

/** What to do to one request: fail it (or not), and how long to wait first. */
export interface FaultDecision {
  readonly failure: 'none' | 'serverError500' | 'serverError503' | 'rateLimit' | 'reset'
  readonly delayMs: number
}

const NO_FAULT: FaultDecision = { failure: 'none', delayMs: 0 }

/**
 * Seeded fault injection. A request's fate depends only on the seed, its method, its path
 * and query, and how many identical requests came before it, so a run replays the same
 * faults whatever order concurrent requests arrive in.
 */
export class FaultInjector {
  constructor(private faults: ResolvedEmulatorOptions['faults'], private readonly random: SeededRandom) {}

  /** Injects these faults from the next request on (none: an outage is over). */
  replace(faults: ResolvedEmulatorOptions['faults']): void {
    this.faults = faults
  }

  /** Decides the fate of one request; `resettable` is false inside a batch (a part has no socket). */
  roll(method: GmailEmulatorMethod, target: string, resettable: boolean): FaultDecision {
    const f = this.faults
    if (!f.methods.has(method) || f.serverError + f.rateLimit + f.reset + f.slow === 0) return NO_FAULT
    const key = this.random.next(`fault:${method}:${target}`)
    const delayMs = this.random.unit(`${key}:slow`) < f.slow ? f.slowMs : 0
    const draw = this.random.unit(`${key}:kind`)
    let failure: FaultDecision['failure'] = 'none'
    if (draw < f.serverError) failure = this.random.unit(`${key}:code`) < 0.5 ? 'serverError500' : 'serverError503'
    else if (draw < f.serverError + f.rateLimit) failure = 'rateLimit'
    else if (draw < f.serverError + f.rateLimit + f.reset && resettable) failure = 'reset'
    return { failure, delayMs }
  }
}

/**
 * The answer to a request whose rolled fault is a reset: the fault is counted and the answer
 * marked, so the server sends half of it and drops the connection. Any other answer is as it was.
 */
export function withRolledReset(stats: StatsRecorder, fault: FaultDecision, response: EmulatorResponse): EmulatorResponse {
  if (fault.failure !== 'reset') return response
  stats.fault('reset')
  return { ...response, reset: true }
}
