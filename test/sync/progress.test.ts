import { Writable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTerminalProgress, type SyncProgress, type SyncReport } from '../../src/index.js'

const CLEAR = '\r\u001b[2K'

/** A terminal (or not) of `columns` that keeps what is written to it. */
function terminal(options: { tty: boolean; columns?: number }) {
  const chunks: string[] = []
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        chunks.push(String(chunk))
        callback()
      },
    }),
    { isTTY: options.tty, columns: options.columns ?? 80 },
  )
  return { stream, chunks, text: () => chunks.join('') }
}

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

function progress(account: string, fields: Partial<SyncProgress> = {}): SyncProgress {
  return { account, kind: 'backfill', listed: 0, fetched: 0, captured: 0, skipped: 0, failed: 0, eta: null, total: null, ...fields }
}

function report(account: string, fields: Partial<SyncReport> = {}): SyncReport {
  return {
    account,
    kind: 'backfill',
    status: 'ok',
    listed: 0,
    fetched: 0,
    captured: 0,
    skipped: 0,
    failed: 0,
    discarded: 0,
    recallSampled: 0,
    recallMissed: 0,
    strategy: 'search',
    unitsSpent: 0,
    startedAt: '2026-06-01T07:00:00.000Z',
    finishedAt: '2026-06-01T07:00:02.500Z',
    ...fields,
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('createTerminalProgress on a terminal', () => {
  it('draws one line in place with the bar, the percentage and the totals, as wide as the terminal allows', () => {
    const event = progress('ann@fund.example', { listed: 250, total: 1000, fetched: 12, captured: 10, skipped: 240, eta: 30 })
    const lines = [120, 80, 40].map((columns) => {
      const out = terminal({ tty: true, columns })
      createTerminalProgress({ stream: out.stream, accounts: 1, now: clock().now }).onProgress(event)
      expect(out.chunks).toHaveLength(1)
      return out.chunks[0]!
    })
    expect(lines).toEqual([
      // Room for every word and a bar.
      `${CLEAR}[#########............................]  25% accounts 0/1  listed 250/1000  captured 10  skipped 240  failed 0  eta 30s`,
      // Short words, so that the bar still fits in 79 characters.
      `${CLEAR}[#####.............]  25% acc 0/1 list 250/1000 capt 10 skip 240 fail 0 eta 30s`,
      // No room for a bar: the numbers, cut at the edge.
      `${CLEAR} 25% acc 0/1 list 250/1000 capt 10 skip`,
    ])
    expect(lines.map((l) => l.length - CLEAR.length)).toEqual([119, 79, 39])
  })

  it('aggregates accounts syncing in parallel into one bar, and prints each finished account above it', () => {
    const out = terminal({ tty: true })
    const c = clock()
    const p = createTerminalProgress({ stream: out.stream, accounts: 3, now: c.now })
    p.onProgress(progress('ann@fund.example', { listed: 500, total: 1000, captured: 40, skipped: 460, eta: 20 }))
    c.advance(1000)
    p.onProgress(progress('bob@fund.example', { listed: 100, total: 400, captured: 5, skipped: 94, failed: 1, eta: 60 }))
    // (0.5 + 0.25 + 0) / 3 accounts; the ETA is the slowest account's.
    expect(out.chunks.at(-1)).toBe(`${CLEAR}[####............]  25% acc 0/3 list 600/1400 capt 45 skip 554 fail 1 eta 1m00s`)

    c.advance(1000)
    p.onReport(report('ann@fund.example', { listed: 1000, fetched: 80, captured: 80, skipped: 920, unitsSpent: 2100 }))
    expect(out.chunks.slice(-3)).toEqual([
      CLEAR,
      'ann@fund.example: backfill ok, listed 1000, fetched 80, captured 80, skipped 920, failed 0, 2100 units, 2.5s\n',
      `${CLEAR}[#######.........]  41% acc 1/3 list 1100/1400 capt 85 skip 1014 fail 1 eta 59s`,
    ])
  })

  it('extends the ETA by the pace so far while accounts still wait for their turn', () => {
    const out = terminal({ tty: true })
    const c = clock()
    const p = createTerminalProgress({ stream: out.stream, accounts: 3, now: c.now })
    c.advance(10_000)
    // Ann is half done in 10 s and says 10 s are left; Bob and Cat have not started: a sixth of
    // the whole run took 10 s, so about 50 s are left.
    p.onProgress(progress('ann@fund.example', { listed: 500, total: 1000, captured: 40, skipped: 460, eta: 10 }))
    expect(out.chunks.at(-1)).toBe(`${CLEAR}[###...............]  16% acc 0/3 list 500/1000 capt 40 skip 460 fail 0 eta 50s`)
  })

  it('shows no percentage while no run has an estimate (incremental runs)', () => {
    const out = terminal({ tty: true })
    const p = createTerminalProgress({ stream: out.stream, now: clock().now })
    p.onProgress(progress('ann@fund.example', { kind: 'incremental', listed: 3, captured: 1, skipped: 2 }))
    expect(out.chunks).toEqual([`${CLEAR}accounts 0/1  listed 3  captured 1  skipped 2  failed 0  eta --`])
  })

  it('redraws at most every 100 ms, and draws the latest state when the interval is over', () => {
    vi.useFakeTimers()
    const out = terminal({ tty: true })
    const p = createTerminalProgress({ stream: out.stream, accounts: 1 })
    p.onProgress(progress('ann@fund.example', { listed: 1, total: 10 }))
    vi.advanceTimersByTime(40)
    p.onProgress(progress('ann@fund.example', { listed: 2, total: 10 }))
    p.onProgress(progress('ann@fund.example', { listed: 3, total: 10 }))
    expect(out.chunks).toHaveLength(1)
    vi.advanceTimersByTime(59)
    expect(out.chunks).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(out.chunks).toHaveLength(2)
    expect(out.chunks[1]).toContain('list 3/10')
    vi.advanceTimersByTime(100)
    p.onProgress(progress('ann@fund.example', { listed: 4, total: 10 }))
    expect(out.chunks).toHaveLength(3)
  })

  it('writes log lines without breaking the bar, and finish clears it and sums up', () => {
    vi.useFakeTimers()
    const out = terminal({ tty: true })
    const c = clock()
    const p = createTerminalProgress({ stream: out.stream, now: c.now })
    p.onProgress(progress('ann@fund.example', { listed: 5, total: 10 }))
    p.log('SIGINT: stopping')
    expect(out.chunks.slice(1, 3)).toEqual([CLEAR, 'SIGINT: stopping\n'])
    expect(out.chunks[3]!.startsWith(CLEAR)).toBe(true)
    expect(out.chunks[3]!.slice(CLEAR.length)).toMatch(/^\[#+\.+\] {2}50% acc 0\/1 list 5\/10 /)
    p.onProgress(progress('ann@fund.example', { listed: 6, total: 10 }))
    c.advance(65_000)
    p.finish([report('ann@fund.example', { status: 'partial', listed: 6, failed: 1 })])
    const tail = out.chunks.slice(-3)
    expect(tail).toEqual([
      CLEAR,
      'ann@fund.example: backfill partial, listed 6, fetched 0, captured 0, skipped 0, failed 1, 0 units, 2.5s\n',
      'sync finished: 1 account (0 ok, 1 partial, 0 error) in 1m05s, listed 6, captured 0, skipped 0, failed 1\n',
    ])
    // The throttled redraw that was pending never comes after the summary.
    const written = out.chunks.length
    vi.advanceTimersByTime(1000)
    expect(out.chunks).toHaveLength(written)
  })
})

describe('createTerminalProgress without a terminal', () => {
  it('writes a plain line per account at most every five seconds, and one per finished account', () => {
    const out = terminal({ tty: false })
    const c = clock()
    const p = createTerminalProgress({ stream: out.stream, now: c.now })
    p.onProgress(progress('ann@fund.example', { listed: 500, total: 900, fetched: 20, captured: 20, skipped: 480, eta: 12 }))
    p.onProgress(progress('bob@fund.example', { kind: 'incremental', listed: 2, captured: 2 }))
    c.advance(4_999)
    p.onProgress(progress('ann@fund.example', { listed: 900, total: 900 }))
    c.advance(1)
    p.onProgress(progress('ann@fund.example', { listed: 900, total: 900, captured: 31, skipped: 869 }))
    p.onReport(report('bob@fund.example', { kind: 'incremental', listed: 2, fetched: 2, captured: 2, unitsSpent: 44 }))
    p.finish([
      report('ann@fund.example', { status: 'error', listed: 900, error: 'Gmail answered 500' }),
      report('bob@fund.example', { kind: 'incremental', listed: 2, fetched: 2, captured: 2, unitsSpent: 44 }),
    ])
    expect(out.text().split('\n')).toEqual([
      'ann@fund.example: backfill in progress, listed 500/900, fetched 20, captured 20, skipped 480, failed 0, eta 12s',
      'bob@fund.example: incremental in progress, listed 2, fetched 0, captured 2, skipped 0, failed 0',
      'ann@fund.example: backfill in progress, listed 900/900, fetched 0, captured 31, skipped 869, failed 0',
      'bob@fund.example: incremental ok, listed 2, fetched 2, captured 2, skipped 0, failed 0, 44 units, 2.5s',
      'ann@fund.example: backfill error, listed 900, fetched 0, captured 0, skipped 0, failed 0, 0 units, 2.5s: Gmail answered 500',
      'sync finished: 2 accounts (1 ok, 0 partial, 1 error) in 5s, listed 902, captured 2, skipped 0, failed 0',
      '',
    ])
  })

  it('follows the tty option over the stream, and says when nothing was synced', () => {
    const out = terminal({ tty: true })
    const p = createTerminalProgress({ stream: out.stream, tty: false, now: clock().now })
    p.onProgress(progress('ann@fund.example', { listed: 1 }))
    p.finish([])
    expect(out.text()).toBe(
      'ann@fund.example: backfill in progress, listed 1, fetched 0, captured 0, skipped 0, failed 0\nsync finished: no account was synced\n',
    )
  })
})
