import { MailboxRegistry } from './context.js'
import type { ConsentBehaviour, EmulatorContext, GmailEmulatorConsent } from './context.js'
import { CredentialStore } from './credentials.js'
import { FaultInjector } from './faults.js'
import { createServiceAccount } from './keys.js'
import type { GoogleServiceAccountKeyFile } from './keys.js'
import { GMAIL_READONLY_SCOPE, resolveEmulatorOptions, resolveFaults } from './options.js'
import type { GmailEmulatorFaults, GmailEmulatorOptions } from './options.js'
import { InFlightLimiter, QuotaBuckets } from './quota.js'
import { SeededRandom } from './random.js'
import { AUTH_PATH, TOKEN_PATH, attachHandler, closeServer, listenLocally } from './server.js'
import { StatsRecorder } from './stats.js'
import type { GmailEmulatorStats } from './stats.js'

/** Options of {@link GmailEmulator.addMessage}. */
export interface AddMessageOptions {
  /** Labels of the new message (default `['INBOX']`). */
  readonly labelIds?: readonly string[]
  /** Put it in this thread. Default: the thread of the message it replies to, else a new one. */
  readonly threadId?: string
  /** Gmail's `internalDate` (ms or a Date). Default: the `Date` header, else the emulator clock. */
  readonly internalDate?: number | Date
}

/** An OAuth client the emulator's token endpoint and consent page accept. */
export interface GmailEmulatorOAuthClient {
  readonly clientId: string
  readonly clientSecret: string
  /** When given, only these redirect URIs are accepted (as Google checks registered URIs). */
  readonly redirectUris?: readonly string[]
}

/** A running emulator (see {@link startGmailEmulator}). */
export interface GmailEmulator {
  /** Base URL (`http://127.0.0.1:<port>`), for `CRM_GMAIL_API_BASE_URL`; Gmail lives under `/gmail/v1/`. */
  readonly url: string
  /** The token endpoint (`${url}/token`), for `CRM_GMAIL_TOKEN_URL`. */
  readonly tokenUrl: string
  /** The consent page (`${url}/o/oauth2/v2/auth`), for `CRM_GMAIL_OAUTH_AUTH_URL`. */
  readonly authUrl: string
  /** A generated service-account key in Google's key-file shape; `token_uri` is {@link tokenUrl}. */
  readonly serviceAccountKey: GoogleServiceAccountKeyFile
  /** Request, quota, download and fault counters. */
  readonly stats: GmailEmulatorStats
  /** Every visit to the consent page, oldest first. */
  readonly consents: readonly GmailEmulatorConsent[]
  /** Creates an empty mailbox (addresses are case-insensitive); a no-op when it exists. */
  addMailbox(address: string): void
  /** Stores an RFC 822 message in `user`'s mailbox (created when new) and records `messageAdded`. */
  addMessage(user: string, rawRfc822: string | Buffer, options?: AddMessageOptions): { id: string; threadId: string }
  /** Deletes a message for good and records `messageDeleted`. Throws for an unknown id. */
  deleteMessage(user: string, id: string): void
  /** Adds and removes labels, recording `labelAdded` / `labelRemoved`. Throws for an unknown id. */
  modifyLabels(user: string, id: string, add: readonly string[], remove: readonly string[]): void
  /**
   * Hides a message of mailbox `address` from Gmail's search index, or (`hidden = false`)
   * shows it again: `messages.list` with a `q` holding an address operator (`from:`, `to:`,
   * `cc:`, `bcc:`, `deliveredto:`), `rfc822msgid:` or a full-text word never returns it,
   * whatever else the query says, while queries of dates, labels and sizes only, and lists
   * without `q`, still do (the index missed it, not the mailbox). Throws for an unknown id.
   *
   * @example
   * ```ts
   * const { id } = emu.addMessage('ann@fund.example', 'From: bo@lp.example\r\n\r\nHi')
   * emu.hideFromSearch('ann@fund.example', id)
   * // q=from:bo@lp.example lists nothing; q=after:2020/01/01 still lists the message
   * ```
   */
  hideFromSearch(address: string, gmailId: string, hidden?: boolean): void
  /** Forgets `user`'s history: `history.list` from any earlier `startHistoryId` now answers 404. */
  expireHistory(user: string): void
  /** `user`'s current history id, as `getProfile` gives it. */
  historyId(user: string): string
  /** Registers an OAuth client (OAuth mode). */
  registerOAuthClient(client: GmailEmulatorOAuthClient): void
  /** Issues a refresh token for `user` (created when new) to a registered client. */
  issueRefreshToken(user: string, clientId: string, scopes?: readonly string[]): string
  /** Revokes a refresh token: later refreshes answer `invalid_grant`. */
  revokeRefreshToken(token: string): void
  /** Invalidates the access tokens of `user`, or all of them: Gmail then answers 401. */
  revokeAccessTokens(user?: string): void
  /** How the consent page answers: which mailbox consents, and whether it allows or denies. */
  setConsent(consent: { readonly mailbox?: string | null; readonly decision?: 'allow' | 'deny' }): void
  /**
   * Replaces the injected faults from the next request on, validated like the `faults`
   * option: an outage that starts, or (`setFaults({})`) one that is over.
   */
  setFaults(faults: GmailEmulatorFaults): void
  /** Stops the server and drops open connections. */
  close(): Promise<void>
}

function requireMailbox(ctx: EmulatorContext, user: string): ReturnType<MailboxRegistry['ensure']> {
  const box = ctx.mailboxes.get(user)
  if (box === undefined) throw new Error(`No mailbox ${user} in the emulator`)
  return box
}

function internalDateOf(value: number | Date | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = value instanceof Date ? value.getTime() : value
  if (!Number.isFinite(ms)) throw new TypeError(`Expected \`internalDate\` to be a date or epoch milliseconds, got ${String(value)}`)
  return Math.trunc(ms)
}

/**
 * Starts a Gmail emulator: a real HTTP server on 127.0.0.1 and a random port serving the
 * Gmail API subset the library uses (profile, messages.list/get, attachments, history, batch),
 * Google's token endpoint and consent page, with Gmail's quota, concurrency limit, error
 * bodies and seeded fault injection. Nothing is reachable beyond 127.0.0.1.
 *
 * @remarks
 * Where Gmail's behaviour is undocumented the emulator picks one plausible behaviour and
 * keeps to it: `q` models the operators the library uses (addresses and domains, dates,
 * labels, sizes, `has:attachment`, `rfc822msgid:`, whole-word full text, `OR`, `{ }`, `( )`,
 * `-`) and refuses any other term with 400 instead of reading it as text;
 * `maxResults` above 500 is capped; attachment ids are stable (Gmail's change per call);
 * `message/rfc822` parts are leaves; batch parts run one after another; history older than
 * `historyTtl` is lost record by record, and a start id 404s only once records after it are
 * lost (or after `expireHistory`).
 *
 * @example
 * ```ts
 * const emu = await startGmailEmulator({ seed: 1, faults: { serverError: 0.1 } })
 * const { id } = emu.addMessage('ann@fund.example', 'From: bo@lp.example\r\nSubject: Hi\r\n\r\nHello')
 * process.env.CRM_GMAIL_API_BASE_URL = emu.url
 * process.env.CRM_GMAIL_TOKEN_URL = emu.tokenUrl
 * // ... sync, then: expect(emu.stats.downloads[id]).toBe(1)
 * await emu.close()
 * ```
 */
export async function startGmailEmulator(options: GmailEmulatorOptions = {}): Promise<GmailEmulator> {
  const resolved = resolveEmulatorOptions(options)
  const random = new SeededRandom(resolved.seed)
  const { server, url } = await listenLocally()
  const tokenUrl = `${url}${TOKEN_PATH}`
  const authUrl = `${url}${AUTH_PATH}`
  const consent: ConsentBehaviour = { mailbox: null, decision: 'allow' }
  const ctx: EmulatorContext = {
    options: resolved,
    random,
    mailboxes: new MailboxRegistry(random, resolved.inlineBodyLimit),
    credentials: new CredentialStore(),
    quota: new QuotaBuckets(resolved.quota, resolved.quotaPerMinute),
    inFlight: new InFlightLimiter(resolved.maxInFlight),
    faults: new FaultInjector(resolved.faults, random),
    stats: new StatsRecorder(),
    serviceAccount: await createServiceAccount(random, { tokenUrl, authUrl }).catch(async (error: unknown) => {
      await closeServer(server)
      throw error
    }),
    tokenUrl,
    consent,
    consents: [],
    now: () => resolved.clock.now(),
  }
  attachHandler(server, ctx, url)
  let closing: Promise<void> | null = null
  return {
    url,
    tokenUrl,
    authUrl,
    serviceAccountKey: ctx.serviceAccount.keyFile,
    stats: ctx.stats,
    consents: ctx.consents,
    addMailbox: (address) => {
      ctx.mailboxes.ensure(address)
    },
    addMessage: (user, rawRfc822, messageOptions = {}) => {
      const box = ctx.mailboxes.ensure(user)
      const message = box.add(ctx.mailboxes.newMessageId(), {
        raw: typeof rawRfc822 === 'string' ? Buffer.from(rawRfc822, 'utf8') : Buffer.from(rawRfc822),
        labelIds: messageOptions.labelIds ?? ['INBOX'],
        threadId: messageOptions.threadId,
        internalDate: internalDateOf(messageOptions.internalDate),
        now: ctx.now(),
      })
      return { id: message.id, threadId: message.threadId }
    },
    deleteMessage: (user, id) => {
      requireMailbox(ctx, user).delete(id, ctx.now())
    },
    modifyLabels: (user, id, add, remove) => {
      requireMailbox(ctx, user).modifyLabels(id, add, remove, ctx.now())
    },
    hideFromSearch: (address, gmailId, hidden = true) => {
      requireMailbox(ctx, address).require(gmailId).hiddenFromSearch = hidden
    },
    expireHistory: (user) => {
      requireMailbox(ctx, user).history.expireAll()
    },
    historyId: (user) => String(requireMailbox(ctx, user).history.currentId),
    registerOAuthClient: (client) => {
      ctx.credentials.clients.set(client.clientId, { ...client })
    },
    issueRefreshToken: (user, clientId, scopes = [GMAIL_READONLY_SCOPE]) => {
      if (!ctx.credentials.clients.has(clientId)) throw new Error(`Unknown OAuth client ${clientId}; register it first`)
      return ctx.credentials.issueRefresh({ mailbox: ctx.mailboxes.ensure(user).address, clientId, scopes })
    },
    revokeRefreshToken: (token) => {
      ctx.credentials.revokeRefresh(token)
    },
    revokeAccessTokens: (user) => {
      ctx.credentials.revokeAccess(user === undefined ? undefined : requireMailbox(ctx, user).address)
    },
    setConsent: (behaviour) => {
      if (behaviour.mailbox !== undefined) consent.mailbox = behaviour.mailbox === null ? null : ctx.mailboxes.ensure(behaviour.mailbox).address
      if (behaviour.decision !== undefined) consent.decision = behaviour.decision
    },
    setFaults: (faults) => {
      ctx.faults.replace(resolveFaults(faults))
    },
    close: () => (closing ??= closeServer(server)),
  }
}
