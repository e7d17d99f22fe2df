import { AuthError, DisabledError, NotFoundError, ValidationError } from '../errors.js'
import type { Logger, Principal } from '../hooks.js'
import { errorResponse, json, readJsonObject } from './respond.js'

/** The path prefixes the library owns; everything else is the host's. */
export const OWNED_PREFIXES = ['/api/email/', '/api/admin/digest/'] as const

/** What a route handler gets. */
export interface RouteContext {
  readonly request: Request
  readonly url: URL
  /** `:name` segments of the route's pattern. */
  readonly params: Readonly<Record<string, string>>
  /** The signed-in caller; `null` only on public routes. */
  readonly principal: Principal
  /** The JSON object body (`{}` when empty); 400 when malformed. */
  readonly body: () => Promise<Record<string, unknown>>
}

/** One route: method, pattern (`/api/email/threads/:id`), who may call it, and the handler. */
export interface Route {
  readonly method: 'GET' | 'POST'
  readonly pattern: string
  readonly access: 'user' | 'admin'
  readonly handle: (context: RouteContext) => Promise<Response>
}

/** What the router needs from the integration. */
export interface RouterOptions {
  readonly routes: readonly Route[]
  readonly enabled: boolean
  readonly authenticate: ((request: Request) => Promise<Principal | null>) | undefined
  readonly logger: Required<Logger>
}

function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/')
  const have = path.split('/')
  if (want.length !== have.length) return null
  const params: Record<string, string> = {}
  for (const [i, segment] of want.entries()) {
    const actual = have[i] ?? ''
    if (segment.startsWith(':')) {
      if (actual === '') return null
      try {
        params[segment.slice(1)] = decodeURIComponent(actual)
      } catch {
        return null
      }
    } else if (segment !== actual) return null
  }
  return params
}

/**
 * Builds `tryHandle`: `null` for paths outside the library's prefixes (the host keeps
 * routing); inside them always a JSON answer (or a file): 503 while disabled, 401 without a
 * principal, 404 for an unknown route, 405 for a known path with another method, 403 for a
 * non-admin on an admin route, 400 for bad input, and the taxonomy's status for the rest.
 */
export function createRouter(options: RouterOptions): (request: Request) => Promise<Response | null> {
  const { routes, logger } = options
  return async (request) => {
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return null
    }
    const path = url.pathname.replace(/\/+$/, '') || '/'
    if (!OWNED_PREFIXES.some((prefix) => `${path}/`.startsWith(prefix))) return null
    try {
      if (!options.enabled) throw new DisabledError()
      const principal = options.authenticate === undefined ? null : await options.authenticate(request)
      if (principal === null) throw new AuthError('unauthenticated')
      const candidates = routes.flatMap((route) => {
        const params = match(route.pattern, path)
        return params === null ? [] : [{ route, params }]
      })
      if (candidates.length === 0) throw new NotFoundError(`no route ${request.method.slice(0, 10)} ${path.slice(0, 100)}`)
      const found = candidates.find((c) => c.route.method === request.method)
      if (found === undefined) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ')
        return json(405, { error: { code: 'method_not_allowed', message: `use ${allow}` } }, { allow })
      }
      if (found.route.access === 'admin' && !principal.isAdmin) throw new AuthError('forbidden', 'Admins only')
      // Every POST changes something; a browser marks requests another site made it send
      // (a form or a text/plain fetch needs no preflight), and those are refused whatever the
      // cookies say. Hosts should still use SameSite cookies or check Origin in authenticate.
      if (request.method === 'POST' && request.headers.get('sec-fetch-site') === 'cross-site') {
        throw new AuthError('forbidden', 'Cross-site requests are refused')
      }
      let body: Promise<Record<string, unknown>> | null = null
      return await found.route.handle({
        request,
        url,
        params: found.params,
        principal,
        body: () => (body ??= readJsonObject(request)),
      })
    } catch (error) {
      return errorResponse(error, logger)
    }
  }
}

/** A query parameter, or `undefined`; repeated parameters are a 400 (ambiguous input). */
export function queryParam(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name)
  if (values.length > 1) throw new ValidationError(`${name}: given more than once`)
  return values[0]
}
