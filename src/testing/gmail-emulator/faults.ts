import type { GmailEmulatorMethod, ResolvedEmulatorOptions } from './options.js'
import type { SeededRandom } from './random.js'

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
