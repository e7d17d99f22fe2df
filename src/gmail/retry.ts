/**
 * The retry loop of every Gmail call: p-retry with exponential backoff and jitter, retrying
 * only what `classifyGmailFailure` calls retryable, and turning Gmail's "slow down" answers
 * into a pause of the whole account's limiter, so that its other calls wait instead of failing.
 */
import pRetry from 'p-retry'
import { UpstreamError, ValidationError } from '../errors.js'
import type { Clock, Logger } from '../hooks.js'
import { gmailFailureHint } from './gmail-errors.js'
import type { GmailFailureHint } from './gmail-errors.js'
import type { QuotaLimiter } from './quota.js'

/** First backoff delay: Google's guidance starts exponential backoff at about a second. */
export const DEFAULT_MIN_DELAY_MS = 1000

/** Longest backoff delay between two attempts: Google's guidance caps backoff at 32 s. */
export const DEFAULT_MAX_DELAY_MS = 32_000

/**
 * Longest "Retry after" the client waits out. A quota reset further away than this (a daily
 * limit) is surfaced as an error so the sync can report it, rather than stalling for hours.
 */
export const DEFAULT_MAX_RETRY_WAIT_MS = 10 * 60_000

/** How a Gmail call is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (`CRM_GMAIL_RETRY_MAX`); 0 disables retrying. */
  readonly retryMax: number
  /** The first backoff delay; it doubles per retry, with jitter of up to 2x. */
  readonly minDelayMs: number
  /** The cap of one backoff delay. */
  readonly maxDelayMs: number
  /** The furthest "Retry after" time that is waited out instead of failing. */
  readonly maxRetryWaitMs: number
}

/**
 * Builds a {@link RetryPolicy}, validating each value.
 *
 * @throws {@link ValidationError} naming the first invalid value.
 *
 * @example
 * ```ts
 * const policy = resolveRetryPolicy({ retryMax: config.retryMax })
 * const fastForTests = resolveRetryPolicy({ retryMax: 3, minDelayMs: 1, maxDelayMs: 5 })
 * ```
 */
export function resolveRetryPolicy(input: Partial<RetryPolicy> & { readonly retryMax: number }): RetryPolicy {
  const { retryMax } = input
  if (!Number.isInteger(retryMax) || retryMax < 0) {
    throw new ValidationError(`retryMax: expected an integer of at least 0, got ${String(retryMax)}`)
  }
  const delay = (name: keyof RetryPolicy, value: number | undefined, fallback: number): number => {
    const result = value ?? fallback
    if (typeof result !== 'number' || !Number.isFinite(result) || result < 0) {
      throw new ValidationError(`${name}: expected a non-negative number of milliseconds, got ${String(result)}`)
    }
    return result
  }
  const minDelayMs = delay('minDelayMs', input.minDelayMs, DEFAULT_MIN_DELAY_MS)
  const maxDelayMs = Math.max(minDelayMs, delay('maxDelayMs', input.maxDelayMs, DEFAULT_MAX_DELAY_MS))
  const maxRetryWaitMs = delay('maxRetryWaitMs', input.maxRetryWaitMs, DEFAULT_MAX_RETRY_WAIT_MS)
  return Object.freeze({ retryMax, minDelayMs, maxDelayMs, maxRetryWaitMs })
}

/**
 * Whether a failed Gmail call should be tried again: only errors the client made from Gmail's
 * answer (never token errors or aborts), marked retryable, and not asking to wait longer than
 * `maxRetryWaitMs`.
 *
 * @example
 * ```ts
 * if (shouldRetryGmailError(err, clock.now(), policy.maxRetryWaitMs)) requeue(id)
 * ```
 */
export function shouldRetryGmailError(error: unknown, now: Date, maxRetryWaitMs: number): boolean {
  const hint = gmailFailureHint(error)
  if (hint === undefined || !(error instanceof UpstreamError) || !error.retryable) return false
  return hint.retryAt === null || hint.retryAt.getTime() - now.getTime() <= maxRetryWaitMs
}

/**
 * Slows the whole account after Gmail said so: pause the limiter until the Retry-After time,
 * or, for a quota error without one, empty its bucket. Other failures leave it alone.
 *
 * @example
 * ```ts
 * applyGmailBackOff(limiter, gmailFailureHint(err), clock.now(), policy.maxRetryWaitMs)
 * ```
 */
export function applyGmailBackOff(
  limiter: QuotaLimiter,
  hint: GmailFailureHint | undefined,
  now: Date,
  maxRetryWaitMs: number,
): void {
  if (hint === undefined) return
  if (hint.retryAt !== null) {
    // A reset too far away is not waited for (the call fails), so it must not stall the account.
    if (hint.retryAt.getTime() - now.getTime() <= maxRetryWaitMs) limiter.backOff(hint.retryAt)
  } else if (hint.quota) {
    limiter.backOff()
  }
}

/** What {@link withGmailRetry} needs besides the attempt. */
export interface GmailRetryContext {
  readonly policy: RetryPolicy
  readonly limiter: QuotaLimiter
  readonly clock: Clock
  readonly logger?: Logger | undefined
  /** The Gmail method, for log lines. */
  readonly operation: string
  readonly signal?: AbortSignal | undefined
  /** Called once per retry about to happen (for the client's counters). */
  readonly onRetry?: (() => void) | undefined
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or has been
 * retried `policy.retryMax` times. Non-Gmail errors (token errors, aborts) pass through
 * unchanged on the first failure.
 *
 * @example
 * ```ts
 * const page = await withGmailRetry(() => sendOnce(), { policy, limiter, clock, operation: 'messages.list' })
 * ```
 */
export async function withGmailRetry<T>(attempt: (attemptNumber: number) => Promise<T>, context: GmailRetryContext): Promise<T> {
  const { policy, limiter, clock, logger, operation, signal, onRetry } = context
  return pRetry(attempt, {
    retries: policy.retryMax,
    factor: 2,
    minTimeout: policy.minDelayMs,
    maxTimeout: policy.maxDelayMs,
    randomize: true,
    ...(signal === undefined ? {} : { signal }),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      const hint = gmailFailureHint(error)
      applyGmailBackOff(limiter, hint, clock.now(), policy.maxRetryWaitMs)
      if (hint === undefined || !(error instanceof UpstreamError) || !error.retryable || retriesLeft === 0) return
      logger?.warn?.({
        operation,
        attempt: attemptNumber,
        retriesLeft,
        status: error.upstreamStatus,
        reason: error.reason,
        retryAt: hint.retryAt?.toISOString() ?? null,
      }, 'Gmail call failed; retrying')
    },
    shouldRetry: ({ error }) => {
      const retry = shouldRetryGmailError(error, clock.now(), policy.maxRetryWaitMs)
      if (retry) onRetry?.()
      return retry
    },
  })
}
