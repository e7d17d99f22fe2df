import { setTimeout as delay } from 'node:timers/promises'
import type { QuotaCosts } from '../../config/index.js'
import type { AccessGrant } from './credentials.js'
import type { EmulatorContext } from './context.js'
import { withRolledReset } from './faults.js'
import type { FaultDecision } from './faults.js'
import { getAttachment, getMessage, getProfile, listMessages } from './handlers.js'
import { listHistory } from './handlers-history.js'
import type { HandlerInput } from './params.js'
import type { GmailEmulatorMethod } from './options.js'
import {
  backendError, delegationDenied, failedPrecondition, googleError, insufficientScope, notFound, rateLimitExceeded,
  tooManyConcurrentRequests, unauthenticated, userRateLimitExceeded,
} from './responses.js'
import type { EmulatorResponse } from './responses.js'

/** One Gmail API call, received directly or as a batch part. */
export interface ApiRequest {
  readonly method: string
  readonly url: URL
  /** Header names lowercase. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly inBatch: boolean
}

interface Route {
  readonly name: GmailEmulatorMethod
  readonly pattern: RegExp
  readonly cost: keyof QuotaCosts
  readonly handler: (input: HandlerInput) => EmulatorResponse
}

const USER = '/gmail/v1/users/([^/]+)'
const ROUTES: readonly Route[] = [
  { name: 'getProfile', pattern: new RegExp(`^${USER}/profile$`), cost: 'profile', handler: getProfile },
  { name: 'messages.list', pattern: new RegExp(`^${USER}/messages$`), cost: 'list', handler: listMessages },
  { name: 'messages.get', pattern: new RegExp(`^${USER}/messages/([^/]+)$`), cost: 'get', handler: getMessage },
  {
    name: 'messages.attachments.get', pattern: new RegExp(`^${USER}/messages/([^/]+)/attachments/([^/]+)$`),
    cost: 'attachment', handler: getAttachment,
  },
  { name: 'history.list', pattern: new RegExp(`^${USER}/history$`), cost: 'history', handler: listHistory },
]

/** Any of these lets a token read mail; `gmail.metadata` reads headers only. */
const READ_SCOPES = new Set([
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.readonly',
  'https://www.googleapis.com/auth/gmail.metadata',
])

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

function bearer(headers: ApiRequest['headers']): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')
  return match?.[1] ?? null
}

function match(request: ApiRequest): { route: Route; args: string[] } | null {
  for (const route of ROUTES) {
    const found = route.pattern.exec(request.url.pathname)
    if (found === null) continue
    const args: string[] = []
    for (const segment of found.slice(1)) {
      const decoded = decode(segment)
      if (decoded === null) return null
      args.push(decoded)
    }
    return { route, args }
  }
  return null
}

/** The mailbox a call may act on, or the error Gmail gives. */
function authorize(ctx: EmulatorContext, request: ApiRequest, userId: string): { grant: AccessGrant; mailbox: string } | EmulatorResponse {
  const token = bearer(request.headers)
  if (token === null) return unauthenticated(true)
  const grant = ctx.credentials.lookupAccess(token, ctx.now())
  if (grant === undefined) return unauthenticated(false)
  if (!grant.scopes.some((s) => READ_SCOPES.has(s))) return insufficientScope()
  if (grant.mailbox === null) return failedPrecondition()
  if (userId !== 'me' && userId.trim().toLowerCase() !== grant.mailbox) return delegationDenied(userId)
  return { grant, mailbox: grant.mailbox }
}

async function serve(ctx: EmulatorContext, request: ApiRequest, name: GmailEmulatorMethod | 'unknown'): Promise<EmulatorResponse> {
  const found = match(request)
  if (found === null || name === 'unknown') {
    return request.url.pathname.startsWith('/gmail/v1/users/')
      ? googleError(501, 'The Gmail emulator does not implement this method.', 'notImplemented', 'UNIMPLEMENTED')
      : notFound()
  }
  const { route, args } = found
  if (request.method !== 'GET') {
    return googleError(501, `The Gmail emulator does not implement ${request.method} here.`, 'notImplemented', 'UNIMPLEMENTED')
  }
  const auth = authorize(ctx, request, args[0] ?? '')
  if ('status' in auth) return auth
  const user = auth.mailbox
  const mailbox = ctx.mailboxes.ensure(user)
  if (!ctx.inFlight.tryAcquire(user)) return tooManyConcurrentRequests()
  try {
    const fault = ctx.faults.roll(route.name, `${request.url.pathname}${request.url.search}`, !request.inBatch)
    const injected = await injectedFailure(ctx, fault)
    if (injected !== null) return injected
    const cost = ctx.options.costs[route.cost]
    const charge = ctx.quota.tryCharge(user, cost, ctx.now())
    if (!charge.ok) return userRateLimitExceeded(charge.retryAt)
    ctx.stats.units(user, cost)
    const response = route.handler({ ctx, mailbox, grant: auth.grant, params: request.url.searchParams, args: args.slice(1) })
    return withRolledReset(ctx.stats, fault, response)
  } finally {
    ctx.inFlight.release(user)
  }
}

/** The method name a request is counted under. */
export function methodNameOf(request: ApiRequest): GmailEmulatorMethod | 'unknown' {
  return match(request)?.route.name ?? 'unknown'
}

/**
 * Serves one Gmail API call through the same gates Gmail applies, in order: authentication
 * and delegation, the in-flight cap, injected faults, the quota bucket, then the method.
 * Calls refused by the cap, the bucket or a fault are not charged.
 */
export async function serveApi(ctx: EmulatorContext, request: ApiRequest): Promise<EmulatorResponse> {
  const name = methodNameOf(request)
  return ctx.stats.counted(name, () => serve(ctx, request, name))
}

/**
 * Plays a rolled fault: waits when it is a slow answer, and returns the injected error answer
 * (5xx or 429) or `null` when the request goes on. Counts what it injected.
 */
export async function injectedFailure(ctx: EmulatorContext, fault: FaultDecision): Promise<EmulatorResponse | null> {
  if (fault.delayMs > 0) {
    ctx.stats.fault('slow')
    await delay(fault.delayMs)
  }
  if (fault.failure === 'serverError500' || fault.failure === 'serverError503') {
    ctx.stats.fault('serverError')
    return backendError(fault.failure === 'serverError500' ? 500 : 503)
  }
  if (fault.failure === 'rateLimit') {
    ctx.stats.fault('rateLimit')
    return rateLimitExceeded()
  }
  return null
}
