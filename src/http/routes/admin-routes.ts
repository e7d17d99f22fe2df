import type { AccountsApi } from '../../accounts/api.js'
import type { IntegrationContext } from '../../context.js'
import { normalizeAddress, domainOf } from '../../address.js'
import { NotFoundError, ValidationError, isEmailIntegrationError } from '../../errors.js'
import type { AuditOptions, AuditReport, IntegrationStatus, RematchOptions, RematchResult } from '../../index.js'
import type { Scheduler } from '../../scheduler/scheduler.js'
import { json } from '../respond.js'
import { queryParam, type Route } from '../router.js'

/** Addresses one enroll-all request may name: a team, not a mailing list. */
export const MAX_ENROLL_ALL = 1000

/** What the admin routes need. */
export interface AdminRouteDeps {
  readonly context: IntegrationContext
  readonly accounts: AccountsApi
  readonly scheduler: Scheduler
  readonly rematch: (options?: RematchOptions) => Promise<RematchResult>
  /** The host's users (their addresses), for enroll-all without a body. */
  readonly listUsers: (() => Promise<readonly string[]>) | undefined
  /** `email.audit`. */
  readonly audit: (options: AuditOptions) => Promise<AuditReport>
  /** `email.status`. */
  readonly status: () => Promise<IntegrationStatus>
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

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ValidationError(`${name}: expected an array of addresses`)
  if (value.length > MAX_ENROLL_ALL) throw new ValidationError(`${name}: at most ${MAX_ENROLL_ALL} addresses`)
  return value as string[]
}

/** The routes that manage accounts and syncing. */
export function adminRoutes(deps: AdminRouteDeps): Route[] {
  const { context, accounts, scheduler } = deps
  return [
    {
      method: 'GET',
      pattern: '/api/email/status',
      access: 'user',
      handle: async () => json(200, await deps.status()),
    },
    { method: 'GET', pattern: '/api/email/accounts', access: 'admin', handle: async () => json(200, { items: await accounts.list() }) },
    {
      method: 'POST',
      pattern: '/api/email/accounts/clear-search-fallback',
      access: 'admin',
      fields: ['address'],
      handle: async ({ body }) => {
        const { address } = await body()
        if (typeof address !== 'string') throw new ValidationError('address: required')
        return json(200, { account: await accounts.clearSearchFallback(address) })
      },
    },
    {
      method: 'POST',
      pattern: '/api/email/accounts/enroll',
      access: 'admin',
      fields: ['address'],
      handle: async ({ body }) => {
        const { address } = await body()
        if (typeof address !== 'string') throw new ValidationError('address: required')
        return json(200, { account: await accounts.enroll(address) })
      },
    },
    {
      method: 'POST',
      pattern: '/api/email/accounts/enroll-all',
      access: 'admin',
      fields: ['addresses'],
      handle: async ({ body }) => {
        const given = (await body()).addresses
        const addresses = given !== undefined ? stringList(given, 'addresses') : deps.listUsers === undefined ? null : await deps.listUsers()
        if (addresses === null) throw new ValidationError('addresses: required (the host has no listUsers hook)')
        const domains = context.config.workspaceDomains
        const enrolled: string[] = []
        const skipped: { address: string; reason: string }[] = []
        for (const raw of addresses) {
          const address = normalizeAddress(raw)
          if (address === null) skipped.push({ address: raw.slice(0, 100), reason: 'not an email address' })
          else if (!domains.includes(domainOf(address))) skipped.push({ address, reason: 'not in the workspace domains' })
          else {
            try {
              enrolled.push((await accounts.enroll(address)).address)
            } catch (error) {
              if (!isEmailIntegrationError(error) || error.status >= 500) throw error
              skipped.push({ address, reason: error.message })
            }
          }
        }
        return json(200, { enrolled, skipped })
      },
    },
    {
      method: 'POST',
      pattern: '/api/email/sync/run-now',
      access: 'admin',
      fields: ['account'],
      handle: async ({ body }) => {
        const { account } = await body()
        if (account !== undefined && typeof account !== 'string') throw new ValidationError('account: expected an address')
        if (typeof account === 'string' && normalizeAddress(account) === null) throw new ValidationError('account: not an email address')
        const address = typeof account === 'string' ? normalizeAddress(account) : null
        if (address !== null && !(await accounts.list()).some((a) => a.address === address)) {
          throw new NotFoundError(`account ${address} is not enrolled`)
        }
        const result = scheduler.runNow(address ?? undefined)
        return json(202, { started: result.started, account: result.account })
      },
    },
    { method: 'POST', pattern: '/api/email/rematch', access: 'admin', handle: async () => json(200, await deps.rematch()) },
    // Reads Gmail (lists, and with headers=true a metadata get per unlisted message): admins only.
    {
      method: 'GET',
      pattern: '/api/email/audit',
      access: 'admin',
      query: ['account', 'identity', 'headers'],
      handle: async ({ url, request }) => json(200, await deps.audit({ ...auditOptionsOf(url), signal: request.signal })),
    },
  ]
}
