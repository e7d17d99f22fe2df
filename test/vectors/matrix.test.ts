import { describe, expect, it } from 'vitest'
import { VectorMatrix, vectorBytes, type MatrixRow } from '../../src/vectors/matrix.js'

const row = (id: number, emailId: number, values: number[], attachmentId: number | null = null): MatrixRow => ({
  id,
  emailId,
  chunk: id,
  attachmentId,
  bytes: vectorBytes(Float32Array.from(values)),
})

describe('VectorMatrix', () => {
  it('scores every value of a dimension that is not a multiple of four, best row per email wherever its rows are', () => {
    const matrix = new VectorMatrix(5)
    // Email 1's rows are apart; its best is the last one. Only the fifth value tells 2 from 3.
    const skipped = matrix.append([
      row(1, 1, [0, 0, 0, 0, 0.1]),
      row(2, 2, [0, 0, 0, 0, 0.5]),
      row(3, 3, [0, 0, 0, 0, 0.4]),
      row(4, 1, [0, 0, 0, 0, 0.9], 12),
      row(5, 4, [1, 0, 0]),
    ])
    expect(skipped).toBe(1)
    expect(matrix.lastId).toBe(5)
    const ranked = [...matrix.rank(Float32Array.from([0, 0, 0, 0, 1]))]
    expect(ranked.map((r) => [r.emailId, r.chunk, r.attachmentId])).toEqual([[1, 4, 12], [2, 2, null], [3, 3, null]])
    expect(ranked[0]!.score).toBeCloseTo(0.9, 6)
    matrix.remove([2])
    expect(matrix.live).toBe(3)
    expect([...matrix.rank(Float32Array.from([0, 0, 0, 0, 1]))].map((r) => r.emailId)).toEqual([1, 3])
    expect(() => [...matrix.rank(new Float32Array(4))]).toThrow(RangeError)
  })

  it('keeps its answers when removed rows are moved out', () => {
    const matrix = new VectorMatrix(4)
    const rows = Array.from({ length: 3000 }, (_, i) => row(i + 1, i + 1, [Math.cos(i / 1000), Math.sin(i / 1000), 0, 0]))
    matrix.append(rows)
    matrix.remove(rows.slice(0, 2000).map((r) => r.emailId))
    expect(matrix.live).toBe(1000)
    const ranked = [...matrix.rank(Float32Array.from([1, 0, 0, 0]))]
    expect(ranked).toHaveLength(1000)
    expect(ranked[0]?.emailId).toBe(2001)
    expect(ranked.at(-1)?.emailId).toBe(3000)
  })
})
