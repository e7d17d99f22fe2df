import { ValidationError } from '../errors.js'
import type { OAuthConsent } from './consent.js'
import { json } from '../http/respond.js'
import { queryParam, type Route } from '../http/router.js'

/**
 * What Google's redirect to the callback carries besides `code`, `state` and `error`: the
 * granted scopes, the account index, the hosted domain, the prompt shown, the issuer (RFC 9207)
 * and the error's explanation. Accepted and not read: the consent state decides.
 */
const GOOGLE_CALLBACK_EXTRAS = ['scope', 'authuser', 'hd', 'prompt', 'iss', 'error_description', 'error_uri', 'session_state']

/** `redirect=false` asks `start` for JSON instead of a redirect; nothing else is accepted. */
function wantsRedirect(url: URL): boolean {
  const value = queryParam(url, 'redirect')
  if (value === undefined || value === 'true') return true
  if (value === 'false') return false
  throw new ValidationError('redirect: expected true or false')
}

/**
 * The OAuth consent routes (OAuth mode; any signed-in user, for their own mailbox):
 *
 * - `GET /api/email/oauth/start`: 302 to Google's consent page (`Location`), with the same URL
 *   in the body `{ url, expiresAt }`; `?redirect=false` answers 200 with that body instead, for
 *   single-page apps that authenticate with a header and navigate themselves.
 * - `GET /api/email/oauth/callback?code&state` (Google's redirect): 200 `{ account }`, the
 *   enrolled, active account. A host that wants a page instead maps this answer to a redirect.
 *
 * Refusals are 400 `validation_failed` with the reason: Google's `error` (`access_denied`), a
 * missing `code` or `state`, a forged, altered, expired, replayed or other user's state, a
 * code Google refuses, another Google account than the user's, or an integration in `dwd`
 * mode (no consent is needed there).
 */
export function oauthRoutes(consent: OAuthConsent): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/email/oauth/start',
      access: 'user',
      query: ['redirect'],
      handle: async ({ url, principal }) => {
        const redirect = wantsRedirect(url)
        const started = await consent.start(principal)
        return redirect ? json(302, started, { location: started.url }) : json(200, started)
      },
    },
    {
      method: 'GET',
      pattern: '/api/email/oauth/callback',
      access: 'user',
      query: ['code', 'state', 'error', ...GOOGLE_CALLBACK_EXTRAS],
      handle: async ({ url, principal }) => {
        const account = await consent.finish(principal, {
          code: queryParam(url, 'code'),
          state: queryParam(url, 'state'),
          error: queryParam(url, 'error'),
        })
        return json(200, { account })
      },
    },
  ]
}
