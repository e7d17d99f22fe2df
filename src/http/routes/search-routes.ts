import { parseSearchMode, type SearchApi } from '../../search/api.js'
import { ValidationError } from '../../errors.js'
import { json } from '../respond.js'
import { queryParam, type Route } from '../router.js'
import { FILTER_PARAMS, filterOf } from './mail-routes.js'

/**
 * The content search route: `GET /api/email/search?q=&mode=&identity=&investor_id=&from=&to=&limit=`
 * answers `{ items: { email, score, highlight, attachment? }[], mode, backend, backends, degraded?,
 * reason? }` as the signed-in principal may see the mail (their own mailboxes in full, others' at
 * their sharing level); a missing or empty `q` or an unknown `mode` is 400, semantic search whose
 * endpoint or store is down (or not configured) is 503 `backend_unavailable`.
 *
 * @example
 * ```ts
 * const routes = [...mailRoutes(mail), ...searchRoutes(searchApi)]
 * ```
 */
export function searchRoutes(api: SearchApi): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/email/search',
      access: 'user',
      query: ['q', 'mode', ...FILTER_PARAMS, 'limit'],
      handle: async ({ url, principal }) => {
        const q = queryParam(url, 'q')
        if (q === undefined) throw new ValidationError('q: required (a word to search for)')
        return json(200, await api.search(q, { ...filterOf(url), limit: queryParam(url, 'limit'), mode: parseSearchMode(queryParam(url, 'mode')), viewer: principal.email }))
      },
    },
  ]
}
