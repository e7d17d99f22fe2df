import { isWorkspaceAddress, normalizeAddress } from '../address.js'
import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import { insertAccount, listAccountRows, pauseAccount, resumeAccount, toAccount, type EmailAccount } from '../db/accounts.js'
import { ConflictError, NotFoundError, ValidationError, isEmailIntegrationError } from '../errors.js'
import { actorOf, recordAudit, type ActorOptions } from '../audit-log/store.js'
import { parseSharingLevel, type SharingLevel } from '../sharing/levels.js'
import type { AccountRemoval, RemovalReport } from './remove.js'
import { changeSharing } from './set-sharing.js'

/** Addresses one enroll-all call may name: a team, not a mailing list. */
export const MAX_ENROLL_ALL = 1000

/** What {@link AccountsApi.enrollAll} did with each address, in the order given. */
export interface EnrollAllResult {
  /** The normalized address of each account enrolled, or already enrolled. */
  readonly enrolled: string[]
  /** Each address not enrolled, with why (an address that is none is cut to 100 characters). */
  readonly skipped: { address: string; reason: string }[]
}

/** Where the accounts API finds the host's users for {@link AccountsApi.enrollAll}. */
export interface AccountsApiOptions {
  /** The host's users' addresses (`EmailIntegrationOptions.listUsers`). */
  readonly listUsers?: (() => Promise<readonly string[]>) | undefined
  /** Account removal (`remove.ts`), built with the blob store and the sync's lease owner. */
  readonly removal: AccountRemoval
}

/** Managing which teammates' mailboxes the integration captures. */
export interface AccountsApi {
  /**
   * Enrolls a mailbox. Idempotent: enrolling an address again returns the existing account
   * unchanged. In `dwd` mode the address must belong to one of the workspace domains (the
   * service account can only act for those); in `oauth` mode too when domains are configured.
   * An OAuth account starts as `needs_consent` until its owner grants access. Each call writes
   * an `account.enrolled` entry to the audit log (`created` 1 or 0), with the account, in one
   * transaction; `actor` names who acts (the routes pass the signed-in admin). `ConflictError` while its removal runs.
   *
   * @example
   * ```ts
   * const account = await email.accounts.enroll('ann@fund.example', { actor: 'admin@fund.example' })
   * ```
   */
  readonly enroll: (address: string, options?: AccountActionOptions) => Promise<EmailAccount>
  /**
   * Every enrolled account, by address.
   *
   * @example
   * ```ts
   * for (const a of await email.accounts.list()) console.log(a.address, a.status)
   * ```
   */
  readonly list: () => Promise<EmailAccount[]>
  /**
   * Enrolls each address, or without any the host's users from the `listUsers` option, and
   * reports each one: enrolled (already enrolled counts, as with `enroll`), or skipped with a
   * reason (not an email address, not in the workspace domains, or what `enroll` refused). At
   * most {@link MAX_ENROLL_ALL} addresses may be given; a longer list, or one that is not of
   * strings, is a `ValidationError` and nothing is enrolled. Without addresses and without a
   * `listUsers` option it throws a `ValidationError`. A call that ends writes one
   * `account.enrolled` entry to the audit log with its counts (`enrolled`, `created`, `skipped`).
   *
   * @example
   * ```ts
   * const { enrolled, skipped } = await email.accounts.enrollAll(['ann@fund.example', 'bob@fund.example'])
   * for (const s of skipped) console.warn(s.address, s.reason)
   * ```
   */
  readonly enrollAll: (addresses?: readonly string[], options?: AccountActionOptions) => Promise<EnrollAllResult>
  /**
   * Returns an account whose recall guard tripped to capture through Gmail's search. Check
   * first, with `email.audit({ account })`, that search now lists the account's CRM mail; the
   * header scan the fallback started goes on to its end. Resolves to the account; throws
   * `NotFoundError` for an address that is not enrolled. Writes a `search_fallback.cleared`
   * entry to the audit log in the same transaction.
   *
   * @example
   * ```ts
   * const account = await email.accounts.clearSearchFallback('ann@fund.example')
   * account.searchFallback // null
   * ```
   */
  readonly clearSearchFallback: (address: string, options?: AccountActionOptions) => Promise<EmailAccount>
  /**
   * Pauses an account: it keeps its mail and tokens but is not synced (`sync.runAll` and the
   * scheduler report it `paused`, `sync.run` throws `ConflictError`, its attachment downloads
   * wait). A run in progress stops at its next page boundary and commits nothing of that page.
   * Idempotent; resolves to the account (`status: 'paused'`, `pausedAt`); throws
   * `NotFoundError` for an address that is not enrolled. A call that pauses the account writes
   * an `account.paused` entry to the audit log in the same transaction (a repeated call, which
   * changes nothing, writes none).
   *
   * @example
   * ```ts
   * const account = await email.accounts.pause('ann@fund.example')
   * account.pausedAt // since when
   * ```
   */
  readonly pause: (address: string, options?: AccountActionOptions) => Promise<EmailAccount>
  /**
   * Resumes a paused account: back to the status it had (`needs_attention` stays so; an OAuth
   * account without consent is `needs_consent`; else `active`), and its next sync picks up the
   * mail that arrived meanwhile from where it stopped. Idempotent; throws `NotFoundError` for an
   * address that is not enrolled. A call that resumes the account writes an `account.resumed`
   * entry (details: the `status` it went back to) in the same transaction.
   *
   * @example
   * ```ts
   * const account = await email.accounts.resume('ann@fund.example')
   * account.status // 'active'
   * ```
   */
  readonly resume: (address: string, options?: AccountActionOptions) => Promise<EmailAccount>
  /**
   * Chooses what teammates see of a mailbox's mail (SPEC §12): `everything` (subject, snippet,
   * body, attachments), `subject` (participants, date, subject) or `metadata` (participants and
   * date). The mailbox's owner always sees it in full. Takes effect on the next read. Resolves
   * to the account (`sharing`, `sharingIsDefault: false`); throws `ValidationError` for another
   * level and `NotFoundError` for an address that is not enrolled. A call that changes the level
   * writes an `account.sharing_changed` entry (`from`, `to`, `fromDefault`) in the same
   * transaction. The call trusts its caller (the host's code); `POST /api/email/accounts/sharing`
   * lets only an admin or the mailbox's owner make it.
   *
   * @example
   * ```ts
   * const account = await email.accounts.setSharing('ann@fund.example', 'subject', { actor: 'ann@fund.example' })
   * account.sharing // 'subject'
   * ```
   */
  readonly setSharing: (address: string, level: SharingLevel, options?: AccountActionOptions) => Promise<EmailAccount>
  /**
   * Removes an account: its copies, the emails only it held (erased everywhere, with the
   * attachment files no other email references), its OAuth token, its sync state and its row.
   * Emails other mailboxes also hold stay, without it among their `mailboxes`. It is marked
   * first (`status: 'removing'`, never synced again) and its row goes last, with an
   * `account.removed` audit entry (counts): a removal a crash cut short leaves whole emails only,
   * and the next `remove` of the address or the scheduler finishes it. Throws `NotFoundError`
   * for an address that is not enrolled, `ConflictError` while a sync holds the account's lease.
   *
   * @example
   * ```ts
   * const { emails, sharedKept } = await email.accounts.remove('ann@fund.example', { actor: 'admin@fund.example' })
   * ```
   */
  readonly remove: (address: string, options?: AccountActionOptions) => Promise<RemovalReport>
}

/** Options of an account action taken on someone's behalf: who acts, as the audit log records it. */
export type AccountActionOptions = ActorOptions

/**
 * Checks a list of addresses to enroll at once: an array of strings, at most
 * {@link MAX_ENROLL_ALL} of them; a `ValidationError` naming `addresses` otherwise.
 *
 * @example
 * ```ts
 * const addresses = expectAddressList(body.addresses)
 * ```
 */
export function expectAddressList(value: unknown): readonly string[] {
  if (!isStringArray(value)) throw new ValidationError('addresses: expected an array of addresses')
  if (value.length > MAX_ENROLL_ALL) throw new ValidationError(`addresses: at most ${MAX_ENROLL_ALL} addresses`)
  return value
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

/**
 * Builds the accounts API over one integration's context.
 *
 * @example
 * ```ts
 * const accounts = createAccountsApi(context, { listUsers: options.listUsers, removal })
 * ```
 */
export function createAccountsApi(context: IntegrationContext, options: AccountsApiOptions): AccountsApi {
  const { config } = context
  /** Enrolls one address in `db` (the integration's, or a transaction of it), unaudited. */
  const enrollIn = async (db: IntegrationContext['db'], input: unknown) => {
    if (typeof input !== 'string') throw new ValidationError('address: expected a string')
    const address = normalizeAddress(input)
    if (address === null) throw new ValidationError(`address: ${JSON.stringify(input.slice(0, 80))} is not an email address`)
    const domains = config.workspaceDomains
    const mustBeInWorkspace = config.authMethod === 'dwd' || domains.length > 0
    if (mustBeInWorkspace && !isWorkspaceAddress(address, domains)) {
      const allowed = domains.length > 0 ? domains.join(', ') : 'none configured (CRM_GMAIL_WORKSPACE_DOMAIN)'
      throw new ValidationError(`address: ${address} is not in the workspace domains (${allowed})`)
    }
    const oauth = config.authMethod === 'oauth'
    const result = await insertAccount({ ...context, db }, {
      address,
      authMethod: config.authMethod,
      status: oauth ? 'needs_consent' : 'active',
      statusReason: oauth ? 'waiting for the owner to grant access (OAuth consent)' : null,
      now: nowIso(context),
    })
    // Its removal, when it finishes, would delete the account enrolled again.
    if (result.account.status === 'removing') throw new ConflictError(`account ${address} is being removed: enroll it once the removal has finished`)
    return result
  }
  const logEnrolled = (account: EmailAccount) => {
    context.logger.info({ account: account.address, authMethod: config.authMethod }, 'email account enrolled')
  }
  const api: AccountsApi = {
    async enroll(input, actionOptions) {
      const actor = actorOf(actionOptions)
      const { account, created } = await context.db.transaction().execute(async (trx) => {
        const result = await enrollIn(trx, input)
        const details = { enrolled: 1, created: result.created ? 1 : 0, skipped: 0 }
        await recordAudit(trx, nowIso(context), { action: 'account.enrolled', actor, target: { kind: 'account', id: result.account.address }, details })
        return result
      })
      if (created) logEnrolled(account)
      return account
    },
    list: () => listAccountRows(context),
    async enrollAll(given, actionOptions) {
      const actor = actorOf(actionOptions)
      const addresses = given !== undefined ? expectAddressList(given) : options.listUsers === undefined ? null : await options.listUsers()
      if (addresses === null) throw new ValidationError('addresses: required (the host has no listUsers hook)')
      const enrolled: string[] = []
      const skipped: { address: string; reason: string }[] = []
      let created = 0
      for (const raw of addresses) {
        const address = normalizeAddress(raw)
        if (address === null) skipped.push({ address: raw.slice(0, 100), reason: 'not an email address' })
        else if (!isWorkspaceAddress(address, config.workspaceDomains)) skipped.push({ address, reason: 'not in the workspace domains' })
        else {
          try {
            const result = await enrollIn(context.db, address)
            enrolled.push(result.account.address)
            if (result.created) {
              created += 1
              logEnrolled(result.account)
            }
          } catch (error) {
            if (!isEmailIntegrationError(error) || error.status >= 500) throw error
            skipped.push({ address, reason: error.message })
          }
        }
      }
      const details = { enrolled: enrolled.length, created, skipped: skipped.length }
      await recordAudit(context.db, nowIso(context), { action: 'account.enrolled', actor, target: null, details })
      return { enrolled, skipped }
    },
    async clearSearchFallback(input, actionOptions) {
      const actor = actorOf(actionOptions)
      const address = typeof input === 'string' ? normalizeAddress(input) : null
      if (address === null) throw new ValidationError('address: expected the address of an enrolled mailbox')
      const now = nowIso(context)
      const row = await context.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('email_accounts')
          .set({ search_fallback_at: null, search_fallback_reason: null, updated_at: now })
          .where('address', '=', address)
          .returningAll()
          .executeTakeFirst()
        if (updated === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
        await recordAudit(trx, now, { action: 'search_fallback.cleared', actor, target: { kind: 'account', id: address }, details: {} })
        return updated
      })
      context.logger.info({ account: address, actor }, 'email account search fallback cleared')
      return toAccount(row, config.defaultSharing)
    },
    async pause(input, actionOptions) {
      const actor = actorOf(actionOptions)
      const address = enrolledAddress(input)
      const now = nowIso(context)
      const { account, changed } = await context.db.transaction().execute(async (trx) => {
        const change = await pauseAccount({ ...context, db: trx }, address, now)
        if (change.changed) await recordAudit(trx, now, { action: 'account.paused', actor, target: { kind: 'account', id: address }, details: {} })
        return change
      })
      if (changed) context.logger.info({ account: address, actor, since: account.pausedAt }, 'email account paused')
      return account
    },
    async resume(input, actionOptions) {
      const actor = actorOf(actionOptions)
      const address = enrolledAddress(input)
      const now = nowIso(context)
      const { account, changed } = await context.db.transaction().execute(async (trx) => {
        const change = await resumeAccount({ ...context, db: trx }, address, now)
        const details = { status: change.account.status }
        if (change.changed) await recordAudit(trx, now, { action: 'account.resumed', actor, target: { kind: 'account', id: address }, details })
        return change
      })
      if (changed) context.logger.info({ account: address, actor, status: account.status }, 'email account resumed')
      return account
    },
    async setSharing(input, levelInput, actionOptions) {
      return changeSharing(context, enrolledAddress(input), parseSharingLevel('level', levelInput), actorOf(actionOptions))
    },
    async remove(input, actionOptions) {
      const actor = actorOf(actionOptions)
      return options.removal.remove(enrolledAddress(input), actor)
    },
  }
  return api
}

/** The normalized address an account action names; a `ValidationError` when it is none. */
function enrolledAddress(input: unknown): string {
  const address = typeof input === 'string' ? normalizeAddress(input) : null
  if (address === null) throw new ValidationError('address: expected the address of an enrolled mailbox')
  return address
}
