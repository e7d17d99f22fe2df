import type { Kysely } from 'kysely'
import { createAccountsApi } from './accounts/api.js'
import { createAuditLogApi } from './audit-log/api.js'
import { resolveConfig } from './config/index.js'
import { processOwner, type IntegrationContext } from './context.js'
import type { EmailDatabase } from './db/database.js'
import { dialectOf } from './db/dialect.js'
import { migrateToLatest, rollbackAll } from './db/migrate.js'
import { createDirectoryCache } from './directory/cache.js'
import type { EmailIntegration, EmailIntegrationOptions } from './email-integration.js'
import { EmailIntegrationError, errorMessage } from './errors.js'
import { SYSTEM_CLOCK } from './hooks.js'
import { toLogSink } from './logger.js'
import { rematchEmails, type RematchOptions } from './capture/rematch.js'
import { createMailApi } from './mail/api.js'
import { createRouter } from './http/router.js'
import { adminRoutes } from './http/routes/admin-routes.js'
import { mailRoutes } from './http/routes/mail-routes.js'
import { oauthRoutes } from './oauth/routes.js'
import { createOAuthConsent } from './oauth/consent.js'
import { createDigestApi } from './digest/api.js'
import { createDigestTimer } from './digest/timer.js'
import { joinDigestTimer } from './digest/joined-scheduler.js'
import { digestRoutes } from './http/routes/digest-routes.js'
import { searchRoutes } from './http/routes/search-routes.js'
import { erasureRoutes } from './http/routes/erasure-routes.js'
import { createErasureApi } from './erasure/api.js'
import { createSearchApi } from './search/api.js'
import { createBlobStore } from './db/blob-store.js'
import { downloadPendingAttachments } from './capture/attachments-worker.js'
import { createHousekeeping } from './housekeeping/api.js'
import { createRetention } from './erasure/retention.js'
import { createAccountRemoval } from './accounts/remove.js'
import { LEASE_TTL_MS } from './sync/lease/leases.js'
import { createScheduler } from './scheduler/scheduler.js'
import { createGmailAccess } from './sync/gmail-access.js'
import { createSyncApi } from './sync/api.js'
import { auditAccount, type AuditOptions } from './sync/audit/audit.js'
import { createStatus } from './sync/status.js'
import { createIndexer, type IndexRunOptions } from './vectors/indexer.js'
import { createVectorSetup } from './vectors/setup.js'

/** Re-exported: the interfaces live beside the root in `email-integration.ts`. */
export type { EmailIntegration, EmailIntegrationOptions } from './email-integration.js'

/**
 * Mounts the email integration on a host's database and configuration.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { Kysely, SqliteDialect } from 'kysely'
 * import { createEmailIntegration, loadConfig } from 'crm-email-integration'
 *
 * const db = new Kysely<HostDatabase>({ dialect: new SqliteDialect({ database: new Database('crm.db') }) })
 * const email = createEmailIntegration({
 *   db,
 *   config: loadConfig(process.env),
 *   directory: async () => crm.identities(),
 *   authenticate: async (req) => crm.principalOf(req),
 * })
 * await email.migrate()
 * await email.accounts.enroll('ann@fund.example')
 * ```
 */
export function createEmailIntegration<DB>(options: EmailIntegrationOptions<DB>): EmailIntegration {
  const config = resolveConfig(options.config)
  // Each shared service is made here, once, and handed to the parts that use it.
  const context: IntegrationContext = {
    // The host's database typed as the library's own tables: the library touches no other.
    db: (options.db as unknown as Kysely<EmailDatabase>).withoutPlugins(),
    dialect: dialectOf(options.db),
    config,
    directory: options.directory,
    logger: toLogSink(options.logger),
    clock: options.clock ?? SYSTEM_CLOCK,
  }
  // Migrations create the tables, so they take the database untyped.
  const schemaDb = context.db as unknown as Kysely<unknown>
  const directory = createDirectoryCache(context.directory, context.clock)
  const blobs = createBlobStore(config.attachmentsDir)
  let closed = false
  const open = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (closed) return Promise.reject(new EmailIntegrationError('closed', 'This email integration was closed'))
      return fn(...args)
    }
  const owner = processOwner()
  const access = createGmailAccess(context, options.gmail)
  const sync = createSyncApi(context, { access, blobs, owner }, options.sync)
  // Built after the sync, which checks the lease TTL: a removal holds the account's sync lease.
  const removal = createAccountRemoval(context, { blobs, owner, leaseTtlMs: options.sync?.leaseTtlMs ?? LEASE_TTL_MS })
  const accounts = createAccountsApi(context, { listUsers: options.listUsers, removal })
  const mail = createMailApi(context, blobs, directory)
  const vectors = createVectorSetup(context)
  const indexer = createIndexer(context, blobs, vectors)
  const searchApi = createSearchApi(context, directory, vectors)
  // After mail is erased, its vectors go too; best effort: the indexer's next run retries.
  const afterErasure = async (): Promise<void> => {
    try {
      await indexer.removeStale()
    } catch (error) {
      context.logger.warn({ error: errorMessage(error) }, 'vector index: removing the vectors of erased mail failed; the next run retries')
    }
  }
  const digest = createDigestApi(context, directory, { summarizer: options.summarizer, deliverDigest: options.deliverDigest })
  const digestTimer = createDigestTimer({ runScheduled: () => digest.runScheduled(), logger: context.logger })
  const downloadPending = (options: { readonly signal?: AbortSignal; readonly limit?: number } = {}) =>
    downloadPendingAttachments(context, { blobs, clientFor: (id, address) => access.clientFor({ id, address }), ...options })
  const housekeeping = createHousekeeping(context, blobs)
  const erasure = createErasureApi(context, blobs)
  const purge: typeof erasure.purge = async (target, purgeOptions) => {
    const result = await erasure.purge(target, purgeOptions)
    await afterErasure()
    return result
  }
  const removeAccount: typeof accounts.remove = async (address, removeOptions) => {
    const report = await accounts.remove(address, removeOptions)
    await afterErasure()
    return report
  }
  const retention = createRetention(context, blobs)
  const scheduler = createScheduler({
    runAll: sync.runAll,
    run: sync.run,
    afterSync: async (signal) => {
      await downloadPending({ signal })
      await housekeeping.runIfDue(signal)
      await removal.finishPending(signal)
      await retention.runIfDue(signal)
      // Bounded and never failing the round: a run that stops early reports why, and the next carries on.
      const index = await indexer.run({ signal })
      if (index.error !== null) context.logger.warn({ error: index.error }, 'vector index: the run after the sync stopped early')
    },
    enabled: config.enabled,
    intervalMin: config.syncIntervalMin,
    logger: context.logger,
    clock: context.clock,
  })
  const status = createStatus(context, scheduler, () => indexer.status())
  const auditLog = createAuditLogApi(context)

  const tryHandle = createRouter({
    enabled: config.enabled,
    authenticate: options.authenticate,
    logger: context.logger,
    routes: [
      ...adminRoutes({
        accounts: { ...accounts, remove: removeAccount },
        scheduler,
        rematch: (rematchOptions) => rematchEmails(context, rematchOptions),
        audit: (auditOptions) => auditAccount(context, access, auditOptions),
        status,
        auditLog,
        retention,
      }),
      ...mailRoutes(mail, { detailAccess: config.detailAccess }),
      ...oauthRoutes(createOAuthConsent(context, options.gmail)),
      ...digestRoutes(digest),
      ...searchRoutes(searchApi),
      ...erasureRoutes({ ...erasure, purge }),
    ],
  })

  const withDigest = joinDigestTimer(scheduler, digestTimer, config.enabled && options.deliverDigest !== undefined)

  return Object.freeze({
    config,
    migrate: open(() => migrateToLatest(schemaDb, context.dialect)),
    rollback: open(() => rollbackAll(schemaDb, context.dialect)),
    accounts: Object.freeze({
      enroll: open(accounts.enroll),
      enrollAll: open(accounts.enrollAll),
      list: open(accounts.list),
      clearSearchFallback: open(accounts.clearSearchFallback),
      pause: open(accounts.pause),
      resume: open(accounts.resume),
      remove: open(removeAccount),
      setSharing: open(accounts.setSharing),
    }),
    status: open(status),
    auditLog: Object.freeze({ list: open(auditLog.list) }),
    sync: Object.freeze({ run: open(sync.run), runAll: open(sync.runAll), retryFailures: open(sync.retryFailures) }),
    rematch: open((rematchOptions?: RematchOptions) => rematchEmails(context, rematchOptions)),
    audit: open((auditOptions: AuditOptions) => auditAccount(context, access, auditOptions)),
    threads: Object.freeze({ list: open(mail.threads.list), get: open(mail.threads.get), setPrivate: open(mail.threads.setPrivate) }),
    identities: open(mail.identities),
    emails: Object.freeze({ get: open(mail.emails.get), hide: open(mail.emails.hide), restore: open(mail.emails.restore), listHidden: open(mail.emails.listHidden) }),
    attachments: Object.freeze({ open: open(mail.attachments.open), downloadPending: open(downloadPending) }),
    housekeeping: Object.freeze({ run: open(housekeeping.run) }),
    purge: open(purge),
    suppressions: Object.freeze({ list: open(erasure.suppressions.list), remove: open(erasure.suppressions.remove) }),
    retention: Object.freeze({ run: open(retention.run) }),
    scheduler: withDigest,
    tryHandle: open(tryHandle),
    routes: tryHandle.routes,
    search: Object.freeze(Object.assign(open(searchApi.search), { index: open((indexOptions?: IndexRunOptions) => indexer.run(indexOptions)) })),
    digest: Object.freeze({ preview: open(digest.preview), send: open(digest.send), runScheduled: open(digest.runScheduled) }),
    close: () => {
      closed = true
      return withDigest.close()
    },
  })
}
