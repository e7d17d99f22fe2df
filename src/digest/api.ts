import type { IntegrationContext } from '../context.js'
import type { DirectoryCache } from '../directory/cache.js'
import { ConflictError, errorMessage } from '../errors.js'
import { processOwner } from '../context.js'
import { buildDigest } from './build.js'
import { claimDigestDay, finishDigestDay, previousCursor } from './runs.js'
import type { Digest } from './types.js'
import { parseDigestWindow, type DigestWindow, type DigestWindowInput } from './window.js'
import { zonedTime } from './zone.js'
import { createChatSummarizer, type Summarizer } from './summarizer.js'
import { readScope } from '../sharing/access.js'

/** The first scheduled digest, with no cursor yet, covers the last day. */
export const FIRST_DIGEST_WINDOW_MS = 24 * 3_600_000

/** Options of {@link createDigestApi}. */
export interface DigestApiOptions {
  /** The host's summarizer; overrides the configured endpoint. Failures fall back to extractive. */
  readonly summarizer?: Summarizer | undefined
  /** Delivers a digest (mail it, post it); without it `send` is refused and nothing is scheduled. */
  readonly deliverDigest?: ((digest: Digest) => Promise<void>) | undefined
  /** Milliseconds before a call to the configured endpoint is abandoned (tests shorten it). */
  readonly summarizerTimeoutMs?: number | undefined
  /** This process's name in `email_digest_runs.claimed_by`; a fresh one by default. */
  readonly owner?: string | undefined
}

/** What {@link DigestApi.runScheduled} did. */
export type ScheduledDigestResult =
  | { readonly sent: true; readonly period: string; readonly digest: Digest }
  | {
      readonly sent: false
      readonly reason: 'before digest hour' | 'already sent' | 'already claimed' | 'no deliverDigest hook' | 'delivery failed'
      readonly period: string
      /** Why delivery failed (`delivery failed` only). */
      readonly error?: string
    }

/** The digest operations of one integration (`email.digest`). */
export interface DigestApi {
  /**
   * Builds the digest of a window without sending it or moving the daily cursor. Every digest
   * is built for the team (SPEC §12), whoever asks: each email as every teammate may see it
   * (a withheld subject reads `(private)`; only bodies shared in full are quoted, to the reader
   * and to the summarizer), never as its owner or an admin would.
   *
   * @example
   * ```ts
   * const digest = await email.digest.preview({ hours: 24 })
   * ```
   */
  readonly preview: (window: DigestWindowInput) => Promise<Digest>
  /**
   * Builds the digest of a window and hands it to `deliverDigest`; the daily cursor stays
   * where it is. Without the hook: `ConflictError` (409), before anything is built.
   *
   * @example
   * ```ts
   * await email.digest.send({ since: '2026-06-01' })
   * ```
   */
  readonly send: (window: DigestWindowInput) => Promise<{ sent: true; digest: Digest }>
  /**
   * The scheduled daily digest: once the configured hour has come in the configured time
   * zone, sends the window from the cursor (the last sent run's end; the last 24 hours the
   * first time) to `now`, once per local day however many processes call it.
   *
   * @example
   * ```ts
   * const result = await email.digest.runScheduled({ now: new Date() })
   * ```
   */
  readonly runScheduled: (options?: { now?: Date }) => Promise<ScheduledDigestResult>
}

/**
 * Builds the digest API over an integration's context and directory cache.
 *
 * Decisions: a quiet window is still sent (a short "quiet window" digest), so the team can
 * tell a quiet day from a broken digest; a day whose delivery failed, or whose claim a crashed
 * process left, is retaken by a later call after `RETRY_CLAIM_AFTER_MS`; a day never
 * delivered leaves the cursor alone, so the next digest covers its mail.
 *
 * @example
 * ```ts
 * const digest = createDigestApi(context, directory, { deliverDigest: async (d) => mailer.send(d.html) })
 * ```
 */
export function createDigestApi(context: IntegrationContext, directory: DirectoryCache, options: DigestApiOptions = {}): DigestApi {
  const endpoint = context.config.summarizer
  const configured = endpoint === null ? null : createChatSummarizer(endpoint, options.summarizerTimeoutMs === undefined ? {} : { timeoutMs: options.summarizerTimeoutMs })
  const summarizer = options.summarizer ?? configured
  const owner = options.owner ?? processOwner()
  const { timeZone, hour } = context.config.digest
  // Built for the team (SPEC §12): what every teammate may see, whoever asks for it.
  const teamView = readScope(undefined, context.config.defaultSharing)

  const build = async (window: DigestWindow): Promise<Digest> =>
    buildDigest({ db: context.db, directory: await directory.get(), summarizer, logger: context.logger, scope: teamView }, window)
  const windowOf = (input: DigestWindowInput) => parseDigestWindow(input, context.clock.now(), timeZone)

  return {
    // Async, so a bad window is a rejection like every other failure, never a synchronous throw.
    preview: async (input) => await build(windowOf(input)),
    async send(input) {
      const window = windowOf(input)
      if (options.deliverDigest === undefined) throw new ConflictError('digest delivery is not set up: the host passed no deliverDigest hook')
      const digest = await build(window)
      await options.deliverDigest(digest)
      return { sent: true, digest }
    },
    async runScheduled(args = {}) {
      const now = args.now ?? context.clock.now()
      const local = zonedTime(now, timeZone)
      const period = local.date
      if (local.hour < hour) return { sent: false, reason: 'before digest hour', period }
      if (options.deliverDigest === undefined) return { sent: false, reason: 'no deliverDigest hook', period }
      const cursor = await previousCursor(context.db, period)
      const from = cursor ?? new Date(now.getTime() - FIRST_DIGEST_WINDOW_MS).toISOString()
      const window = { from: from < now.toISOString() ? from : now.toISOString(), to: now.toISOString() }
      const claim = await claimDigestDay(context.db, { period, window, owner, now })
      if (claim !== 'claimed') return { sent: false, reason: claim, period }
      try {
        const digest = await build(window)
        await options.deliverDigest(digest)
        await finishDigestDay(context.db, { period, owner, now: context.clock.now(), error: null })
        context.logger.info({ period, from: window.from, to: window.to, groups: digest.groups.length }, 'daily digest sent')
        return { sent: true, period, digest }
      } catch (error) {
        const message = errorMessage(error)
        await finishDigestDay(context.db, { period, owner, now: context.clock.now(), error: message })
        context.logger.error({ period, error: message }, 'daily digest failed')
        return { sent: false, reason: 'delivery failed', period, error: message }
      }
    },
  }
}
