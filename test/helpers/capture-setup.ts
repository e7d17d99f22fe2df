/**
 * Shared setup of the capture pipeline suites: the Gmail emulator, a real database migrated
 * by the integration, enrolled team mailboxes, the pipeline over a directory and a blob store,
 * and a helper that runs a whole mailbox listing through prepare and commit as the sync does.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { createBlobStore, type BlobStore } from '../../src/db/blob-store.js'
import { buildMatchIndex, type MatchIndex } from '../../src/capture/match/match-index.js'
import type { ParsedEmail } from '../../src/capture/parse/parsed-email.js'
import {
  createCapturePipeline,
  type CaptureAccount,
  type CaptureFailure,
  type CapturePipeline,
  type SkipReason,
} from '../../src/capture/pipeline.js'
import { QUOTA_COSTS_2026, resolveConfig, type EmailConfigInput } from '../../src/config/index.js'
import type { IntegrationContext } from '../../src/context.js'
import { insertAccount } from '../../src/db/accounts.js'
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from '../../src/db/migrate.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { createGmailClient } from '../../src/gmail/client.js'
import type { GmailClient } from '../../src/gmail/client-types.js'
import { createDwdCredentials } from '../../src/gmail/credentials/dwd.js'
import type { AccessTokenProvider } from '../../src/gmail/credentials/credentials.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import type { DirectoryEntry } from '../../src/hooks.js'
import { createEmailIntegration } from '../../src/index.js'
import { startGmailEmulator, type GmailEmulator, type GmailEmulatorOptions } from '../../src/testing/index.js'
import { testContext } from './context.js'
import type { TestDatabase } from './databases.js'
import { ACME, ANN, BOB, CAT, GLOBEX, WORKSPACE_DOMAIN } from './team.js'

/** The teammates whose mailboxes a capture set-up enrolls unless told otherwise. */
export const CAPTURE_MAILBOXES: readonly string[] = [ANN, BOB, CAT]

/**
 * A fund by domain, an org by domain, a contact by exact address, and a contact at a free-mail
 * address. The org also lists a free-mail and the workspace domain, which must never match.
 */
export const DIRECTORY: readonly DirectoryEntry[] = [
  ACME,
  { ...GLOBEX, domains: [...(GLOBEX.domains ?? []), 'gmail.com', WORKSPACE_DOMAIN] },
  { type: 'contact', id: 'c1', name: 'Jane Roe', emails: ['jane@startup.example'] },
  { type: 'contact', id: 'c2', name: 'Pat Gmail', emails: ['pat.lee@gmail.com'] },
]

/** A blocked address (inside a matched fund domain) and a blocked domain. */
export const BLOCKLIST = { addresses: ['spammy@acme.vc'], domains: ['blocked.example'] }

/** Everything a capture test works with; `close()` releases it all (a shared emulator excepted). */
export interface CaptureSetup {
  readonly emu: GmailEmulator
  readonly t: TestDatabase
  readonly context: IntegrationContext
  readonly db: Kysely<EmailDatabase>
  readonly index: MatchIndex
  readonly blobs: BlobStore
  readonly pipeline: CapturePipeline
  /** The enrolled mailbox of an address. */
  account(address: string): CaptureAccount
  /** A real Gmail client of a mailbox, over HTTP to the emulator, with domain-wide delegation. */
  client(address: string): GmailClient
  /** Lists a whole mailbox (SPAM and TRASH included) and runs every page through prepare and commit. */
  captureMailbox(address: string, options?: { pageSize?: number }): Promise<MailboxRun>
  close(): Promise<void>
}

/** What a run over one mailbox listing did, summed over its pages. */
export interface MailboxRun {
  /** Every Gmail id listed, in listing order. */
  readonly listed: readonly string[]
  readonly skipped: readonly { readonly gmailId: string; readonly reason: SkipReason }[]
  /** Failures of prepare and of commit. */
  readonly failed: readonly CaptureFailure[]
  readonly fetched: number
  readonly captured: number
  readonly pages: number
}

export interface CaptureSetupOptions {
  /** Configuration over the defaults (workspace domain and blocklist above). */
  readonly config?: EmailConfigInput
  readonly directory?: readonly DirectoryEntry[]
  /** Mailboxes to enroll (default: {@link CAPTURE_MAILBOXES}). */
  readonly mailboxes?: readonly string[]
  /** An emulator to use instead of starting one; it is left running on close. */
  readonly emulator?: GmailEmulator
  readonly emulatorOptions?: GmailEmulatorOptions
}

/**
 * Migrates with the integration's own `migrate()`. On PostgreSQL its bookkeeping tables are
 * created in the test's schema first: Kysely's Migrator, given no `migrationTableSchema`, looks
 * for them in every schema of the database, so while another schema holds them (a suite
 * running in parallel, another session) it skips creating its own and then fails with
 * `relation "email_migrations_lock" does not exist`. The DDL is Kysely's own. A schema dropped
 * by a parallel suite while Kysely introspects can still fail a run, hence the retries.
 */
async function migrate(t: TestDatabase): Promise<void> {
  const integration = createEmailIntegration({ db: t.db, config: {}, directory: () => Promise.resolve([]) })
  if (t.schema === null) {
    await integration.migrate()
    return
  }
  await t.db.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute()
  await t.db.schema
    .createTable(MIGRATION_LOCK_TABLE)
    .ifNotExists()
    .addColumn('id', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('is_locked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  for (let attempt = 1; ; attempt++) {
    try {
      await integration.migrate()
      return
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }
}

function credentialsFor(emu: GmailEmulator): AccessTokenProvider {
  const { serviceAccount } = resolveConfig({ serviceAccountKey: emu.serviceAccountKey, enabled: true, workspaceDomains: [WORKSPACE_DOMAIN] })
  if (serviceAccount === null) throw new Error('the emulator key gave no service account')
  return createDwdCredentials({ serviceAccount, tokenUrl: emu.tokenUrl })
}

/**
 * Opens a database, migrates it, enrolls the mailboxes and builds the pipeline over the
 * emulator. Quota is off on both sides so that only the pipeline's own behaviour is measured.
 */
export async function startCaptureSetup(open: () => Promise<TestDatabase>, options: CaptureSetupOptions = {}): Promise<CaptureSetup> {
  const ownEmulator = options.emulator === undefined
  const emu = options.emulator ?? (await startGmailEmulator({ seed: 11, quota: Infinity, maxInFlight: Infinity, ...options.emulatorOptions }))
  const t = await open()
  const blobDir = mkdtempSync(join(tmpdir(), 'capture-blobs-'))
  const release = async (): Promise<void> => {
    await t.close()
    rmSync(blobDir, { recursive: true, force: true })
    if (ownEmulator) await emu.close()
  }
  const config: EmailConfigInput = { workspaceDomains: [WORKSPACE_DOMAIN], blocklist: BLOCKLIST, attachmentsDir: blobDir, ...options.config }
  const context = testContext(t.db, config)
  const accounts = new Map<string, CaptureAccount>()
  try {
    await migrate(t)
    const now = new Date().toISOString()
    for (const address of options.mailboxes ?? CAPTURE_MAILBOXES) {
      const { account } = await insertAccount(context, { address, authMethod: 'dwd', status: 'active', statusReason: null, now })
      accounts.set(address, { id: Number(account.id), address })
      emu.addMailbox(address)
    }
  } catch (error) {
    // A PostgreSQL schema left behind would outlive the run.
    await release()
    throw error
  }
  const index = buildMatchIndex(options.directory ?? DIRECTORY, context.config)
  const blobs = createBlobStore(blobDir)
  const pipeline = createCapturePipeline(context, index, blobs)
  const credentials = credentialsFor(emu)
  const clients = new Map<string, GmailClient>()

  const account = (address: string): CaptureAccount => {
    const found = accounts.get(address)
    if (found === undefined) throw new Error(`${address} is not enrolled`)
    return found
  }

  const client = (address: string): GmailClient => {
    let gmail = clients.get(address)
    if (gmail === undefined) {
      gmail = createGmailClient({
        baseUrl: emu.url,
        mailbox: address,
        credentials,
        limiter: createQuotaLimiter({ rateUnitsSec: 100_000_000 }),
        costs: QUOTA_COSTS_2026,
        retryMax: 4,
        backoff: { minDelayMs: 1, maxDelayMs: 10 },
      })
      clients.set(address, gmail)
    }
    return gmail
  }

  async function captureMailbox(address: string, runOptions: { pageSize?: number } = {}): Promise<MailboxRun> {
    const gmail = client(address)
    const mailbox = account(address)
    const run = { listed: [] as string[], skipped: [] as MailboxRun['skipped'][number][], failed: [] as CaptureFailure[], fetched: 0, captured: 0, pages: 0 }
    for await (const listing of gmail.listMessagePages({ includeSpamTrash: true, maxResults: runOptions.pageSize ?? 500 })) {
      const refs = listing.messages ?? []
      run.pages += 1
      run.listed.push(...refs.map((r) => r.id))
      const page = await pipeline.prepare(mailbox, gmail, refs)
      const result = await context.db.transaction().execute((trx) => pipeline.commit(trx, page, new Date().toISOString()))
      run.skipped.push(...page.skipped)
      run.failed.push(...page.failed, ...result.failed)
      run.fetched += page.fetched
      run.captured += result.captured
    }
    return run
  }

  return {
    emu,
    t,
    context,
    db: context.db,
    index,
    blobs,
    pipeline,
    account,
    client,
    captureMailbox,
    close: release,
  }
}

/** The threads as sets of Message-IDs, independent of row ids and processing order. */
export async function threadPartition(db: Kysely<EmailDatabase>): Promise<string[][]> {
  const rows = await db.selectFrom('emails').select(['message_id', 'thread_id']).execute()
  const byThread = new Map<number, string[]>()
  for (const r of rows) byThread.set(r.thread_id, [...(byThread.get(r.thread_id) ?? []), r.message_id])
  return [...byThread.values()].map((ids) => ids.sort()).sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))
}

/** Every row of the tables the capture writes, ordered, for before/after comparisons. */
export async function captureSnapshot(db: Kysely<EmailDatabase>): Promise<Record<string, unknown[]>> {
  return {
    emails: await db.selectFrom('emails').selectAll().orderBy('id').execute(),
    copies: await db.selectFrom('email_copies').selectAll().orderBy('id').execute(),
    participants: await db.selectFrom('email_participants').selectAll().orderBy('email_id').orderBy('role').orderBy('position').execute(),
    references: await db.selectFrom('email_references').selectAll().orderBy('email_id').orderBy('position').execute(),
    links: await db.selectFrom('email_identity_links').selectAll().orderBy('email_id').orderBy('identity_key').orderBy('address').execute(),
    threads: await db.selectFrom('email_threads').selectAll().orderBy('id').execute(),
    threadKeys: await db.selectFrom('email_thread_keys').selectAll().orderBy('account_id').orderBy('gmail_thread_id').execute(),
    attachments: await db.selectFrom('email_attachments').selectAll().orderBy('id').execute(),
    blobs: await db.selectFrom('email_blobs').selectAll().orderBy('sha256').execute(),
  }
}

/** The participant rows an email's headers call for, in the order the store writes them. */
export function expectedParticipants(email: ParsedEmail): { role: string; position: number; address: string; name: string | null }[] {
  const roles: [string, readonly { address: string; name: string | null }[]][] = [
    ['from', email.from === null ? [] : [email.from]],
    ['sender', email.sender === null ? [] : [email.sender]],
    ['reply_to', email.replyTo],
    ['to', email.to],
    ['cc', email.cc],
    ['bcc', email.bcc],
  ]
  return roles.flatMap(([role, list]) => list.map((a, position) => ({ role, position, address: a.address, name: a.name })))
}

/** Participant rows of an email, in the same order as {@link expectedParticipants}. */
export async function storedParticipants(db: Kysely<EmailDatabase>, emailId: number): Promise<{ role: string; position: number; address: string; name: string | null }[]> {
  const order = ['from', 'sender', 'reply_to', 'to', 'cc', 'bcc']
  const rows = await db.selectFrom('email_participants').select(['role', 'position', 'address', 'name']).where('email_id', '=', emailId).execute()
  return rows
    .map((r) => ({ role: r.role as string, position: r.position, address: r.address, name: r.name }))
    .sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role) || a.position - b.position)
}

/**
 * Structural problems in the stored capture: what a partial or inconsistent write would leave.
 * Empty when every email has a copy and a live thread, every dependent row has its email, every
 * link goes through a participant, every stored attachment has its blob row and file, and
 * every thread counts its emails.
 */
export async function integrityProblems(
  db: Kysely<EmailDatabase>,
  blobs: BlobStore,
  options: { readonly linksThroughParticipants?: boolean } = {},
): Promise<string[]> {
  const problems: string[] = []
  const emails = await db.selectFrom('emails').select(['id', 'thread_id', 'message_id', 'has_attachments']).execute()
  const emailIds = new Set(emails.map((e) => e.id))
  const threads = new Map((await db.selectFrom('email_threads').select(['id', 'merged_into', 'message_count']).execute()).map((r) => [r.id, r]))
  const copies = await db.selectFrom('email_copies').select(['id', 'email_id', 'account_id', 'gmail_id']).execute()
  const accounts = new Set((await db.selectFrom('email_accounts').select('id').execute()).map((a) => a.id))
  const withCopy = new Set(copies.map((c) => c.email_id))
  const perThread = new Map<number, number>()
  for (const e of emails) {
    if (!withCopy.has(e.id)) problems.push(`email ${e.id} (${e.message_id}) has no copy`)
    const thread = threads.get(e.thread_id)
    if (thread === undefined) problems.push(`email ${e.id} has no thread`)
    else if (thread.merged_into !== null) problems.push(`email ${e.id} is in merged thread ${e.thread_id}`)
    perThread.set(e.thread_id, (perThread.get(e.thread_id) ?? 0) + 1)
  }
  for (const [id, thread] of threads) {
    if (thread.merged_into === null && thread.message_count !== (perThread.get(id) ?? 0)) {
      problems.push(`thread ${id} counts ${thread.message_count} emails, holds ${perThread.get(id) ?? 0}`)
    }
  }
  for (const c of copies) {
    if (!emailIds.has(c.email_id)) problems.push(`copy ${c.id} points at missing email ${c.email_id}`)
    if (!accounts.has(c.account_id)) problems.push(`copy ${c.id} points at missing account ${c.account_id}`)
  }
  const keys = await db.selectFrom('email_thread_keys').select(['thread_id', 'gmail_thread_id']).execute()
  for (const k of keys) {
    const thread = threads.get(k.thread_id)
    // A missing thread reads as undefined, which is not null either.
    if (thread?.merged_into !== null) problems.push(`thread key ${k.gmail_thread_id} points at ${k.thread_id}, not a live thread`)
  }
  // A link is made through a participant address: one that is not among the email's
  // participants links the email to an entity that took no part in it. (Off where copies of
  // one email are known to carry different headers, as mutated messages sharing an identity.)
  const participantKeys = new Set((await db.selectFrom('email_participants').select(['email_id', 'address']).execute()).map((p) => `${p.email_id} ${p.address}`))
  for (const l of await db.selectFrom('email_identity_links').select(['email_id', 'identity_key', 'address']).execute()) {
    if (options.linksThroughParticipants !== false && !participantKeys.has(`${l.email_id} ${l.address}`)) problems.push(`email ${l.email_id} links ${l.identity_key} through ${l.address}, not a participant`)
  }
  const dependents = [
    ['participant', await db.selectFrom('email_participants').select('email_id').execute()],
    ['reference', await db.selectFrom('email_references').select('email_id').execute()],
    ['link', await db.selectFrom('email_identity_links').select('email_id').execute()],
  ] as const
  for (const [what, rows] of dependents) {
    for (const r of rows) if (!emailIds.has(r.email_id)) problems.push(`${what} of missing email ${r.email_id}`)
  }
  const attachments = await db.selectFrom('email_attachments').select(['id', 'email_id', 'status', 'sha256', 'copy_id']).execute()
  const blobRows = new Set((await db.selectFrom('email_blobs').select('sha256').execute()).map((b) => b.sha256))
  const copyIds = new Set(copies.map((c) => c.id))
  const attached = new Set<number>()
  for (const a of attachments) {
    attached.add(a.email_id)
    if (!emailIds.has(a.email_id)) problems.push(`attachment ${a.id} of missing email ${a.email_id}`)
    if (a.copy_id !== null && !copyIds.has(a.copy_id)) problems.push(`attachment ${a.id} of missing copy ${a.copy_id}`)
    if (a.status === 'stored') {
      if (a.sha256 === null || !blobRows.has(a.sha256)) problems.push(`stored attachment ${a.id} has no blob row`)
      else if (!existsSync(blobs.pathOf(a.sha256))) problems.push(`stored attachment ${a.id} has no blob file`)
    }
  }
  for (const e of emails) {
    if ((e.has_attachments === 1) !== attached.has(e.id)) problems.push(`email ${e.id}: has_attachments ${e.has_attachments} but ${attached.has(e.id) ? 'has' : 'no'} rows`)
  }
  return problems
}
