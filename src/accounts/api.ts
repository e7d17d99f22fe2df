import { isWorkspaceAddress, normalizeAddress } from '../address.js'
import type { IntegrationContext } from '../context.js'
import { nowIso } from '../context.js'
import { insertAccount, listAccountRows, toAccount, type EmailAccount } from '../db/accounts.js'
import { NotFoundError, ValidationError } from '../errors.js'

/** Managing which teammates' mailboxes the integration captures. */
export interface AccountsApi {
  /**
   * Enrolls a mailbox. Idempotent: enrolling an address again returns the existing account
   * unchanged. In `dwd` mode the address must belong to one of the workspace domains (the
   * service account can only act for those); in `oauth` mode too when domains are configured.
   * An OAuth account starts as `needs_consent` until its owner grants access.
   *
   * @example
   * ```ts
   * const account = await email.accounts.enroll('ann@fund.example')
   * ```
   */
  readonly enroll: (address: string) => Promise<EmailAccount>
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
   * Returns an account whose recall guard tripped to capture through Gmail's search. Check
   * first, with `email.audit({ account })`, that search now lists the account's CRM mail; the
   * header scan the fallback started goes on to its end. Resolves to the account; throws
   * `NotFoundError` for an address that is not enrolled.
   *
   * @example
   * ```ts
   * const account = await email.accounts.clearSearchFallback('ann@fund.example')
   * account.searchFallback // null
   * ```
   */
  readonly clearSearchFallback: (address: string) => Promise<EmailAccount>
}

/** Builds the accounts API over one integration's context. */
export function createAccountsApi(context: IntegrationContext): AccountsApi {
  const { config } = context
  return {
    async enroll(input) {
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
      const { account, created } = await insertAccount(context, {
        address,
        authMethod: config.authMethod,
        status: oauth ? 'needs_consent' : 'active',
        statusReason: oauth ? 'waiting for the owner to grant access (OAuth consent)' : null,
        now: nowIso(context),
      })
      if (created) context.logger.info({ account: address, authMethod: config.authMethod }, 'email account enrolled')
      return account
    },
    list: () => listAccountRows(context),
    async clearSearchFallback(input) {
      const address = typeof input === 'string' ? normalizeAddress(input) : null
      if (address === null) throw new ValidationError('address: expected the address of an enrolled mailbox')
      const now = nowIso(context)
      const row = await context.db
        .updateTable('email_accounts')
        .set({ search_fallback_at: null, search_fallback_reason: null, updated_at: now })
        .where('address', '=', address)
        .returningAll()
        .executeTakeFirst()
      if (row === undefined) throw new NotFoundError(`account ${address} is not enrolled`)
      context.logger.info({ account: address }, 'email account search fallback cleared')
      return toAccount(row)
    },
  }
}
