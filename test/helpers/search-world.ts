import type { Kysely } from 'kysely'
import {
  createEmailIntegration,
  type Clock,
  type DirectoryEntry,
  type EmailConfigInput,
  type EmailDatabase,
  type EmailIntegration,
} from '../../src/index.js'
import type { GmailEmulatorOptions } from '../../src/testing/index.js'
import type { TestDatabase } from './databases.js'
import { CHEAP_COSTS, MailLedger } from './sync/expect.js'
import { childSettings, gatedProxy } from './sync/process.js'
import { syncWorld, type SyncWorld } from './sync/setup.js'
import { TEAM } from './team.js'

/** The three teammates whose mailboxes hold mail in the search tests (the other two stay empty). */
export { ANN, BOB, CAT } from './team.js'

/** CRM identities: a fund and an org by domain, a contact on a free-mail domain. */
export { ACME as FUND, DANA, GLOBEX as ORG } from './team.js'
/** A contact who is only ever written to in Cc. */
export const CORA: DirectoryEntry = { type: 'contact', id: 'c-2', name: 'Cora Cc', emails: ['cora@boutique.example'] }
/** A contact who only ever appears as a Reply-To: Gmail's search does not see that header. */
export const RITA: DirectoryEntry = { type: 'contact', id: 'c-3', name: 'Rita Reply', emails: ['rita@hotmail.com'] }
/** Identities a host adds later: an org by domain (mail also comes from a subdomain), a free-mail contact. */
export const INITECH: DirectoryEntry = { type: 'org', id: 'o-2', name: 'Initech', domains: ['initech.example'] }
export const ZED: DirectoryEntry = { type: 'contact', id: 'c-4', name: 'Zed Free', emails: ['zed@yahoo.com'] }

/** The host's directory, which a test grows and shrinks between syncs. */
export class GrowingDirectory {
  private entries: DirectoryEntry[]

  constructor(entries: readonly DirectoryEntry[]) {
    this.entries = [...entries]
  }

  /** The `directory` function an integration is given: what the directory holds at the time of the call. */
  readonly read = (): Promise<DirectoryEntry[]> => Promise.resolve([...this.entries])

  add(...entries: readonly DirectoryEntry[]): void {
    this.entries.push(...entries)
  }

  /** Replaces everything it holds. */
  replace(entries: readonly DirectoryEntry[]): void {
    this.entries = [...entries]
  }

  remove(entry: DirectoryEntry): void {
    this.entries = this.entries.filter((e) => !(e.type === entry.type && e.id === entry.id))
  }

  /** A copy of what it holds now (a child process is given this). */
  snapshot(): DirectoryEntry[] {
    return [...this.entries]
  }
}

/** One Gmail API call as it went over the wire (batch parts one by one). */
export interface GmailCall {
  /** The mailbox, lower-case. */
  readonly user: string
  readonly kind: 'list' | 'get' | 'history' | 'profile' | 'attachment'
  /** The message id of a get or attachment download. */
  readonly id: string | null
  /** The `format` of a get (`full` when the call names none, as Gmail's default). */
  readonly format: string | null
  /** The `q` of a list. */
  readonly q: string | null
}

/** Counts of calls by kind and get format. */
export interface CallTally {
  readonly list: number
  readonly profile: number
  readonly history: number
  readonly attachment: number
  readonly metadata: number
  readonly raw: number
  readonly full: number
  /** Every call: with {@link CHEAP_COSTS} each costs one quota unit. */
  readonly total: number
}

/** Calls recorded by a proxy in front of the emulator. */
export interface CallLog {
  /** The base URL an integration is given as `apiBaseUrl`. */
  readonly url: string
  /** The calls so far, of one mailbox or of all. */
  calls(user?: string): GmailCall[]
  clear(): void
  close(): Promise<void>
}

const GMAIL_PATH = /^\/gmail\/v1\/users\/([^/]+)\/(.+)$/
const BATCH_PART = /^(?:GET|POST) (\/gmail\/v1\/\S+)/gm

function parseCall(pathAndQuery: string): GmailCall | null {
  const url = new URL(pathAndQuery, 'http://127.0.0.1')
  const match = GMAIL_PATH.exec(url.pathname)
  if (match === null) return null
  const user = decodeURIComponent(match[1] ?? '').toLowerCase()
  const rest = (match[2] ?? '').split('/').map(decodeURIComponent)
  const base = { user, id: null, format: null, q: null }
  if (rest[0] === 'profile') return { ...base, kind: 'profile' }
  if (rest[0] === 'history') return { ...base, kind: 'history' }
  if (rest[0] !== 'messages') return null
  if (rest.length === 1) return { ...base, kind: 'list', q: url.searchParams.get('q') }
  if (rest.length === 2) return { ...base, kind: 'get', id: rest[1] ?? null, format: url.searchParams.get('format') ?? 'full' }
  return { ...base, kind: 'attachment', id: rest[1] ?? null }
}

/**
 * Starts a proxy in front of the emulator that records every Gmail call, batch parts one by one,
 * with the mailbox, the message id, the get's format and the list's `q`: what the emulator's
 * counters do not tell apart (a metadata get from a content get).
 *
 * @example
 * const log = await callLog(w.emu.url)
 * const email = w.integration({ apiBaseUrl: log.url })
 */
export async function callLog(target: string): Promise<CallLog> {
  let calls: GmailCall[] = []
  const record = (body: string, path: string): boolean => {
    const paths = path.startsWith('/batch/') ? [...body.matchAll(BATCH_PART)].map((m) => m[1] ?? '') : [path]
    for (const p of paths) {
      const call = parseCall(p)
      if (call !== null) calls.push(call)
    }
    return false
  }
  const proxy = await gatedProxy(target, record)
  return {
    url: proxy.url,
    calls: (user) => (user === undefined ? [...calls] : calls.filter((c) => c.user === user)),
    clear: () => {
      calls = []
    },
    close: () => proxy.close(),
  }
}

/**
 * Counts calls by kind and get format.
 *
 * @example
 * expect(tally(log.calls(ANN)).metadata).toBe(0)
 */
export function tally(calls: readonly GmailCall[]): CallTally {
  const count = (test: (c: GmailCall) => boolean): number => calls.filter(test).length
  return {
    list: count((c) => c.kind === 'list'),
    profile: count((c) => c.kind === 'profile'),
    history: count((c) => c.kind === 'history'),
    attachment: count((c) => c.kind === 'attachment'),
    metadata: count((c) => c.kind === 'get' && c.format === 'metadata'),
    raw: count((c) => c.kind === 'get' && c.format === 'raw'),
    full: count((c) => c.kind === 'get' && c.format === 'full'),
    total: calls.length,
  }
}

/** Message ids whose content (raw or full) a list of calls downloaded. */
export function contentGets(calls: readonly GmailCall[]): string[] {
  return calls.filter((c) => c.kind === 'get' && c.format !== 'metadata' && c.id !== null).map((c) => c.id ?? '')
}

/** A sync world whose syncs go through a recording proxy, on a directory the test changes. */
export interface SearchWorld {
  readonly w: SyncWorld
  readonly db: Kysely<EmailDatabase>
  readonly ledger: MailLedger
  readonly directory: GrowingDirectory
  readonly log: CallLog
  /** The integration that syncs, through {@link log}. */
  readonly email: EmailIntegration
  close(): Promise<void>
}

/** The settings of every search test: quota units a call, and a rate that never makes a test wait. */
const TEST_CONFIG: EmailConfigInput = { quotaCosts: CHEAP_COSTS, rateUnitsSec: 250 }

/**
 * Builds a sync world on `t` with the emulator at {@link CHEAP_COSTS}, a directory the test can
 * change, and an integration that syncs through a call log.
 *
 * @example
 * const s = await searchWorld(t, { directory: [FUND, ORG, DANA] })
 * await s.email.sync.runAll()
 */
export async function searchWorld(
  t: TestDatabase,
  options: { directory: readonly DirectoryEntry[]; config?: EmailConfigInput; emulator?: GmailEmulatorOptions; clock?: Clock },
): Promise<SearchWorld> {
  const directory = new GrowingDirectory(options.directory)
  const config = { ...TEST_CONFIG, ...options.config }
  const w = await syncWorld(t, {
    emulator: { costs: CHEAP_COSTS, ...options.emulator },
    config,
    directory: directory.read,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
  const log = await callLog(w.emu.url)
  const email = w.integration({ apiBaseUrl: log.url })
  return {
    w,
    db: t.db as unknown as Kysely<EmailDatabase>,
    ledger: new MailLedger(w.emu),
    directory,
    log,
    email,
    async close() {
      await email.close()
      await log.close()
      await w.close()
    },
  }
}

/**
 * A second store synced from the same emulator with another configuration (the `headers`
 * strategy, for comparing what both store): its own database, the team enrolled.
 *
 * @example
 * const twin = await twinStore(await open(), s, { captureStrategy: 'headers' })
 * await twin.email.sync.runAll()
 */
export async function twinStore(
  t: TestDatabase,
  s: SearchWorld,
  config: EmailConfigInput,
): Promise<{ readonly db: Kysely<EmailDatabase>; readonly email: EmailIntegration; close(): Promise<void> }> {
  const base = childSettings(s.w, '').config
  const email = createEmailIntegration({
    db: t.db,
    config: { ...base, ...TEST_CONFIG, ...config },
    directory: s.directory.read,
    gmail: { backoff: { minDelayMs: 2, maxDelayMs: 20 } },
  })
  await email.migrate()
  for (const address of TEAM) await email.accounts.enroll(address)
  return {
    db: t.db as unknown as Kysely<EmailDatabase>,
    email,
    async close() {
      await email.close()
      await t.close()
    },
  }
}

/** Every identity link as `messageId identityKey address matchKind`, sorted. */
export async function identityLinks(db: Kysely<EmailDatabase>): Promise<string[]> {
  const rows = await db
    .selectFrom('email_identity_links')
    .innerJoin('emails', 'emails.id', 'email_identity_links.email_id')
    .select(['emails.message_id', 'email_identity_links.identity_key', 'email_identity_links.address', 'email_identity_links.match_kind'])
    .execute()
  return rows.map((r) => `${r.message_id} ${r.identity_key} ${r.address} ${r.match_kind}`).sort()
}

/** Message-IDs of the emails linked to one identity key (`org:o-2`), sorted. */
export async function linkedTo(db: Kysely<EmailDatabase>, identityKey: string): Promise<string[]> {
  const rows = await db
    .selectFrom('email_identity_links')
    .innerJoin('emails', 'emails.id', 'email_identity_links.email_id')
    .select('emails.message_id')
    .where('email_identity_links.identity_key', '=', identityKey)
    .execute()
  return [...new Set(rows.map((r) => r.message_id))].sort()
}
