import { Readable } from 'node:stream'
import type { MailApi } from '../../mail/api.js'
import type { MailFilter } from '../../mail/types.js'
import { ValidationError } from '../../errors.js'
import { pageLimit } from '../../mail/filters.js'
import { contentDisposition } from '../download-name.js'
import { json } from '../respond.js'
import { queryParam, type Route } from '../router.js'

/**
 * The mail filter of a request (threads, facet, search); `investor_id` is the older name of
 * `identity`.
 *
 * @example
 * ```ts
 * const filter = filterOf(new URL('http://crm.local/api/email/threads?investor_id=7'))
 * ```
 */
export function filterOf(url: URL): MailFilter {
  const identity = queryParam(url, 'identity')
  const investor = queryParam(url, 'investor_id')
  if (identity !== undefined && investor !== undefined && identity !== investor) {
    throw new ValidationError('identity: give identity or investor_id, not both')
  }
  return { identity: identity ?? investor, from: queryParam(url, 'from'), to: queryParam(url, 'to') }
}

/** The query parameters of the mail filter, as {@link filterOf} reads them. */
export const FILTER_PARAMS = ['identity', 'investor_id', 'from', 'to'] as const

/** What the mail routes need from the configuration. */
export interface MailRouteOptions {
  /**
   * Who may read an email's body and download attachments (`CRM_GMAIL_DETAIL_ACCESS`): admins
   * only, or every signed-in user. Either way each reads what their access allows.
   */
  readonly detailAccess: 'admin' | 'shared'
}

/**
 * The routes that read and moderate stored mail. Every read is made as the signed-in
 * principal (`viewer`), so each answer holds what their access to each email allows.
 *
 * @example
 * ```ts
 * const routes = mailRoutes(mail, { detailAccess: config.detailAccess })
 * ```
 */
export function mailRoutes(mail: MailApi, options: MailRouteOptions): Route[] {
  // The configuration is fixed when the integration is made, so the table states the gate.
  const detailAccess = options.detailAccess === 'shared' ? 'user' : 'admin'
  const privacyRoute = (suffix: 'private' | 'unprivate', isPrivate: boolean): Route => ({
    method: 'POST',
    pattern: `/api/email/threads/:id/${suffix}`,
    access: 'user',
    handle: async ({ params, principal, body }) => {
      // It reads no field: one sent (`{"private": false}`) is refused rather than ignored.
      await body()
      return json(200, await mail.threads.setPrivate(params.id ?? '', isPrivate, { actor: principal.email }))
    },
  })
  return [
    {
      method: 'GET',
      pattern: '/api/email/threads',
      access: 'user',
      query: [...FILTER_PARAMS, 'q', 'limit', 'cursor'],
      handle: async ({ url, principal }) =>
        json(
          200,
          await mail.threads.list({
            ...filterOf(url),
            q: queryParam(url, 'q'),
            limit: pageLimit(queryParam(url, 'limit')),
            cursor: queryParam(url, 'cursor'),
            viewer: principal.email,
          }),
        ),
    },
    {
      method: 'GET',
      pattern: '/api/email/threads/:id',
      access: 'user',
      handle: async ({ params, principal }) => json(200, await mail.threads.get(params.id ?? '', { viewer: principal.email })),
    },
    privacyRoute('private', true),
    privacyRoute('unprivate', false),
    {
      method: 'GET',
      pattern: '/api/email/identities',
      access: 'user',
      query: FILTER_PARAMS,
      handle: async ({ url, principal }) => json(200, await mail.identities(filterOf(url), { viewer: principal.email })),
    },
    {
      method: 'GET',
      pattern: '/api/email/detail',
      access: detailAccess,
      query: ['id'],
      handle: async ({ url, principal }) => {
        const id = queryParam(url, 'id')
        if (id === undefined) throw new ValidationError('id: required')
        return json(200, await mail.emails.get(id, { viewer: principal.email }))
      },
    },
    {
      method: 'GET',
      pattern: '/api/email/attachments/:id',
      access: detailAccess,
      handle: async ({ params, principal }) => {
        const file = await mail.attachments.open(params.id ?? '', { viewer: principal.email })
        return new Response(Readable.toWeb(file.stream) as ReadableStream<Uint8Array>, {
          status: 200,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(file.size),
            'content-disposition': contentDisposition(file.filename),
            'x-content-type-options': 'nosniff',
            'content-security-policy': "default-src 'none'; sandbox",
            'cache-control': 'private, no-store',
          },
        })
      },
    },
    {
      method: 'GET',
      pattern: '/api/email/hidden',
      access: 'admin',
      query: ['limit', 'cursor'],
      handle: async ({ url, principal }) =>
        json(
          200,
          await mail.emails.listHidden({ limit: pageLimit(queryParam(url, 'limit')), cursor: queryParam(url, 'cursor'), viewer: principal.email }),
        ),
    },
    {
      method: 'POST',
      pattern: '/api/email/:id/hide',
      access: 'admin',
      handle: async ({ params, principal }) => {
        await mail.emails.hide(params.id ?? '', principal.email, { actor: principal.email })
        return json(200, { id: params.id, hidden: true })
      },
    },
    {
      method: 'POST',
      pattern: '/api/email/:id/restore',
      access: 'admin',
      handle: async ({ params, principal }) => {
        await mail.emails.restore(params.id ?? '', { actor: principal.email })
        return json(200, { id: params.id, hidden: false })
      },
    },
  ]
}
