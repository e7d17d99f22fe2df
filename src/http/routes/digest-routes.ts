import type { DigestApi } from '../../digest/api.js'
import type { DigestWindowInput } from '../../digest/window.js'
import { json } from '../respond.js'
import type { Route } from '../router.js'

/** The body fields of a digest window. */
const WINDOW_FIELDS = ['hours', 'since']

/**
 * The admin digest routes: `POST /api/admin/digest/preview` answers the digest of the body's
 * window (`{ hours }` or `{ since }`); `POST /api/admin/digest/send` delivers it and answers
 * `{ sent: true, digest }`. Neither moves the daily cursor. A bad window is a 400 naming the
 * field; send without a `deliverDigest` hook is a 409.
 *
 * @example
 * ```ts
 * const routes = [...digestRoutes(email.digest)]
 * ```
 */
export function digestRoutes(api: Pick<DigestApi, 'preview' | 'send'>): Route[] {
  // The body is passed whole: the window parser rejects anything that is not one of the two forms.
  const windowOf = async (body: () => Promise<Record<string, unknown>>) => (await body()) as DigestWindowInput
  return [
    {
      method: 'POST',
      pattern: '/api/admin/digest/preview',
      access: 'admin',
      fields: WINDOW_FIELDS,
      handle: async ({ body }) => json(200, await api.preview(await windowOf(body))),
    },
    {
      method: 'POST',
      pattern: '/api/admin/digest/send',
      access: 'admin',
      fields: WINDOW_FIELDS,
      handle: async ({ body }) => json(200, await api.send(await windowOf(body))),
    },
  ]
}
