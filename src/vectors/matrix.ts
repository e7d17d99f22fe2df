/**
 * The embedded store's vectors in memory: one Float32Array of every row, scored exactly (a dot
 * product per row: the vectors are normalized, so it is the cosine similarity). Exact search
 * needs no index to build or keep in step; one pass over 10,000 vectors of 384 values costs about
 * 11 ms of CPU, over 100,000 about 70 ms (bench/vectors.ts). An int8 copy with a float re-rank
 * was measured too and was slower in plain JavaScript (no SIMD), so float32 it is.
 */
import { endianness } from 'node:os'

/** One stored vector as read from the table. */
export interface MatrixRow {
  readonly id: number
  readonly emailId: number
  readonly chunk: number
  readonly attachmentId: number | null
  /** Little-endian float32 values. */
  readonly bytes: Uint8Array
}

/** One email's best row in a ranking. */
export interface RankedRow {
  readonly emailId: number
  readonly chunk: number
  readonly attachmentId: number | null
  readonly score: number
}

const LITTLE_ENDIAN = endianness() === 'LE'
/** Where a row's email was removed locally (by this process) before the table was read again. */
const DEAD = -1
/** No attachment: attachment ids are positive. */
const NO_ATTACHMENT = 0

/**
 * Vectors as stored: little-endian float32 bytes.
 *
 * @example
 * ```ts
 * vectorBytes(new Float32Array([1, 0])).length  // 8
 * ```
 */
export function vectorBytes(vector: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength))
  const out = new Uint8Array(vector.length * 4)
  const view = new DataView(out.buffer)
  vector.forEach((x, i) => {
    view.setFloat32(i * 4, x, true)
  })
  return out
}

/** A max-heap of row positions keyed by score, popped best first. */
class RowHeap {
  private readonly heap: Int32Array
  private size: number

  constructor(
    positions: Int32Array,
    private readonly score: Float32Array,
  ) {
    this.heap = positions
    this.size = positions.length
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i)
  }

  pop(): number | null {
    if (this.size === 0) return null
    const top = this.heap[0] ?? 0
    this.size--
    this.heap[0] = this.heap[this.size] ?? 0
    this.down(0)
    return top
  }

  private down(from: number): void {
    const { heap, score, size } = this
    let i = from
    for (;;) {
      const left = 2 * i + 1
      if (left >= size) return
      const right = left + 1
      let best = left
      if (right < size && (score[heap[right] ?? 0] ?? 0) > (score[heap[left] ?? 0] ?? 0)) best = right
      if ((score[heap[best] ?? 0] ?? 0) <= (score[heap[i] ?? 0] ?? 0)) return
      const swap = heap[i] ?? 0
      heap[i] = heap[best] ?? 0
      heap[best] = swap
      i = best
    }
  }
}

/**
 * The rows of a store, appended as they are read and removed by email.
 *
 * @example
 * ```ts
 * const matrix = new VectorMatrix(384)
 * matrix.append(rows)
 * for (const match of matrix.rank(query)) { ... }   // one row per email, best first
 * ```
 */
export class VectorMatrix {
  private values: Float32Array
  private emailIds: Int32Array
  private chunks: Int32Array
  private attachments: Float64Array
  private rows = 0
  private dead = 0
  /** The largest row id read: the next read starts after it. */
  lastId = 0

  constructor(readonly dimension: number) {
    this.values = new Float32Array(0)
    this.emailIds = new Int32Array(0)
    this.chunks = new Int32Array(0)
    this.attachments = new Float64Array(0)
  }

  /** Rows held that were not removed. */
  get live(): number {
    return this.rows - this.dead
  }

  /** Adds rows (read in id order); rows of another dimension are left out and counted. */
  append(rows: readonly MatrixRow[]): number {
    this.reserve(this.rows + rows.length)
    const bytes = new Uint8Array(this.values.buffer)
    let skipped = 0
    for (const row of rows) {
      this.lastId = Math.max(this.lastId, row.id)
      if (row.bytes.length !== this.dimension * 4) {
        skipped++
        continue
      }
      const at = this.rows
      if (LITTLE_ENDIAN) {
        bytes.set(row.bytes, at * this.dimension * 4)
      } else {
        const view = new DataView(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength)
        for (let i = 0; i < this.dimension; i++) this.values[at * this.dimension + i] = view.getFloat32(i * 4, true)
      }
      this.emailIds[at] = row.emailId
      this.chunks[at] = row.chunk
      this.attachments[at] = row.attachmentId ?? NO_ATTACHMENT
      this.rows++
    }
    return skipped
  }

  /** Forgets every row of these emails (their rows were deleted from the table by this process). */
  remove(emailIds: readonly number[]): void {
    if (emailIds.length === 0 || this.live === 0) return
    const gone = new Set(emailIds)
    for (let i = 0; i < this.rows; i++) {
      const id = this.emailIds[i] ?? DEAD
      if (id !== DEAD && gone.has(id)) {
        this.emailIds[i] = DEAD
        this.dead++
      }
    }
    // Removed rows still cost a multiplication each: once they are many, move the rest down.
    if (this.dead > 1024 && this.dead * 2 > this.rows) this.compact()
  }

  /**
   * Every email's best row for `query`, best first, computed lazily: the scoring pass is done
   * at once, the ordering as the caller walks (a heap popped as far as needed).
   */
  *rank(query: Float32Array): Generator<RankedRow, undefined, undefined> {
    const { dimension, values, rows } = this
    if (query.length !== dimension) throw new RangeError(`query has ${query.length} values, the vectors ${dimension}`)
    const best = new Map<number, number>()
    const scores = new Float32Array(rows)
    // An email's rows are usually next to each other (written in one replace): its best row is
    // kept in locals and handed to the map once per run of rows, not once per row.
    let runEmail = DEAD
    let runRow = -1
    const flush = () => {
      if (runEmail === DEAD) return
      const held = best.get(runEmail)
      if (held === undefined || (scores[runRow] ?? 0) > (scores[held] ?? 0)) best.set(runEmail, runRow)
    }
    const tail = dimension - (dimension % 4)
    for (let r = 0; r < rows; r++) {
      const emailId = this.emailIds[r] ?? DEAD
      if (emailId === DEAD) continue
      // Four sums side by side: the loop runs about half again as fast as one running sum.
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      let k = r * dimension
      let i = 0
      for (; i < tail; i += 4, k += 4) {
        s0 += (values[k] ?? 0) * (query[i] ?? 0)
        s1 += (values[k + 1] ?? 0) * (query[i + 1] ?? 0)
        s2 += (values[k + 2] ?? 0) * (query[i + 2] ?? 0)
        s3 += (values[k + 3] ?? 0) * (query[i + 3] ?? 0)
      }
      for (; i < dimension; i++, k++) s0 += (values[k] ?? 0) * (query[i] ?? 0)
      const sum = s0 + s1 + s2 + s3
      scores[r] = sum
      if (emailId !== runEmail) {
        flush()
        runEmail = emailId
        runRow = r
      } else if (sum > (scores[runRow] ?? 0)) {
        runRow = r
      }
    }
    flush()
    const heap = new RowHeap(Int32Array.from(best.values()), scores)
    for (let r = heap.pop(); r !== null; r = heap.pop()) {
      const attachment = this.attachments[r] ?? NO_ATTACHMENT
      yield {
        emailId: this.emailIds[r] ?? DEAD,
        chunk: this.chunks[r] ?? 0,
        attachmentId: attachment === NO_ATTACHMENT ? null : attachment,
        score: scores[r] ?? 0,
      }
    }
    return undefined
  }

  private compact(): void {
    const { dimension } = this
    let to = 0
    for (let from = 0; from < this.rows; from++) {
      if (this.emailIds[from] === DEAD) continue
      if (to !== from) {
        this.values.copyWithin(to * dimension, from * dimension, (from + 1) * dimension)
        this.emailIds[to] = this.emailIds[from] ?? DEAD
        this.chunks[to] = this.chunks[from] ?? 0
        this.attachments[to] = this.attachments[from] ?? NO_ATTACHMENT
      }
      to++
    }
    this.rows = to
    this.dead = 0
  }

  private reserve(rows: number): void {
    if (rows <= this.emailIds.length) return
    const capacity = Math.max(rows, Math.ceil(this.emailIds.length * 1.5), 1024)
    const grow = <T extends Float32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T, width: number): T => {
      const next = make(capacity * width)
      next.set(old)
      return next
    }
    this.values = grow(this.values, (n) => new Float32Array(n), this.dimension)
    this.emailIds = grow(this.emailIds, (n) => new Int32Array(n), 1)
    this.chunks = grow(this.chunks, (n) => new Int32Array(n), 1)
    this.attachments = grow(this.attachments, (n) => new Float64Array(n), 1)
  }
}
