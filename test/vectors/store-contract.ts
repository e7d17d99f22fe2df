/**
 * What every vector store promises (src/vectors/types.ts), written once and run against each
 * store: the embedded one on both dialects, Qdrant through its stand-in and, when configured,
 * a real Qdrant.
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { VectorFilter, VectorPayload, VectorPoint, VectorStore } from '../../src/vectors/types.js'

export const DIMENSION = 8

/** A store under test, with emails it may hold vectors for. */
export interface StoreWorld {
  readonly store: VectorStore
  /** Ids of `count` new emails (rows of `emails` where the store needs them). */
  emails(count: number): Promise<number[]>
  /** A second store over the same data, as another process would have. */
  another(): VectorStore
  close(): Promise<void>
}

/** A unit vector at `angle` radians from {@link QUERY} in the plane of its first two values. */
export function at(angle: number, dimension = DIMENSION): Float32Array {
  const v = new Float32Array(dimension)
  v[0] = Math.cos(angle)
  v[1] = Math.sin(angle)
  return v
}

export const QUERY = at(0)

export const PAYLOAD: VectorPayload = { identities: ['fund:1'], date: 1_700_000_000, sharedInFull: true, mailboxes: [1] }

export function point(emailId: number, angle: number, chunk = 0, attachmentId: number | null = null, payload = PAYLOAD): VectorPoint {
  return { emailId, chunk, attachmentId, vector: at(angle), payload }
}

/** A filter whose SQL check lets `pass` through (everything when omitted), recording each call. */
export function filterOf(pass?: (id: number) => boolean, extra: Partial<VectorFilter> = {}): VectorFilter & { calls: number[][] } {
  const calls: number[][] = []
  return {
    viewerAccountIds: null,
    ...extra,
    calls,
    check(ids) {
      calls.push([...ids])
      return Promise.resolve(new Set(ids.filter((id) => pass?.(id) ?? true)))
    },
  }
}

/** The store contract, against worlds made by `open`. */
export function storeContract(open: () => Promise<StoreWorld>): void {
  let world: StoreWorld
  beforeEach(async () => {
    world = await open()
    await world.store.prepare(DIMENSION)
  })
  afterEach(async () => {
    await world.close()
  })

  it('answers the nearest emails first, one match per email with its best chunk', async () => {
    const [a, b, c] = await world.emails(3) as [number, number, number]
    await world.store.replace([a, b, c], [point(a, 0.3), point(b, 1.2), point(b, 0.1, 1, 77), point(c, 2)])
    const matches = await world.store.search(QUERY, 10, filterOf())
    expect(matches.map((m) => m.emailId)).toEqual([b, a, c])
    expect(matches[0]).toMatchObject({ emailId: b, chunk: 1, attachmentId: 77 })
    expect(matches[0]!.score).toBeCloseTo(Math.cos(0.1), 4)
    expect(matches[1]).toMatchObject({ emailId: a, chunk: 0, attachmentId: null })
    expect(await world.store.search(QUERY, 2, filterOf())).toHaveLength(2)
    expect(await world.store.countByEmail()).toEqual(new Map([[a, 1], [b, 2], [c, 1]]))
  })

  it('replace is idempotent and takes the place of earlier points; remove deletes them', async () => {
    const [a, b] = await world.emails(2) as [number, number]
    await world.store.replace([a, b], [point(a, 0.2), point(a, 0.4, 1), point(b, 0.5)])
    expect(await world.store.search(QUERY, 5, filterOf())).toMatchObject([{ emailId: a }, { emailId: b }])
    await world.store.replace([a], [point(a, 1.5)])
    await world.store.replace([a], [point(a, 1.5)])
    expect(await world.store.countByEmail()).toEqual(new Map([[a, 1], [b, 1]]))
    expect((await world.store.search(QUERY, 5, filterOf())).map((m) => m.emailId)).toEqual([b, a])
    await world.store.remove([b])
    await world.store.remove([b])
    expect((await world.store.search(QUERY, 5, filterOf())).map((m) => m.emailId)).toEqual([a])
    await world.store.replace([a], [])
    expect(await world.store.search(QUERY, 5, filterOf())).toEqual([])
    expect(await world.store.countByEmail()).toEqual(new Map())
  })

  it('walks down its ranking through the SQL check until it has enough', async () => {
    const ids = await world.emails(600)
    const points = ids.map((id, i) => point(id, (i / ids.length) * 3))
    for (let i = 0; i < points.length; i += 200) await world.store.replace(ids.slice(i, i + 200), points.slice(i, i + 200))
    // Only the 5 farthest pass: the store must go past its first candidates to find them.
    const passing = new Set(ids.slice(-5))
    const filter = filterOf((id) => passing.has(id))
    const matches = await world.store.search(QUERY, 3, filter)
    expect(matches.map((m) => m.emailId)).toEqual(ids.slice(-5, -2))
    expect(filter.calls.length).toBeGreaterThan(1)
    expect(filter.calls.flat().length).toBeLessThanOrEqual(ids.length + 10)
    // None passes: an empty answer, not an endless walk.
    expect(await world.store.search(QUERY, 3, filterOf(() => false))).toEqual([])
  })

  it('another instance sees the writes of this one, additions and removals', async () => {
    const [a, b, c] = await world.emails(3) as [number, number, number]
    const other = world.another()
    await world.store.replace([a], [point(a, 0.5)])
    expect((await other.search(QUERY, 5, filterOf())).map((m) => m.emailId)).toEqual([a])
    await world.store.replace([b, c], [point(b, 0.1), point(c, 0.9)])
    expect((await other.search(QUERY, 5, filterOf())).map((m) => m.emailId)).toEqual([b, a, c])
    await world.store.remove([b])
    await world.store.replace([a], [point(a, 1.4)])
    expect((await other.search(QUERY, 5, filterOf())).map((m) => m.emailId)).toEqual([c, a])
  })

  it('a new dimension resets the store: no earlier vector is left', async () => {
    const [a] = await world.emails(1) as [number]
    await world.store.replace([a], [point(a, 0.5)])
    expect(await world.store.prepare(DIMENSION)).toEqual({ reset: false })
    expect(await world.store.prepare(DIMENSION * 2)).toEqual({ reset: true })
    expect(await world.store.countByEmail()).toEqual(new Map())
    await world.store.replace([a], [{ ...point(a, 0.5), vector: at(0.5, DIMENSION * 2) }])
    expect(await world.store.search(at(0, DIMENSION * 2), 5, filterOf())).toMatchObject([{ emailId: a }])
  })
}
