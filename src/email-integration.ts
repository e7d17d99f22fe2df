/**
 * The public shape of one integration: what a host passes to `createEmailIntegration` and the
 * object it gets back. The composition root that builds it is `create-email-integration.ts`.
 */
import type { Kysely } from 'kysely'
import type { AccountsApi } from './accounts/api.js'
import type { AuditLogApi } from './audit-log/api.js'
import type { RematchOptions, RematchResult } from './capture/rematch.js'
import type { DownloadReport } from './capture/attachments-worker.js'
import type { EmailConfig, EmailConfigInput } from './config/index.js'
import type { MigrationReport } from './db/migrate.js'
import type { DigestApi } from './digest/api.js'
import type { Summarizer } from './digest/summarizer.js'
import type { Digest } from './digest/types.js'
import type { Authenticate, Clock, Directory, Logger } from './hooks.js'
import type { RouteInfo } from './http/router.js'
import type { HousekeepingApi } from './housekeeping/api.js'
import type { ErasureApi } from './erasure/api.js'
import type { RetentionApi } from './erasure/retention.js'
import type { MailApi } from './mail/api.js'
import type { Scheduler } from './scheduler/scheduler.js'
import type { SearchApi } from './search/api.js'
import type { SyncApi } from './sync/api.js'
import type { IndexReport, IndexRunOptions } from './vectors/indexer.js'
import type { AuditOptions, AuditReport } from './sync/audit/audit.js'
import type { GmailClientTuning } from './sync/gmail-access.js'
import type { IntegrationStatus } from './sync/status.js'
import type { SyncTuning } from './sync/types.js'

/** What a host passes to `createEmailIntegration`. */
export interface EmailIntegrationOptions<DB> {
  /**
   * The host's Kysely instance (SQLite or PostgreSQL dialect). The library only touches its own
   * tables (`emails`, `email_*`) and runs its queries without the host's plugins, so a
   * `CamelCasePlugin` on the host's instance does not rename its columns. It never closes it.
   */
  readonly db: Kysely<DB>
  /** `loadConfig(process.env)`, or a plain object validated the same way. */
  readonly config: EmailConfig | EmailConfigInput
  /** The CRM identities mail is matched against. */
  readonly directory: Directory
  /** Who is calling a route; without it every route answers 401. */
  readonly authenticate?: Authenticate
  /**
   * Where the library logs, fields first as pino takes them (`info(fields, message)`): pino,
   * winston (recognised and called message first) and `console` can be passed as they are;
   * silent by default. See {@link Logger}.
   */
  readonly logger?: Logger
  /** The current time; the system clock by default. */
  readonly clock?: Clock
  /**
   * Gmail client tuning: backoff delays, request timeout, batch size. The defaults suit Gmail;
   * tests and emulators shorten the backoff.
   */
  readonly gmail?: GmailClientTuning
  /** Sync tuning: the account lease's TTL (default two minutes). */
  readonly sync?: SyncTuning
  /**
   * The host's users' addresses, for `POST /api/email/accounts/enroll-all` without a body:
   * those in the workspace domains are enrolled.
   */
  readonly listUsers?: () => Promise<readonly string[]>
  /** Summarises digest groups; overrides `CRM_GMAIL_SUMMARIZER_URL`. Failures fall back to extractive summaries. */
  readonly summarizer?: Summarizer
  /** Delivers a digest (mail it, post it to chat); without it `digest.send` is refused and no daily digest goes out. */
  readonly deliverDigest?: (digest: Digest) => Promise<void>
}

/** One mounted integration: the object a host keeps for its lifetime. */
export interface EmailIntegration {
  /** The resolved, frozen configuration (secrets print as `[redacted]`). */
  readonly config: EmailConfig
  /**
   * Creates or updates the library's tables. Idempotent: a second call applies nothing.
   *
   * @example
   * ```ts
   * const { applied } = await email.migrate()
   * ```
   */
  migrate(): Promise<MigrationReport>
  /**
   * Drops every table and index the library created, with their rows, and its migration
   * bookkeeping; the host's tables are untouched. For uninstalling.
   *
   * @example
   * ```ts
   * await email.rollback()
   * ```
   */
  rollback(): Promise<void>
  /** Enrolled mailboxes. */
  readonly accounts: AccountsApi
  /**
   * Every enrolled account with its last run, failed messages and lease holder (`busy`), and
   * the scheduler's state: what `GET /api/email/status` answers.
   * @example
   * ```ts
   * for (const a of (await email.status()).accounts) console.log(a.address, a.lastRun?.status ?? '-')
   * ```
   */
  status(): Promise<IntegrationStatus>
  /**
   * The audit log of privileged actions (hide, restore, enrolment, clearing a search fallback):
   * who, when, what, as ids and counts; what `GET /api/email/audit-log` (admin) answers.
   */
  readonly auditLog: AuditLogApi
  /** Syncing mailboxes from Gmail (throws `DisabledError` while the integration is disabled). */
  readonly sync: SyncApi
  /**
   * Relinks every stored email to the CRM identities after the directory changed (an entity
   * added, removed, or given another address or domain). Mail is never deleted by it.
   *
   * @example
   * ```ts
   * const { changed } = await email.rematch()
   * ```
   */
  rematch(options?: RematchOptions): Promise<RematchResult>
  /**
   * Audits an account's capture against Gmail's search, read-only (see `AuditReport`); with
   * `readHeaders` (default) it reads the headers of every unstored message no search listed.
   * @example
   * ```ts
   * const { identities, missedBySearch } = await email.audit({ account: 'ann@fund.example' })
   * ```
   */
  audit(options: AuditOptions): Promise<AuditReport>
  /** Threads of stored mail: a filtered, paged list and one thread's emails. */
  readonly threads: MailApi['threads']
  /** The identity facet of a filter: which CRM identities the mail involves, with counts. */
  readonly identities: MailApi['identities']
  /** One email's full text, hiding (soft delete) and restoring it, and the list of hidden mail. */
  readonly emails: MailApi['emails']
  /**
   * Stored attachment bytes (`open`), and the download worker (`downloadPending`) that fetches
   * the attachments of messages too large to fetch whole. The scheduler runs the worker after
   * each sync; a host that syncs from its own job calls it after `sync.runAll()`.
   *
   * @example
   * ```ts
   * await email.sync.runAll()
   * const { stored, remaining } = await email.attachments.downloadPending()
   * ```
   */
  readonly attachments: MailApi['attachments'] & {
    downloadPending(options?: { readonly signal?: AbortSignal; readonly limit?: number }): Promise<DownloadReport>
  }
  /**
   * Clears the attachment store: temporary files a crash left and files no attachment row
   * references any more. The scheduler runs it after the first sync, then at most once a day.
   *
   * @example
   * ```ts
   * const { blobsRemoved, bytesFreed, tempFilesRemoved } = await email.housekeeping.run()
   * ```
   */
  readonly housekeeping: HousekeepingApi
  /**
   * Erases every email an address (or each address of a CRM identity) takes part in, for good,
   * and suppresses the addresses so later syncs never capture their mail (SPEC §12).
   *
   * @example
   * ```ts
   * const { emails, blobsRemoved, addresses } = await email.purge({ address: 'dana@acme.vc' }, { actor: principal.email })
   * ```
   */
  readonly purge: ErasureApi['purge']
  /**
   * The suppression list a purge adds to: hashes only, never addresses.
   *
   * @example
   * ```ts
   * await email.suppressions.remove('dana@acme.vc') // its mail is captured again from the next sync
   * ```
   */
  readonly suppressions: ErasureApi['suppressions']
  /**
   * Retention: erases mail sent more than `CRM_GMAIL_RETENTION_DAYS` days ago (0, the default,
   * keeps everything). The scheduler runs it after a sync at most once a day.
   *
   * @example
   * ```ts
   * const { emails, cutoff } = await email.retention.run()
   * ```
   */
  readonly retention: RetentionApi
  /**
   * Answers the library's routes (`/api/email/*`, `/api/admin/digest/*`) from a WHATWG
   * Request, or returns `null` for any other path so the host keeps routing.
   *
   * @example
   * ```ts
   * const response = await email.tryHandle(new Request('http://crm.local/api/email/threads?identity=fund:7'))
   * ```
   */
  tryHandle(request: Request): Promise<Response | null>
  /**
   * The routes `tryHandle` answers, in matching order: method, pattern (`:id` segments are
   * parameters), who may call it, and the query parameters and body fields it reads. For hosts
   * that register routes one by one or document them; any other query parameter is a 400.
   *
   * @example
   * ```ts
   * const table = email.routes.map((r) => `${r.method} ${r.pattern} (${r.access})`)
   * ```
   */
  readonly routes: readonly RouteInfo[]
  /**
   * The digest: `preview(window)` and `send(window)` over `{ hours }` or `{ since }` (neither
   * moves the daily cursor), and `runScheduled()`, which the scheduler calls every few minutes
   * and which sends each day's digest once, after `CRM_GMAIL_DIGEST_HOUR`, even with several
   * processes.
   *
   * @example
   * ```ts
   * const digest = await email.digest.preview({ hours: 24 })
   * ```
   */
  readonly digest: DigestApi
  /**
   * Searches the content of stored mail (subject, participants, body), best match first,
   * filtered like the thread list; hidden mail is never found. SQLite FTS5 or PostgreSQL
   * full-text search by default; hybrid (vectors fused with keywords) when configured, which
   * answers `backend_unavailable` (503) while its services are down.
   *
   * `email.search.index(options?)` runs the indexer once (the scheduler runs it after each
   * round of syncs): it reads the text of stored attachments, then, with vectors configured,
   * deletes the vectors of hidden and erased mail, rewrites changed filtering payloads and embeds
   * visible mail that has no vectors of the current model, at most `limit` emails (default
   * 2,000). An endpoint or store that is down stops the run with `error` set; the next run
   * carries on from where it stopped.
   *
   * @example
   * ```ts
   * const { items } = await email.search('term sheet', { identity: 'fund:7', limit: 10 })
   * const { embedded, pending, error } = await email.search.index({ limit: 500 })
   * ```
   */
  readonly search: SearchApi['search'] & { readonly index: (options?: IndexRunOptions) => Promise<IndexReport> }
  /**
   * The background sync: `start()` it in a long-running host (it never starts while the
   * integration is disabled); `runNow()` and `state()` serve the sync and status routes.
   */
  readonly scheduler: Scheduler
  /**
   * Stops the integration's background work (the scheduler, waiting for a run in progress to
   * stop after its current page). The host's database stays open (the host owns
   * it); any later call on this object throws a `closed` error.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void email.close())
   * ```
   */
  close(): Promise<void>
}
