import type { IntegrationContext } from '../context.js'
import { createSecretBox } from '../secrets/crypto.js'
import { findAccountRow } from '../db/accounts.js'
import { loadRefreshToken, saveRefreshToken } from '../oauth/token-store.js'
import { ConfigurationError } from '../errors.js'
import { createGmailClient } from '../gmail/client.js'
import type { GmailClient, GmailClientOptions } from '../gmail/client-types.js'
import { createDwdCredentials } from '../gmail/credentials/dwd.js'
import { createOAuthCredentials } from '../gmail/credentials/oauth.js'
import type { AccessTokenProvider } from '../gmail/credentials/credentials.js'
import { createQuotaLimiter, type QuotaLimiter } from '../gmail/quota.js'

/** A mailbox the integration reads. */
export interface MailboxRef {
  readonly id: number
  readonly address: string
}

/** Gmail clients for enrolled mailboxes, sharing one credential cache and one limiter per mailbox. */
export interface GmailAccess {
  /** A new client for the mailbox (its own unit counter), on the mailbox's shared limiter. */
  clientFor(mailbox: MailboxRef): GmailClient
}

/** Client tuning, for tests and benchmarks (shorter backoffs). */
export type GmailClientTuning = Pick<GmailClientOptions, 'backoff' | 'timeoutMs' | 'batchSize'>

/**
 * Builds the integration's link to Gmail from its configuration: domain-wide delegation with
 * the service-account key, or OAuth with each mailbox's sealed refresh token. Credentials are
 * created on first use, so a disabled or unconfigured integration never needs them.
 */
export function createGmailAccess(context: IntegrationContext, tuning: GmailClientTuning = {}): GmailAccess {
  const { config } = context
  const limiters = new Map<string, QuotaLimiter>()
  let credentials: AccessTokenProvider | null = null

  const provider = (): AccessTokenProvider => {
    credentials ??= config.authMethod === 'dwd' ? dwd(context) : oauth(context)
    return credentials
  }

  return {
    clientFor(mailbox) {
      let limiter = limiters.get(mailbox.address)
      if (limiter === undefined) {
        limiter = createQuotaLimiter({ rateUnitsSec: config.rateUnitsSec, clock: context.clock })
        limiters.set(mailbox.address, limiter)
      }
      return createGmailClient({
        baseUrl: config.apiBaseUrl,
        mailbox: mailbox.address,
        credentials: provider(),
        limiter,
        costs: config.quotaCosts,
        retryMax: config.retryMax,
        logger: context.logger,
        clock: context.clock,
        ...tuning,
      })
    },
  }
}

function dwd(context: IntegrationContext): AccessTokenProvider {
  const { serviceAccount, tokenUrl } = context.config
  if (serviceAccount === null) {
    throw new ConfigurationError([
      { variable: 'CRM_GMAIL_SA_KEY_PATH', message: 'domain-wide delegation needs the service-account key file' },
    ])
  }
  return createDwdCredentials({ serviceAccount, tokenUrl, clock: context.clock, logger: context.logger })
}

function oauth(context: IntegrationContext): AccessTokenProvider {
  const { oauth: client, secretKey, secretKeyPrevious, tokenUrl } = context.config
  const issues = [
    ...(client === null ? [{ variable: 'CRM_GMAIL_OAUTH_CLIENT_ID', message: 'OAuth mode needs the OAuth client id, secret and redirect URI' }] : []),
    ...(secretKey === null ? [{ variable: 'CRM_GMAIL_SECRET_KEY', message: 'OAuth mode needs the key that seals refresh tokens' }] : []),
  ]
  if (client === null || secretKey === null) throw new ConfigurationError(issues)
  const box = createSecretBox({ current: secretKey, previous: secretKeyPrevious })
  const owner = async (mailbox: string) => {
    const row = await findAccountRow(context, mailbox)
    return row === undefined ? null : { id: row.id, address: row.address }
  }
  return createOAuthCredentials({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    tokenUrl,
    clock: context.clock,
    logger: context.logger,
    refreshTokenFor: async (mailbox) => {
      const account = await owner(mailbox)
      return account === null ? null : loadRefreshToken(context, box, account)
    },
    onRefreshTokenRotated: async (mailbox, token) => {
      const account = await owner(mailbox)
      if (account !== null) await saveRefreshToken(context, box, account, token, null)
    },
  })
}
