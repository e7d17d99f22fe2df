/**
 * The seeded mutations the fuzz tests apply to corpus messages (fast-check is not a
 * dependency): one generator and one set of damage kinds, shared by the parser fuzz and the
 * whole-pipeline fuzz. Messages are handled as latin1 text, one character per byte.
 */

/** A source of numbers in [0, 1). */
export type Rng = () => number

/** mulberry32: small, fast, and the same sequence on every run. */
export function seededRandom(seed: number): Rng {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer in [0, max). */
export const int = (rng: Rng, max: number): number => Math.floor(rng() * max)

/** One element of a list. */
export const pick = <T>(rng: Rng, list: readonly T[]): T => list[int(rng, list.length)] as T

/** Fragments that confuse MIME parsers: half encoded words, brackets, boundaries, NUL. */
export const JUNK = ['=?UTF-8?B?', '=?x?Q?=FF=?=', '<', '>', '"', '\0', '\r', '\n\n', '--', ':', ';', '(', ',', '@', 'boundary=', '\u00ff\u00fe', '=\r\n', '\t']

/** A damage kind: takes and returns a message as latin1 text. */
export type Mutation = (rng: Rng, text: string) => string

/**
 * The damage both fuzzers apply: truncation, flipped bytes, duplicated or deleted header lines
 * (within the first `headerLines` lines), broken boundaries, inserted junk, changed line endings.
 */
export function coreMutations(headerLines: number): Mutation[] {
  return [
    (rng, t) => t.slice(0, int(rng, t.length + 1)),
    (rng, t) => {
      const chars = t.split('')
      for (let i = 0, n = 1 + int(rng, 8); i < n && chars.length > 0; i++) chars[int(rng, chars.length)] = String.fromCharCode(int(rng, 256))
      return chars.join('')
    },
    (rng, t) => {
      const lines = t.split('\n')
      const at = int(rng, Math.min(lines.length, headerLines))
      lines.splice(at, 0, lines[at] ?? '')
      return lines.join('\n')
    },
    (rng, t) => {
      const lines = t.split('\n')
      lines.splice(int(rng, Math.min(lines.length, headerLines)), 1 + int(rng, 3))
      return lines.join('\n')
    },
    (rng, t) => {
      const boundaries = [...t.matchAll(/boundary="?([^";\r\n]+)/g)].map((m) => m[1] ?? '')
      if (boundaries.length === 0) return t
      const boundary = pick(rng, boundaries)
      const how = int(rng, 4)
      if (how === 0) return t.split(`--${boundary}--`).join('')
      if (how === 1) return t.replace(`--${boundary}`, `--${boundary.slice(0, -1)}`)
      if (how === 2) return t.split(`--${boundary}`).join(`--${boundary}--`)
      return t.replace(`boundary="${boundary}"`, 'boundary=""')
    },
    (rng, t) => {
      const at = int(rng, t.length + 1)
      return t.slice(0, at) + pick(rng, JUNK).repeat(1 + int(rng, 50)) + t.slice(at)
    },
    (rng, t) => (int(rng, 2) === 0 ? t.replace(/\r\n/g, '\n') : t.replace(/\r?\n/g, '\r\n')),
  ]
}
