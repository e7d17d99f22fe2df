import { RollingWindow } from '../../gmail/quota-window.js'

/** The outcome of asking the bucket for units. */
export type QuotaDecision = { readonly ok: true } | { readonly ok: false; readonly retryAt: number }

interface Bucket {
  units: number
  updatedAt: number
  readonly window: RollingWindow
}

/**
 * Gmail's per-user quota: per user a token bucket where `rate` units come back every second,
 * up to one second's worth (so a burst runs at most at that rate), and a rolling minute that
 * may hold `perMinute` units (Gmail's per-user limit, stated per minute: a burst may spend the
 * minute's budget, then the user is refused until its charges leave the window). A call
 * dearer than the whole bucket (or the whole minute) is still allowed from a full one, so a
 * tiny limit slows clients down instead of locking them out for ever.
 */
export class QuotaBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly rate: number,
    private readonly perMinute = Infinity,
  ) {}

  private capacity(cost: number): number {
    return Math.max(this.rate, cost)
  }

  /** Spends `cost` units of `user`'s quota, or says when enough will be back (nothing spent). */
  tryCharge(user: string, cost: number, now: number): QuotaDecision {
    if ((this.rate === Infinity && this.perMinute === Infinity) || cost === 0) return { ok: true }
    const capacity = this.capacity(cost)
    const bucket = this.buckets.get(user) ?? { units: capacity, updatedAt: now, window: new RollingWindow(this.perMinute) }
    this.buckets.set(user, bucket)
    let bucketWait = 0
    // With the per-second side switched off only the minute counts (Infinity times 0 is NaN).
    if (this.rate !== Infinity) {
      const elapsed = Math.max(0, now - bucket.updatedAt)
      bucket.units = Math.min(capacity, bucket.units + (elapsed / 1000) * this.rate)
      bucket.updatedAt = Math.max(bucket.updatedAt, now)
      if (bucket.units < cost) bucketWait = Math.ceil(((cost - bucket.units) / this.rate) * 1000)
    }
    const windowWait = bucket.window.waitFor(cost, now)
    if (bucketWait === 0 && windowWait === 0) {
      bucket.units -= cost
      bucket.window.record(cost, now)
      return { ok: true }
    }
    return { ok: false, retryAt: now + Math.max(bucketWait, windowWait) }
  }
}

/** Counts requests in flight per user against a cap. */
export class InFlightLimiter {
  private readonly counts = new Map<string, number>()

  constructor(private readonly max: number) {}

  /** Takes a slot for `user`, or returns false when all are taken. */
  tryAcquire(user: string): boolean {
    const count = this.counts.get(user) ?? 0
    if (count >= this.max) return false
    this.counts.set(user, count + 1)
    return true
  }

  /** Gives a slot back. */
  release(user: string): void {
    const count = (this.counts.get(user) ?? 1) - 1
    if (count <= 0) this.counts.delete(user)
    else this.counts.set(user, count)
  }
}
