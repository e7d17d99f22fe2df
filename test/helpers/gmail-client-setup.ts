/**
 * Shared setup of the Gmail client tests: a token provider that records its calls, and a
 * client on a scripted server with short backoffs.
 */
import { afterEach } from 'vitest'
import { QUOTA_COSTS_2026 } from '../../src/config/index.js'
import { createGmailClient } from '../../src/gmail/client.js'
import type { GmailClient, GmailClientOptions } from '../../src/gmail/client-types.js'
import type { AccessTokenProvider } from '../../src/gmail/credentials/credentials.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { startScriptedServer } from './scripted-server.js'
import type { Handler, ScriptedServer } from './scripted-server.js'

export const MAILBOX = 'ann@fund.example'
/** The mailbox as it appears in Gmail paths. */
export const USER_PATH = '/gmail/v1/users/ann%40fund.example'
export const CACHED_TOKEN = 'ya29.cached-token-value'
export const FRESH_TOKEN = 'ya29.fresh-token-value'

/** A token provider that records each call's options. */
export function recordingTokens(): { provider: AccessTokenProvider; calls: { forceRefresh?: boolean }[] } {
  const calls: { forceRefresh?: boolean }[] = []
  const provider: AccessTokenProvider = {
    getAccessToken: (_mailbox, options) => {
      calls.push({ ...options })
      const token = options?.forceRefresh === true ? FRESH_TOKEN : CACHED_TOKEN
      return Promise.resolve({ token, expiresAt: new Date(Date.now() + 3_600_000) })
    },
  }
  return { provider, calls }
}

const servers: ScriptedServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** A scripted server closed after the test. */
export async function scriptedServer(handler: Handler): Promise<ScriptedServer> {
  const server = await startScriptedServer(handler)
  servers.push(server)
  return server
}

/** A client on `server` with a generous limiter and millisecond backoffs. */
export function clientFor(server: ScriptedServer, overrides: Partial<GmailClientOptions> = {}): GmailClient {
  return createGmailClient({
    baseUrl: server.url,
    mailbox: MAILBOX,
    credentials: recordingTokens().provider,
    limiter: createQuotaLimiter({ rateUnitsSec: 1_000_000 }),
    costs: QUOTA_COSTS_2026,
    retryMax: 3,
    backoff: { minDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  })
}
