import type { BlobStore } from '../db/blob-store.js'
import { buildMatchIndex } from '../capture/match/match-index.js'
import { createCapturePipeline } from '../capture/pipeline.js'
import { compileSearchTerms } from '../capture/match/search-terms.js'
import { captureMatchOptions } from '../erasure/suppressions.js'
import type { IntegrationContext } from '../context.js'
import { findAccountRow } from '../db/accounts.js'
import { DisabledError, NotFoundError, ValidationError } from '../errors.js'
import { normalizeAddress } from '../address.js'
import { runAccount, runAllAccounts, type RunDependencies } from './engine.js'
import type { GmailAccess } from './gmail-access.js'
import { createLeaseSession } from './lease/session.js'
import { LEASE_TTL_MS, MIN_LEASE_TTL_MS } from './lease/leases.js'
import { retryFailures } from './retry-failures.js'
import type { RetryFailuresOptions, RetryReport, SyncAllOptions, SyncReport, SyncRunOptions, SyncTuning } from './types.js'

/** Syncing enrolled mailboxes from Gmail. */
export interface SyncApi {
  /**
   * Syncs one account now: the first time a backfill of `CRM_GMAIL_BACKFILL_DAYS`, then
   * incremental syncs from Gmail's history (a catch-up scan when history expired or the cursor
   * is older than `CRM_GMAIL_HISTORY_STALE_DAYS`). Throws `ConflictError` while the account is
   * being synced (by another process, or by another call in this one) or is paused
   * (`accounts.pause`), `NotFoundError` for an address that is not enrolled. A run whose account
   * is paused meanwhile stops at its next page boundary (`partial`, the pause as its `error`).
   *
   * @example
   * ```ts
   * const report = await email.sync.run({ account: 'ann@fund.example', onProgress: (p) => console.log(p.listed) })
   * ```
   */
  readonly run: (options: SyncRunOptions) => Promise<SyncReport>
  /**
   * Syncs every active account, a few at a time. An account another process (or another run
   * of this one) is syncing is left to it and reported with status `busy` and `heldBy`, the
   * lease holder (host, pid, since when, until when); it is also logged. A holder known dead
   * (its process gone from this host, or its PostgreSQL session gone) is not busy: its lease is
   * taken over at once. A paused account is not run: its report has status `paused` and
   * `pausedAt`, and counts nothing. One account's failure is in its report and never stops the
   * others.
   *
   * @example
   * ```ts
   * for (const r of await email.sync.runAll()) {
   *   console.log(r.account, r.status === 'busy' ? `busy (held by ${r.heldBy?.description})` : `${r.status}, ${r.captured} captured`)
   * }
   * ```
   */
  readonly runAll: (options?: SyncAllOptions) => Promise<SyncReport[]>
  /**
   * Fetches failed messages again now. Scheduled runs (`runAll`, the scheduler) never fetch a
   * permanent failure again (a message too deep, too large or unparseable: poison mail) and
   * fetch a transient one only when its next attempt is due (1 h, 6 h, 24 h, 3 days, then every
   * 7 days after each failure); this retries them all, or those of `account`, or the Gmail
   * `ids` given, at most 200 per account per call. Each account holding one gets a run that
   * retries them first and then syncs as `run` does; a message that fails again is recorded
   * again, with its new kind. Resolves to one report per account retried (none when nothing
   * matched). Throws `NotFoundError` for an address that is not enrolled, `ConflictError`
   * while `account` is being synced.
   *
   * @example
   * ```ts
   * for (const r of await email.sync.retryFailures({ account: 'ann@fund.example' })) {
   *   console.log(r.account, `${r.resolved} of ${r.retried} captured or settled, ${r.failing} failing`)
   * }
   * ```
   */
  readonly retryFailures: (options?: RetryFailuresOptions) => Promise<RetryReport[]>
}

/**
 * The lease TTL of `tuning`, checked: a whole number of milliseconds of at least
 * {@link MIN_LEASE_TTL_MS}; the default when absent.
 */
function leaseTtlOf(tuning: SyncTuning): number {
  const ttl = tuning.leaseTtlMs
  if (ttl === undefined) return LEASE_TTL_MS
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < MIN_LEASE_TTL_MS) {
    throw new TypeError(`Expected \`sync.leaseTtlMs\` to be a whole number of milliseconds of at least ${MIN_LEASE_TTL_MS}, got ${String(ttl)}`)
  }
  return ttl
}

/** What the sync is built with besides the context: made once by `createEmailIntegration`. */
export interface SyncServices {
  /** Gmail clients per account. */
  readonly access: GmailAccess
  /** Where attachment bytes go (the integration's one store). */
  readonly blobs: BlobStore
  /** This process's name in leases and run rows. */
  readonly owner: string
}

/**
 * Builds the sync API over one integration's context and services.
 *
 * @example
 * ```ts
 * const sync = createSyncApi(context, { access, blobs, owner: processOwner() }, { leaseTtlMs: 120_000 })
 * const reports = await sync.runAll()
 * ```
 */
export function createSyncApi(context: IntegrationContext, services: SyncServices, tuning: SyncTuning = {}): SyncApi {
  const { access, blobs, owner } = services
  const leaseTtlMs = leaseTtlOf(tuning)
  const sessions = createLeaseSession(context.db, context.dialect, context.logger)

  const dependencies = async (): Promise<RunDependencies> => {
    if (!context.config.enabled) throw new DisabledError()
    const entries = await context.directory()
    const matchOptions = await captureMatchOptions(context)
    const index = buildMatchIndex(entries, matchOptions)
    for (const warning of index.warnings) context.logger.warn({ warning }, 'email directory entry ignored')
    const { terms, warnings } = compileSearchTerms(entries, matchOptions)
    for (const warning of warnings) context.logger.warn({ warning }, 'email directory value left out of Gmail search')
    return {
      context,
      access,
      owner,
      leaseTtlMs,
      sessions,
      pipeline: createCapturePipeline(context, index, blobs),
      index,
      terms,
      incrementalDecision: tuning.incrementalDecision ?? 'auto',
    }
  }

  return {
    async run(options) {
      const address = typeof options.account === 'string' ? normalizeAddress(options.account) : null
      if (address === null) throw new ValidationError('account: expected the address of an enrolled mailbox')
      const deps = await dependencies()
      const account = await findAccountRow(context, address)
      if (account === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
      return runAccount(deps, account, options)
    },
    async runAll(options = {}) {
      return runAllAccounts(await dependencies(), options)
    },
    async retryFailures(options = {}) {
      return retryFailures(await dependencies(), options)
    },
  }
}
