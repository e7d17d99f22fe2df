import { createHash } from 'node:crypto'

/** 2^48: a unit draw uses 48 bits of the hash, well inside a double's exact integers. */
const UNIT_SCALE = 2 ** 48

/**
 * Deterministic draws keyed by purpose: the same seed and key always give the same value,
 * whatever order concurrent requests arrive in. Not for secrets (tokens use `randomBytes`).
 */
export class SeededRandom {
  private readonly counters = new Map<string, number>()

  constructor(private readonly seed: string) {}

  private digest(key: string): Buffer {
    return createHash('sha256').update(this.seed).update('\0').update(key).digest()
  }

  /** A value in [0, 1) for `key`. */
  unit(key: string): number {
    return this.digest(key).readUIntBE(0, 6) / UNIT_SCALE
  }

  /** `length` lowercase hex digits for `key` (at most 64). */
  hex(key: string, length: number): string {
    return this.digest(key).toString('hex').slice(0, length)
  }

  /** `bytes` bytes for `key`, base64url (at most 32 bytes). */
  base64url(key: string, bytes: number): string {
    return this.digest(key).subarray(0, bytes).toString('base64url')
  }

  /** An integer in [min, max] for `key`. */
  integer(key: string, min: number, max: number): number {
    return min + Math.floor(this.unit(key) * (max - min + 1))
  }

  /** The next draw of a sequence named `stream`: the nth call gives the same key every run. */
  next(stream: string): string {
    const n = this.counters.get(stream) ?? 0
    this.counters.set(stream, n + 1)
    return `${stream}#${n}`
  }
}
