import type { ErasureApi } from '../../erasure/api.js'
import type { PurgeTarget } from '../../erasure/purge.js'
import { ValidationError } from '../../errors.js'
import { json } from '../respond.js'
import type { Route } from '../router.js'

/** `{address}` or `{identity}`, exactly one, as strings; a 400 naming what is wrong otherwise. */
function purgeTargetOf(body: Record<string, unknown>): PurgeTarget {
  const { address, identity } = body
  if ((address === undefined) === (identity === undefined)) throw new ValidationError('body: expected exactly one of address and identity')
  if (address !== undefined) {
    if (typeof address !== 'string') throw new ValidationError('address: expected an email address')
    return { address }
  }
  if (typeof identity !== 'string') throw new ValidationError('identity: expected a typed key such as contact:c-1')
  return { identity }
}

/**
 * The erasure routes, admins only: `POST /api/email/purge {address} | {identity}` (the counts),
 * `GET /api/email/suppressions` (`{ items }`: hashes, never addresses) and
 * `POST /api/email/suppressions/remove {address}`. The signed-in admin is the audit log's actor.
 *
 * @example
 * ```ts
 * const routes = erasureRoutes({ purge: email.purge, suppressions: email.suppressions })
 * ```
 */
export function erasureRoutes(erasure: ErasureApi): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/api/email/purge',
      access: 'admin',
      fields: ['address', 'identity'],
      handle: async ({ body, principal }) => json(200, await erasure.purge(purgeTargetOf(await body()), { actor: principal.email })),
    },
    {
      method: 'GET',
      pattern: '/api/email/suppressions',
      access: 'admin',
      handle: async () => json(200, { items: await erasure.suppressions.list() }),
    },
    {
      method: 'POST',
      pattern: '/api/email/suppressions/remove',
      access: 'admin',
      fields: ['address'],
      handle: async ({ body, principal }) => {
        const { address } = await body()
        if (typeof address !== 'string') throw new ValidationError('address: required, an email address')
        return json(200, await erasure.suppressions.remove(address, { actor: principal.email }))
      },
    },
  ]
}
