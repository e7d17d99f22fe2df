import { expectAddressList, type AccountActionOptions, type AccountsApi } from '../../accounts/api.js'
import { auditActionOf, type AuditLogApi } from '../../audit-log/api.js'
import { normalizeAddress } from '../../address.js'
import type { EmailAccount } from '../../db/accounts.js'
import { AuthError, ConflictError, NotFoundError, ValidationError } from '../../errors.js'
import type { Principal } from '../../hooks.js'
import type { AuditOptions, AuditReport, IntegrationStatus, RematchOptions, RematchResult, RetentionApi } from '../../index.js'
import type { Scheduler } from '../../scheduler/scheduler.js'
import { parseSharingLevel } from '../../sharing/levels.js'
import { json } from '../respond.js'
import { queryParam, type Route } from '../router.js'

/** What the admin routes need: the public API objects they answer from. */
export interface AdminRouteDeps {
  /** `email.accounts`. */
  readonly accounts: AccountsApi
  /** `email.scheduler`. */
  readonly scheduler: Scheduler
  /** `email.rematch`. */
  readonly rematch: (options?: RematchOptions) => Promise<RematchResult>
  /** `email.audit`. */
  readonly audit: (options: AuditOptions) => Promise<AuditReport>
  /** `email.status`. */
  readonly status: () => Promise<IntegrationStatus>
  /** `email.auditLog`. */
  readonly auditLog: AuditLogApi
  /** `email.retention`. */
  readonly retention: RetentionApi
}

/** The values `headers` takes on the audit route: read the rest of the window's headers, or not. */
const HEADER_FLAGS: ReadonlyMap<string, boolean> = new Map([['true', true], ['1', true], ['false', false], ['0', false]])

function auditOptionsOf(url: URL): AuditOptions {
  const account = queryParam(url, 'account')
  if (account === undefined) throw new ValidationError('account: required')
  const identity = queryParam(url, 'identity')
  const headers = queryParam(url, 'headers')
  const readHeaders = headers === undefined ? true : HEADER_FLAGS.get(headers)
  if (readHeaders === undefined) throw new ValidationError('headers: expected true or false')
  return { account, readHeaders, ...(identity === undefined ? {} : { identity }) }
}

/**
 * An admin POST route that reads `fields` of its JSON body; `actor` is the signed-in admin, for
 * the actions the audit log records.
 */
function adminPost(
  pattern: string,
  fields: readonly string[],
  answer: (body: Record<string, unknown>, actor: AccountActionOptions) => Promise<Response>,
): Route {
  return { method: 'POST', pattern, access: 'admin', fields, handle: async ({ body, principal }) => answer(await body(), actorOptions(principal)) }
}

/** The audit log's actor of a route's call: the signed-in principal's email. */
function actorOptions(principal: Principal): AccountActionOptions {
  return { actor: principal.email }
}

/** An admin route whose body is `{ address }` and whose answer is `{ account }`. */
function accountRoute(pattern: string, act: (address: string, options: AccountActionOptions) => Promise<EmailAccount>): Route {
  return adminPost(pattern, ['address'], async ({ address }, actor) => {
    if (typeof address !== 'string') throw new ValidationError('address: required')
    return json(200, { account: await act(address, actor) })
  })
}

/**
 * `POST /api/email/accounts/sharing {address, level}`: open to every signed-in user, and then
 * allowed to an admin or to the mailbox's owner (the principal whose email is its address);
 * anyone else gets 403 before anything is read, so it does not tell which addresses are enrolled.
 */
function sharingRoute(accounts: AccountsApi): Route {
  return {
    method: 'POST',
    pattern: '/api/email/accounts/sharing',
    access: 'user',
    fields: ['address', 'level'],
    handle: async ({ body, principal }) => {
      const { address, level } = await body()
      const mailbox = typeof address === 'string' ? normalizeAddress(address) : null
      if (mailbox === null) throw new ValidationError('address: expected the address of an enrolled mailbox')
      if (!principal.isAdmin && normalizeAddress(principal.email) !== mailbox) {
        throw new AuthError('forbidden', "Only an admin or the mailbox's owner may set its sharing level")
      }
      return json(200, { account: await accounts.setSharing(mailbox, parseSharingLevel('level', level), actorOptions(principal)) })
    },
  }
}

/** The routes that manage accounts and syncing. */
export function adminRoutes(deps: AdminRouteDeps): Route[] {
  const { accounts, scheduler } = deps
  return [
    {
      method: 'GET',
      pattern: '/api/email/status',
      access: 'user',
      handle: async () => json(200, await deps.status()),
    },
    { method: 'GET', pattern: '/api/email/accounts', access: 'admin', handle: async () => json(200, { items: await accounts.list() }) },
    accountRoute('/api/email/accounts/clear-search-fallback', accounts.clearSearchFallback),
    accountRoute('/api/email/accounts/enroll', accounts.enroll),
    accountRoute('/api/email/accounts/pause', accounts.pause),
    accountRoute('/api/email/accounts/resume', accounts.resume),
    sharingRoute(accounts),
    adminPost('/api/email/accounts/remove', ['address'], async ({ address }, actor) => {
      if (typeof address !== 'string') throw new ValidationError('address: required')
      return json(200, await accounts.remove(address, actor))
    }),
    adminPost('/api/email/retention/run', [], async (_, actor) => json(200, await deps.retention.run(actor))),
    adminPost('/api/email/accounts/enroll-all', ['addresses'], async ({ addresses }, actor) =>
      json(200, await accounts.enrollAll(addresses === undefined ? undefined : expectAddressList(addresses), actor)),
    ),
    adminPost('/api/email/sync/run-now', ['account'], async ({ account }) => {
      if (account !== undefined && typeof account !== 'string') throw new ValidationError('account: expected an address')
      if (typeof account === 'string' && normalizeAddress(account) === null) throw new ValidationError('account: not an email address')
      const address = typeof account === 'string' ? normalizeAddress(account) : null
      const named = address === null ? null : (await accounts.list()).find((a) => a.address === address)
      if (named === undefined) throw new NotFoundError(`account ${address ?? ''} is not enrolled`)
      if (named?.status === 'paused') throw new ConflictError(`account ${named.address} is paused (since ${named.pausedAt ?? 'unknown'}): resume it to sync`)
      const result = scheduler.runNow(address ?? undefined)
      return json(202, { started: result.started, account: result.account })
    }),
    { method: 'POST', pattern: '/api/email/rematch', access: 'admin', handle: async () => json(200, await deps.rematch()) },
    // Reads Gmail (lists, and with headers=true a metadata get per unlisted message): admins only.
    {
      method: 'GET',
      pattern: '/api/email/audit',
      access: 'admin',
      query: ['account', 'identity', 'headers'],
      handle: async ({ url, request }) => json(200, await deps.audit({ ...auditOptionsOf(url), signal: request.signal })),
    },
    {
      method: 'GET',
      pattern: '/api/email/audit-log',
      access: 'admin',
      query: ['limit', 'cursor', 'action'],
      handle: async ({ url }) => {
        const action = auditActionOf(queryParam(url, 'action')) ?? undefined
        return json(200, await deps.auditLog.list({ limit: queryParam(url, 'limit'), cursor: queryParam(url, 'cursor'), action }))
      },
    },
  ]
}
