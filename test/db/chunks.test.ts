import { describe, expect, it } from 'vitest'
import { groupBy, IN_LIST_CHUNK, inChunks, queryInChunks } from '../../src/db/chunks.js'

describe('inChunks', () => {
  it('slices in order, the last slice short, an empty list into none', () => {
    expect([...inChunks([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]])
    expect([...inChunks([], 2)]).toEqual([])
    const ids = Array.from({ length: IN_LIST_CHUNK * 2 + 1 }, (_, i) => i)
    expect([...inChunks(ids)].map((c) => c.length)).toEqual([IN_LIST_CHUNK, IN_LIST_CHUNK, 1])
  })

  it('refuses a size that would loop forever or bind the whole list', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => [...inChunks([1], size)], String(size)).toThrow(RangeError)
    }
  })
})

describe('queryInChunks', () => {
  it('runs one query per slice, one after the other, and keeps the rows in order', async () => {
    const calls: number[][] = []
    let running = 0
    const rows = await queryInChunks([1, 2, 3, 4, 5], async (ids) => {
      running += 1
      expect(running).toBe(1)
      calls.push(ids)
      await Promise.resolve()
      running -= 1
      return ids.map((id) => ({ id }))
    }, 2)
    expect(calls).toEqual([[1, 2], [3, 4], [5]])
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5])
  })

  it('runs no query for no values', async () => {
    let called = false
    const rows = await queryInChunks([], () => {
      called = true
      return Promise.resolve([])
    })
    expect(rows).toEqual([])
    expect(called).toBe(false)
  })
})

describe('groupBy', () => {
  it('gathers rows by key, keeping their order within each group', () => {
    const groups = groupBy([{ e: 1, n: 'a' }, { e: 2, n: 'b' }, { e: 1, n: 'c' }], (r) => r.e)
    expect([...groups.keys()]).toEqual([1, 2])
    expect(groups.get(1)?.map((r) => r.n)).toEqual(['a', 'c'])
    expect(groups.get(3)).toBeUndefined()
  })
})
