/**
 * The generator's only source of chance: mulberry32, a 32-bit PRNG that is tiny, fast and
 * good enough for sample data. Everything random in the team mailbox draws from an instance of
 * {@link Random}, so the same seed gives byte-identical mail on every machine.
 */

/** FNV-1a over a label, mixed into a seed: independent streams for independent parts. */
function mixSeed(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

/** A seeded stream of random numbers with the draws the generator needs. */
export class Random {
  private state: number

  constructor(private readonly seed: number) {
    this.state = seed >>> 0
  }

  /**
   * A stream of its own for one part of the mailbox (`fork('newsletters')`): adding draws to
   * one part then leaves the others' output unchanged.
   */
  fork(label: string): Random {
    return new Random(mixSeed(this.seed, label))
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** One item of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new RangeError('pick() needs a non-empty list')
    return item
  }

  /** One item, drawn in proportion to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0)
    let r = this.next() * total
    for (const [item, w] of items) {
      r -= w
      if (r < 0) return item
    }
    const last = items[items.length - 1]
    if (last === undefined) throw new RangeError('weighted() needs a non-empty list')
    return last[0]
  }

  /** `n` distinct items in random order (fewer when the list is shorter). */
  sample<T>(items: readonly T[], n: number): T[] {
    const pool = [...items]
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const a = pool[i] as T
      pool[i] = pool[j] as T
      pool[j] = a
    }
    return pool.slice(0, Math.max(0, n))
  }

  /** `length` lower-case hex digits. */
  hex(length: number): string {
    let out = ''
    while (out.length < length) out += Math.floor(this.next() * 0x10000).toString(16).padStart(4, '0')
    return out.slice(0, length)
  }

  /** A value between `min` and `max` whose logarithm is uniform: many short waits, a few long ones. */
  logUniform(min: number, max: number): number {
    return Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min)))
  }
}
