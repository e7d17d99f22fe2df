/** The outcome of asking the bucket for units. */
export type QuotaDecision = { readonly ok: true } | { readonly ok: false; readonly retryAt: number }

interface Bucket {
  units: number
  updatedAt: number
}

/**
 * Per-user token buckets in quota units: `rate` units come back every second, up to one
 * second's worth (Gmail's per-user limit is a rate, so a burst can spend at most that much).
 * A call dearer than the whole bucket is still allowed from a full bucket, so a tiny `rate`
 * slows clients down instead of locking them out for ever.
 */
export class QuotaBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly rate: number) {}

  private capacity(cost: number): number {
    return Math.max(this.rate, cost)
  }

  /** Spends `cost` units of `user`'s bucket, or says when enough will be back (nothing spent). */
  tryCharge(user: string, cost: number, now: number): QuotaDecision {
    if (this.rate === Infinity || cost === 0) return { ok: true }
    const capacity = this.capacity(cost)
    const bucket = this.buckets.get(user) ?? { units: capacity, updatedAt: now }
    const elapsed = Math.max(0, now - bucket.updatedAt)
    bucket.units = Math.min(capacity, bucket.units + (elapsed / 1000) * this.rate)
    bucket.updatedAt = Math.max(bucket.updatedAt, now)
    this.buckets.set(user, bucket)
    if (bucket.units >= cost) {
      bucket.units -= cost
      return { ok: true }
    }
    return { ok: false, retryAt: now + Math.ceil(((cost - bucket.units) / this.rate) * 1000) }
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
