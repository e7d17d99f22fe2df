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

/** What the route table says of one route: everything but its handler. */
export interface RouteInfo {
  readonly method: 'GET' | 'POST'
  /** `/api/email/threads/:id`: `:name` segments are parameters. */
  readonly pattern: string
  /** Who may call it: any signed-in user, or admins only. */
  readonly access: 'user' | 'admin'
  /**
   * The query parameters it reads; any other is refused with a 400 naming it, since a
   * parameter the route would ignore (a misspelt filter) gives a confidently wrong answer.
   */
  readonly query: readonly string[]
  /** The fields of the JSON body it reads (none for a route that reads no body). */
  readonly fields: readonly string[]
}

/**
 * One route: method, pattern, who may call it, the query parameters and body fields it reads
 * (none when left out), and the handler.
 */
export interface Route extends Omit<RouteInfo, 'query' | 'fields'> {
  readonly query?: readonly string[]
  readonly fields?: readonly string[]
  readonly handle: (context: RouteContext) => Promise<Response>
}

/** `tryHandle`, with the table it routes by. */
export type Router = ((request: Request) => Promise<Response | null>) & {
  /** Every route, in matching order. */
  readonly routes: readonly RouteInfo[]
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

/** A parameter name as an error message shows it: plain names as they are, anything else quoted and cut. */
function shownName(name: string): string {
  return /^[\w.[\]-]{1,40}$/.test(name) ? name : JSON.stringify(name.slice(0, 40))
}

/** Refuses the first query parameter the route does not read. */
function checkQuery(url: URL, known: readonly string[]): void {
  for (const name of url.searchParams.keys()) {
    if (!known.includes(name)) throw new ValidationError(`unknown query parameter: ${shownName(name)}`)
  }
}

/** A body field the route does not read is a 400 too: a misspelt field must not pass as absent. */
function checkFields(body: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  for (const name of Object.keys(body)) {
    if (!known.includes(name)) throw new ValidationError(`body: unknown field: ${shownName(name)}`)
  }
  return body
}

/**
 * Builds `tryHandle`: `null` for paths outside the library's prefixes (the host keeps
 * routing); inside them always a JSON answer (or a file): 503 while disabled, 401 without a
 * principal, 404 for an unknown route, 405 for a known path with another method, 403 for a
 * non-admin on an admin route, 400 for bad input (a query parameter or body field the route
 * does not read included), and the taxonomy's status for the rest. The function carries its route table.
 *
 * @example
 * ```ts
 * const tryHandle = createRouter({ routes: mailRoutes(mail), enabled: true, authenticate, logger })
 * const methods = tryHandle.routes.map((r) => `${r.method} ${r.pattern}`)
 * ```
 */
export function createRouter(options: RouterOptions): Router {
  const { routes, logger } = options
  const table: readonly RouteInfo[] = Object.freeze(
    routes.map((r) =>
      Object.freeze({
        method: r.method,
        pattern: r.pattern,
        access: r.access,
        query: Object.freeze([...(r.query ?? [])]),
        fields: Object.freeze([...(r.fields ?? [])]),
      }),
    ),
  )
  const handle = async (request: Request): Promise<Response | null> => {
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
      checkQuery(url, found.route.query ?? [])
      let body: Promise<Record<string, unknown>> | null = null
      return await found.route.handle({
        request,
        url,
        params: found.params,
        principal,
        body: () => (body ??= readJsonObject(request).then((value) => checkFields(value, found.route.fields ?? []))),
      })
    } catch (error) {
      return errorResponse(error, logger)
    }
  }
  return Object.assign(handle, { routes: table })
}

/**
 * A query parameter, or `undefined`; repeated parameters are a 400 (ambiguous input).
 *
 * @example
 * ```ts
 * const limit = queryParam(url, 'limit')
 * ```
 */
export function queryParam(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name)
  if (values.length > 1) throw new ValidationError(`${name}: given more than once`)
  return values[0]
}
