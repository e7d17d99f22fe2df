/**
 * Naive syncs, for comparison: what a straightforward implementation does. For each mailbox
 * in turn, page through `messages.list`, then for every listed message, one request at a time:
 *
 * - `full`: `messages.get?format=full`, decode it, decide whether to store it (and fetch its
 *   attachments that are not inlined). It downloads the content of mail it does not keep,
 *   which `matched` mode must never do, and so it needs no header read first.
 * - `headers-first`: the least a straightforward `matched`-mode sync does: `format=metadata`
 *   first, then `format=full` (and attachments) of the messages it keeps.
 *
 * No batching, no cross-mailbox dedup of downloads. Each paces itself to the same quota so it
 * is not refused, and stores nothing: only its Gmail traffic is measured. Plain `fetch`, plain
 * JSON, no library code.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { QuotaCosts } from 'crm-email-integration'
import type { Workload } from './mailbox.js'
import { costTable, progress, secondsSince, startWorld, trafficOf } from './measure.js'
import type { BenchWorld, GmailTraffic } from './measure.js'
import { createNaiveMatcher } from './naive-match.js'
import type { NaiveHeader } from './naive-match.js'
import { createPacer } from './naive-pacer.js'
import type { Pacer } from './naive-pacer.js'
import { fetchAccessToken } from './naive-token.js'
import type { Scenario } from './options.js'

interface Part {
  readonly filename?: string
  readonly headers?: readonly NaiveHeader[]
  readonly body?: { readonly attachmentId?: string; readonly data?: string }
  readonly parts?: readonly Part[]
}
interface FullMessage {
  readonly id: string
  readonly labelIds?: readonly string[]
  readonly payload?: Part
}
interface ListPage {
  readonly messages?: readonly { readonly id: string }[]
  readonly nextPageToken?: string
}

/** Which naive sync (see the top of this file). */
export type NaiveMode = 'full' | 'headers-first'

/** What a naive sync did. */
export interface NaiveResult extends GmailTraffic {
  readonly mode: NaiveMode
  readonly listed: number
  /** Messages downloaded whole. */
  readonly fetched: number
  readonly attachmentsFetched: number
  /** Copies it decided to store, and distinct messages among them (by Message-ID). */
  readonly wouldStore: number
  readonly wouldStoreMessages: number
  /** Of the workload's CRM messages, how many it decided to store. */
  readonly crmMatched: number
  /** Bytes of message parts decoded from base64url. */
  readonly decodedBytes: number
}

/** Pause after a refusal: pacing should make it never happen, so no cleverer backoff is needed. */
const REFUSED_PAUSE_MS = 1000
const METADATA_QUERY = 'format=metadata&' + ['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Bcc', 'Message-ID'].map((h) => `metadataHeaders=${h}`).join('&')

interface Session {
  readonly base: string
  readonly token: string
  readonly pacer: Pacer
}

async function call<T>(session: Session, path: string, cost: number): Promise<T> {
  for (;;) {
    await session.pacer.take(cost)
    const response = await fetch(`${session.base}${path}`, { headers: { authorization: `Bearer ${session.token}` } })
    const text = await response.text()
    if (response.ok) return JSON.parse(text) as T
    if (response.status === 429 || (response.status === 403 && /rateLimit/i.test(text))) {
      await sleep(REFUSED_PAUSE_MS)
      continue
    }
    throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 200)}`)
  }
}

function* partsOf(part: Part | undefined): Generator<Part> {
  if (part === undefined) return
  yield part
  for (const child of part.parts ?? []) yield* partsOf(child)
}

async function listAll(session: Session, user: string, pageSize: number, costs: QuotaCosts): Promise<string[]> {
  const ids: string[] = []
  let pageToken: string | undefined
  do {
    const query = new URLSearchParams({ maxResults: String(pageSize), ...(pageToken === undefined ? {} : { pageToken }) })
    const page = await call<ListPage>(session, `/gmail/v1/users/${user}/messages?${query.toString()}`, costs.list)
    ids.push(...(page.messages ?? []).map((m) => m.id))
    pageToken = page.nextPageToken
  } while (pageToken !== undefined)
  return ids
}

/** Runs a naive sync over every mailbox, one after another, and measures it. */
export async function runNaiveSync(mode: NaiveMode, scenario: Scenario, seed: number, workload: Workload, pageSize: number): Promise<NaiveResult> {
  const world: BenchWorld = await startWorld(scenario, seed, workload)
  const costs = costTable(scenario)
  const decide = createNaiveMatcher(workload.mail.directory, workload.mail.domain, workload.mail.blocklist)
  const counts = { listed: 0, fetched: 0, attachmentsFetched: 0, wouldStore: 0, decodedBytes: 0 }
  const stored = new Set<string>()
  try {
    world.emu.stats.reset()
    const start = process.hrtime.bigint()
    for (const address of workload.team) {
      const user = encodeURIComponent(address)
      const session: Session = { base: world.proxy.url, token: await fetchAccessToken(world.emu.serviceAccountKey, address), pacer: createPacer(scenario.rateUnitsSec) }
      const ids = await listAll(session, user, pageSize, costs)
      counts.listed += ids.length
      for (const id of ids) {
        const path = `/gmail/v1/users/${user}/messages/${id}`
        const first = await call<FullMessage>(session, `${path}?${mode === 'full' ? 'format=full' : METADATA_QUERY}`, costs.get)
        const headers = first.payload?.headers ?? []
        const store = decide(first.labelIds ?? [], headers)
        if (mode === 'headers-first' && !store) continue
        const message = mode === 'full' ? first : await call<FullMessage>(session, `${path}?format=full`, costs.get)
        counts.fetched += 1
        for (const part of partsOf(message.payload)) {
          if (part.body?.data !== undefined) counts.decodedBytes += Buffer.from(part.body.data, 'base64url').length
          const attachmentId = part.body?.attachmentId
          if (store && attachmentId !== undefined) {
            await call(session, `${path}/attachments/${attachmentId}`, costs.attachment)
            counts.attachmentsFetched += 1
          }
        }
        if (!store) continue
        counts.wouldStore += 1
        const messageId = headers.find((h) => h.name.toLowerCase() === 'message-id')?.value.trim().replace(/^<|>$/g, '')
        if (messageId !== undefined) stored.add(messageId)
      }
      progress(`  naive ${mode}: ${address} ${ids.length} listed`)
    }
    const traffic = trafficOf(world, secondsSince(start))
    return {
      mode,
      ...traffic,
      ...counts,
      wouldStoreMessages: stored.size,
      crmMatched: [...workload.crm].filter((id) => stored.has(id)).length,
    }
  } finally {
    await world.close()
  }
}
