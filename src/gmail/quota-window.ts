/**
 * The per-minute side of Gmail's per-user quota: a rolling window that holds every charge of
 * the last minute. Gmail states its per-user limit per minute (6,000 or 15,000 units), so a
 * burst may spend the minute's budget at once and must then wait until its charges leave the
 * window. The window rolls rather than starting on the minute: whatever minute Gmail counts
 * over, a user kept within every rolling minute is within it.
 */

/** The length of Gmail's per-user quota window. */
export const QUOTA_WINDOW_MS = 60_000

/** Float slack when comparing sums of units, as in the token bucket. */
const UNIT_EPSILON = 1e-9

interface Charge {
  readonly at: number
  readonly units: number
}

/**
 * Units charged within the last {@link QUOTA_WINDOW_MS}, against a budget. A charge larger than
 * the whole budget fits an empty window (and then fills it past the budget until it leaves),
 * so a tiny budget slows its user down instead of locking it out.
 *
 * @example
 * ```ts
 * const window = new RollingWindow(6000)
 * window.record(6000, now)
 * window.waitFor(20, now)         // 60_000: the first charge must leave the window
 * window.waitFor(20, now + 60_000) // 0
 * ```
 */
export class RollingWindow {
  readonly #charges: Charge[] = []
  #used = 0

  /**
   * @param budget - units allowed within any window; `Infinity` allows everything.
   * @param lengthMs - the window's length; Gmail's minute by default.
   */
  constructor(
    readonly budget: number,
    readonly lengthMs: number = QUOTA_WINDOW_MS,
  ) {}

  /** Units charged within the window that ends at `now`. */
  used(now: number): number {
    this.#expire(now)
    return this.#used
  }

  /** Milliseconds from `now` until `units` fit in the window; 0 when they fit now. */
  waitFor(units: number, now: number): number {
    if (this.budget === Infinity) return 0
    this.#expire(now)
    let excess = this.#used + Math.min(units, this.budget) - this.budget
    if (excess <= UNIT_EPSILON) return 0
    // A clock that stepped back can leave charges out of order: wait for the latest one freed.
    let leaves = now
    for (const charge of this.#charges) {
      leaves = Math.max(leaves, charge.at + this.lengthMs)
      excess -= charge.units
      if (excess <= UNIT_EPSILON) break
    }
    return leaves - now
  }

  /** Adds a charge of `units` made at `now`. */
  record(units: number, now: number): void {
    if (this.budget === Infinity || units <= 0) return
    this.#charges.push({ at: now, units })
    this.#used += units
  }

  #expire(now: number): void {
    let expired = 0
    while (expired < this.#charges.length && (this.#charges[expired]?.at ?? now) + this.lengthMs <= now) {
      this.#used -= this.#charges[expired]?.units ?? 0
      expired++
    }
    if (expired > 0) this.#charges.splice(0, expired)
    // Repeated subtraction of fractional units can drift a hair below zero.
    if (this.#charges.length === 0) this.#used = 0
  }
}
