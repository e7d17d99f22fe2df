/**
 * What both syncs are measured against: a fresh emulator holding the workload, behind a
 * counting proxy, with the scenario's cost table and Gmail's per-user limit under it; and the
 * traffic read off them.
 */
import { resolveConfig } from 'crm-email-integration'
import type { QuotaCosts } from 'crm-email-integration'
import { startGmailEmulator } from 'crm-email-integration/testing'
import type { GmailEmulator } from 'crm-email-integration/testing'
import { startCountingProxy } from './counting-proxy.js'
import type { CountingProxy } from './counting-proxy.js'
import { loadWorkload } from './mailbox.js'
import type { Workload } from './mailbox.js'
import type { Scenario } from './options.js'

/** An emulator loaded with the workload, and the proxy the sync under test talks through. */
export interface BenchWorld {
  readonly emu: GmailEmulator
  readonly proxy: CountingProxy
  close(): Promise<void>
}

/**
 * Starts a fresh emulator (same seed, same load: same Gmail ids every time) and its proxy.
 *
 * @example
 * ```ts
 * const world = await startWorld(scenario, seed, workload)
 * // sync through world.proxy.url, then read trafficOf(world, seconds)
 * await world.close()
 * ```
 */
export async function startWorld(scenario: Scenario, seed: number, workload: Workload): Promise<BenchWorld> {
  // Gmail's limits under the table: the minute's budget, and no burst above its average rate.
  const emu = await startGmailEmulator({ seed, quota: scenario.limitUnitsMin / 60, quotaPerMinute: scenario.limitUnitsMin, costs: scenario.costs })
  loadWorkload(emu, workload)
  const proxy = await startCountingProxy(emu.url)
  return {
    emu,
    proxy,
    async close() {
      await proxy.close()
      await emu.close()
    },
  }
}

/** The scenario's cost table, as the library resolves it (the emulator charges the same one). */
export function costTable(scenario: Scenario): QuotaCosts {
  return resolveConfig({ quotaCosts: scenario.costs }).quotaCosts
}

/** The Gmail traffic of one sync, as the emulator and the proxy saw it. */
export interface GmailTraffic {
  readonly seconds: number
  /** Quota units Gmail charged, over every mailbox. */
  readonly units: number
  readonly unitsByMailbox: Readonly<Record<string, number>>
  /** HTTP requests to the Gmail API (a batch counts once; token requests are not included). */
  readonly httpRequests: number
  /** Gmail calls by method (each batch part under its own method, and `batch` once per batch), token grants included. */
  readonly calls: Readonly<Record<string, number>>
  /** Calls Gmail refused for quota or concurrency (429, or 403 rate limit): none when the client paces itself right. */
  readonly refused: number
  /** Response body bytes received from the Gmail API. */
  readonly bytesDownloaded: number
  /** Message contents served (`format=raw` or `full`, and attachments), over every mailbox. */
  readonly contentDownloads: number
}

/** The sum of a record's values. */
export function total(record: Readonly<Record<string, number>>): number {
  return Object.values(record).reduce((sum, value) => sum + value, 0)
}

/** Reads the traffic of a world whose counters started at zero. */
export function trafficOf(world: BenchWorld, seconds: number): GmailTraffic {
  const { stats } = world.emu
  const refused = Object.entries(stats.responses)
    .filter(([key]) => / (429|403)$/.test(key))
    .reduce((sum, [, count]) => sum + count, 0)
  return {
    seconds: round(seconds, 3),
    units: total(stats.unitsSpent),
    unitsByMailbox: stats.unitsSpent,
    httpRequests: world.proxy.requests(),
    calls: stats.requests,
    refused,
    bytesDownloaded: world.proxy.bytes(),
    contentDownloads: total(stats.downloads),
  }
}

/** `value` rounded to `digits` decimals. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** `a / b` to three decimals, or `null` when `b` is zero. */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : round(a / b, 3)
}

/** Seconds of wall time since `start` (from `process.hrtime.bigint()`). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** A progress line on stderr: stdout carries only the JSON. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)}s] ${message}\n`)
}
