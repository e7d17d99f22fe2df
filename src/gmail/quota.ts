/**
 * The per-account quota limiter: a token bucket in Gmail quota units that smooths calls over
 * each second, a rolling per-minute budget as Gmail states its per-user limit, and a cap on
 * requests in flight. One limiter serves every call of one account (mailbox), whichever client
 * or job makes it, because Gmail enforces these limits per user.
 */
import { ValidationError } from '../errors.js'
import { SYSTEM_CLOCK, type Clock } from '../hooks.js'
import { QUOTA_WINDOW_MS, RollingWindow } from './quota-window.js'

/**
 * Default cap on one account's requests in flight: Gmail answers 429 "Too many concurrent
 * requests for user" past about ten.
 */
export const DEFAULT_MAX_IN_FLIGHT = 10

/**
 * Float slack when comparing tokens: refilling by elapsed milliseconds can land a hair below
 * the amount needed, which would cost a needless extra 1 ms sleep.
 */
const TOKEN_EPSILON = 1e-9

/**
 * Waits `ms` milliseconds; rejects when `signal` aborts. Injected with a fake clock in tests so
 * that waits are asserted on virtual time, never on wall time.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

/** The default {@link Sleep}: a timer, cancelled by the signal. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

/** Settings of {@link createQuotaLimiter}. */
export interface QuotaLimiterOptions {
  /** Quota units per second the account may spend (`CRM_GMAIL_RATE_UNITS_SEC`); the bucket holds one second's worth. */
  readonly rateUnitsSec: number
  /**
   * Units the account may spend within any rolling minute; default 60 times `rateUnitsSec`.
   * Gmail's per-user limit is per minute: without this budget the bucket's first full second
   * would come on top of sixty seconds of refill. A budget below 60 times the rate lets a
   * burst run at the rate until the minute's budget is spent, then wait for the window to free.
   */
  readonly unitsPerMinute?: number
  /** Requests in flight at most; default {@link DEFAULT_MAX_IN_FLIGHT}. */
  readonly maxInFlight?: number
  /**
   * The time source; tests inject a fake one together with `sleep`. Wall time by default,
   * because Retry-After pauses are wall-clock dates from Google; a clock stepping backwards
   * only delays the refill (elapsed time is never negative).
   */
  readonly clock?: Clock
  /** How to wait; default {@link timerSleep}. */
  readonly sleep?: Sleep
}

/** A granted request slot; call `release()` when the request has ended (idempotent). */
export interface QuotaPermit {
  release(): void
}

/** The per-account limiter the Gmail client spends its quota through. */
export interface QuotaLimiter {
  /** Units per second (and the bucket's capacity). */
  readonly rateUnitsSec: number
  /** Units within any rolling minute. */
  readonly unitsPerMinute: number
  /** The in-flight cap. */
  readonly maxInFlight: number
  /** Requests holding a slot now. */
  readonly inFlight: number
  /** Calls waiting for a slot or for units. */
  readonly waiting: number
  /**
   * Waits for a slot and then for `units` in both the bucket and the minute's budget (first
   * come, first served, so a large batch charge is not starved by small calls), charges them,
   * and returns the slot. A charge larger than the bucket waits for a full bucket and leaves it
   * in debt, which later calls wait out; likewise one larger than the minute's budget.
   * Rejects with the signal's reason when `signal` aborts first.
   */
  acquire(units: number, signal?: AbortSignal): Promise<QuotaPermit>
  /**
   * Gmail said the account is over its rate: pause every call of the account until `until`
   * (its Retry-After time), or, without one, empty the bucket so calls wait for a refill.
   */
  backOff(until?: Date): void
}

interface TokenWaiter {
  readonly units: number
  readonly resolve: () => void
  readonly reject: (reason: unknown) => void
  readonly detach: () => void
}

interface SlotWaiter {
  readonly resolve: () => void
  readonly detach: () => void
}

function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`${name}: expected a positive number, got ${String(value)}`)
  }
  return value
}

class TokenBucketLimiter implements QuotaLimiter {
  readonly rateUnitsSec: number
  readonly unitsPerMinute: number
  readonly maxInFlight: number
  readonly #clock: Clock
  readonly #sleep: Sleep
  #tokens: number
  #lastRefill: number
  readonly #window: RollingWindow
  #pausedUntil = 0
  #slotsUsed = 0
  readonly #slotQueue: SlotWaiter[] = []
  readonly #tokenQueue: TokenWaiter[] = []
  #pumping = false
  #wake: AbortController | null = null

  constructor(options: QuotaLimiterOptions) {
    this.rateUnitsSec = positiveNumber('rateUnitsSec', options.rateUnitsSec)
    this.unitsPerMinute = positiveNumber('unitsPerMinute', options.unitsPerMinute ?? (this.rateUnitsSec * QUOTA_WINDOW_MS) / 1000)
    this.#window = new RollingWindow(this.unitsPerMinute)
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new ValidationError(`maxInFlight: expected an integer of at least 1, got ${String(maxInFlight)}`)
    }
    this.maxInFlight = maxInFlight
    this.#clock = options.clock ?? SYSTEM_CLOCK
    this.#sleep = options.sleep ?? timerSleep
    this.#tokens = this.rateUnitsSec
    this.#lastRefill = this.#now()
  }

  get inFlight(): number {
    return this.#slotsUsed
  }

  get waiting(): number {
    return this.#slotQueue.length + this.#tokenQueue.length
  }

  async acquire(units: number, signal?: AbortSignal): Promise<QuotaPermit> {
    if (typeof units !== 'number' || !Number.isFinite(units) || units < 0) {
      throw new ValidationError(`units: expected a non-negative number, got ${String(units)}`)
    }
    signal?.throwIfAborted()
    await this.#takeSlot(signal)
    try {
      await this.#takeTokens(units, signal)
    } catch (error) {
      this.#releaseSlot()
      throw error
    }
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        this.#releaseSlot()
      },
    }
  }

  backOff(until?: Date): void {
    if (until === undefined) {
      this.#refill()
      this.#tokens = Math.min(this.#tokens, 0)
    } else {
      this.#pausedUntil = Math.max(this.#pausedUntil, until.getTime())
    }
  }

  #now(): number {
    return this.#clock.now().getTime()
  }

  #refill(): void {
    const now = this.#now()
    const elapsed = Math.max(0, now - this.#lastRefill)
    this.#lastRefill = now
    this.#tokens = Math.min(this.rateUnitsSec, this.#tokens + (elapsed * this.rateUnitsSec) / 1000)
  }

  #takeSlot(signal: AbortSignal | undefined): Promise<void> {
    if (this.#slotsUsed < this.maxInFlight && this.#slotQueue.length === 0) {
      this.#slotsUsed++
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#slotQueue.indexOf(waiter)
        if (index >= 0) this.#slotQueue.splice(index, 1)
        reject(signal?.reason as Error)
      }
      const waiter: SlotWaiter = { resolve, detach: () => signal?.removeEventListener('abort', onAbort) }
      this.#slotQueue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #releaseSlot(): void {
    const next = this.#slotQueue.shift()
    if (next === undefined) {
      this.#slotsUsed--
      return
    }
    // The slot passes straight to the next waiter, so the count stays the same.
    next.detach()
    next.resolve()
  }

  #takeTokens(units: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error)
        return
      }
      const onAbort = (): void => {
        const index = this.#tokenQueue.indexOf(waiter)
        if (index < 0) return
        this.#tokenQueue.splice(index, 1)
        reject(signal?.reason as Error)
        // The head may have left: the pump must look again instead of sleeping for it.
        if (index === 0) this.#wake?.abort()
      }
      const waiter: TokenWaiter = { units, resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) }
      this.#tokenQueue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
      void this.#pump()
    })
  }

  /** Serves the token queue in order; one pump runs at a time and sleeps for the head only. */
  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      for (let head = this.#tokenQueue[0]; head !== undefined; head = this.#tokenQueue[0]) {
        this.#refill()
        const need = Math.min(head.units, this.rateUnitsSec)
        const pauseWait = this.#pausedUntil - this.#now()
        const tokenWait = this.#tokens + TOKEN_EPSILON >= need ? 0 : ((need - this.#tokens) * 1000) / this.rateUnitsSec
        const windowWait = this.#window.waitFor(head.units, this.#now())
        const wait = Math.max(pauseWait, tokenWait, windowWait)
        if (wait <= 0) {
          this.#tokenQueue.shift()
          this.#tokens -= head.units
          this.#window.record(head.units, this.#now())
          head.detach()
          head.resolve()
          continue
        }
        const wake = new AbortController()
        this.#wake = wake
        try {
          await this.#sleep(Math.ceil(wait), wake.signal)
        } catch {
          // Woken early because the head left; the loop looks at the new head.
        } finally {
          this.#wake = null
        }
      }
    } catch (error) {
      // Only a broken clock or sleep gets here; fail the waiters rather than hang them.
      for (const waiter of this.#tokenQueue.splice(0)) {
        waiter.detach()
        waiter.reject(error)
      }
    } finally {
      this.#pumping = false
    }
  }
}

/**
 * Creates the quota limiter of one account. Share it between every client and job that calls
 * Gmail for that account.
 *
 * @throws {@link ValidationError} when `rateUnitsSec` or `unitsPerMinute` is not a positive
 *   number or `maxInFlight` not a positive integer.
 *
 * @example
 * ```ts
 * const limiter = createQuotaLimiter({ rateUnitsSec: config.rateUnitsSec }) // 90: 5,400 a minute
 * // A batch of 4 gets: 80 units, within the bucket (see partsPerBatch in batch-get.ts).
 * const permit = await limiter.acquire(QUOTA_COSTS_2026.get * 4, signal)
 * try { await sendBatch() } finally { permit.release() }
 * ```
 */
export function createQuotaLimiter(options: QuotaLimiterOptions): QuotaLimiter {
  return new TokenBucketLimiter(options)
}
