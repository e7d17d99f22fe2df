/**
 * `batchGetMessages`: many `messages.get` calls through batch requests. Each part of a batch
 * answer has its own status: successes are kept, parts Gmail may answer later (429, the
 * rate-limit 403s, 5xx) are sent again in a later batch after a backoff, and the rest (404,
 * 400, ...) are reported for their id without retrying.
 *
 * Gmail charges every part of a batch against the user's rate as if it came alone, and serves
 * the parts at once; so a batch must never cost more than the account's bucket can grant at
 * once ({@link partsPerBatch}), or Gmail refuses the parts past its allowance.
 */
import type { UpstreamError } from '../errors.js'
import type { Clock, Logger } from '../hooks.js'
import { batchTag, buildBatchRequest } from './batch.js'
import { boundaryOf, parseBatchResponse, requestContentId } from './batch-parse.js'
import type { BatchPartResponse } from './batch-parse.js'
import type { GmailTransport } from './client-request.js'
import type { BatchGetResult } from './client-types.js'
import { gmailFailureHint, gmailHttpError, gmailProtocolError } from './gmail-errors.js'
import type { QuotaLimiter } from './quota.js'
import { applyGmailBackOff, shouldRetryGmailError, withGmailRetry } from './retry.js'
import type { RetryPolicy } from './retry.js'
import type { GmailMessage } from './types.js'

/** What the batch loop needs from the client. */
export interface BatchGetContext {
  readonly transport: GmailTransport
  readonly limiter: QuotaLimiter
  readonly policy: RetryPolicy
  readonly clock: Clock
  readonly logger?: Logger | undefined
  /** `{baseUrl}/batch/gmail/v1`. */
  readonly batchUrl: string
  /** Units one `messages.get` costs. */
  readonly unitCost: number
  /** Calls per batch request (at most 50, and see {@link partsPerBatch}). */
  readonly batchSize: number
  /** The full URL of one id's `messages.get`; its path and query become the part's request line. */
  readonly messageUrl: (id: string) => string
  readonly signal?: AbortSignal | undefined
}

/**
 * Fewest calls a batch holds. A call dearer than the whole bucket (a tiny configured rate) is
 * still sent, alone: the limiter waits for a full bucket, so the account slows down instead of
 * stopping.
 */
export const MIN_BATCH_PARTS = 1

/**
 * Calls one batch request may hold: at most `maxParts`, and no more than the account's bucket
 * can pay for at once (`floor(bucketUnits / unitCost)`). Gmail counts each call of a batch
 * toward the per-user rate ("a set of n requests batched together counts toward your usage
 * limit as n requests") and allows only a short burst above that rate; the client's bucket
 * holds one second of its configured rate, which is at most Gmail's. A batch dearer than the
 * bucket would be let through on credit and then partly refused by Gmail, its refused parts
 * paid for and sent again: 50 gets at 20 units are 1000 units against a bucket of 90.
 *
 * @example
 * ```ts
 * partsPerBatch(50, 90, 20)  // 4: 80 units, within one second's 90 (the 2026 default)
 * partsPerBatch(50, 225, 5)  // 45: 225 units (the legacy default)
 * partsPerBatch(50, 10, 20)  // 1: dearer than the bucket, sent alone
 * ```
 */
export function partsPerBatch(maxParts: number, bucketUnits: number, unitCost: number): number {
  const affordable = unitCost > 0 ? Math.floor(bucketUnits / unitCost) : maxParts
  return Math.max(MIN_BATCH_PARTS, Math.min(maxParts, affordable))
}

type PartOutcome = { readonly ok: true; readonly message: GmailMessage } | { readonly ok: false; readonly error: UpstreamError }

function outcomeOf(part: BatchPartResponse | undefined, now: Date): PartOutcome {
  if (part === undefined) {
    return { ok: false, error: gmailProtocolError('messages.get (batch)', 'the batch answer had no part for this call', true, 'missingBatchPart') }
  }
  if (part.status === null) {
    return { ok: false, error: gmailProtocolError('messages.get (batch)', 'the batch part held no HTTP status line', true) }
  }
  const headers = { get: (name: string) => part.headers.get(name.toLowerCase()) ?? null }
  if (part.status < 200 || part.status >= 300) {
    return { ok: false, error: gmailHttpError({ operation: 'messages.get (batch)', status: part.status, headers, body: part.body, now }) }
  }
  try {
    const message = JSON.parse(part.body) as unknown
    if (typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'string') {
      return { ok: true, message: message as GmailMessage }
    }
  } catch {
    // reported below
  }
  return { ok: false, error: gmailProtocolError('messages.get (batch)', 'the batch part is not a message resource', false) }
}

/** Sends one batch request for `ids` and pairs each id with its part of the answer. */
async function sendBatch(context: BatchGetContext, ids: readonly string[]): Promise<PartOutcome[]> {
  const tag = batchTag()
  const requests = ids.map((id, index) => {
    const url = new URL(context.messageUrl(id))
    return { contentId: `${tag}+${index}`, method: 'GET' as const, path: `${url.pathname}${url.search}` }
  })
  const built = buildBatchRequest(requests)
  const response = await context.transport.send({
    operation: 'batch',
    url: context.batchUrl,
    method: 'POST',
    headers: { 'Content-Type': built.contentType },
    body: built.body,
    units: ids.length * context.unitCost,
    signal: context.signal,
  })
  const contentType = response.headers.get('content-type')
  const boundary = boundaryOf(contentType)
  if (boundary === null) {
    throw gmailProtocolError('batch', `the answer is not multipart (Content-Type: ${contentType ?? 'none'})`, false)
  }
  const parts = parseBatchResponse(response.body, boundary)
  const byId = new Map<string, BatchPartResponse>()
  for (const part of parts) if (part.contentId !== null) byId.set(requestContentId(part.contentId), part)
  // An answer without Content-IDs can only be paired by position, and only when complete.
  const positional = byId.size === 0 && parts.length === ids.length
  const now = context.clock.now()
  return requests.map((request, index) => outcomeOf(positional ? parts[index] : byId.get(request.contentId), now))
}

/**
 * Gets `ids` through batch requests of at most `batchSize` calls, one after another (the
 * account's rate is the bottleneck, and parallel batches only trip Gmail's concurrency limit).
 * Rounds of re-sent parts are retried by p-retry like any call, up to `retryMax`; a pass in
 * which Gmail served some parts and deferred the rest for the rate limit only is not a failed
 * round (the deferred parts are sent again as soon as the account's limiter allows).
 *
 * @returns one result per id, in the order given (a repeated id is fetched once).
 * @throws the batch request's own error when it fails as a whole (after retries), a token error.
 *
 * @example
 * ```ts
 * const results = await batchGet(context, ['18c1...', '18c2...'])
 * for (const r of results) if (!r.ok) console.warn(r.id, r.error.reason)
 * ```
 */
export async function batchGet(context: BatchGetContext, ids: readonly string[]): Promise<BatchGetResult[]> {
  const outcomes = new Map<string, PartOutcome>()
  const lastErrors = new Map<string, UpstreamError>()
  let pending = [...new Set(ids)]
  let partsError: UpstreamError | null = null
  const { policy, limiter, clock } = context

  /** Sends every pending id once, batch after batch; leaves the ones to send again in `pending`. */
  const pass = async (): Promise<{ settled: number; worst: UpstreamError | null; quotaOnly: boolean }> => {
    const retryLater: string[] = []
    let worst: UpstreamError | null = null
    let settled = 0
    let quotaOnly = true
    for (let start = 0; start < pending.length; start += context.batchSize) {
      const chunk = pending.slice(start, start + context.batchSize)
      let results: PartOutcome[]
      try {
        results = await sendBatch(context, chunk)
      } catch (error) {
        pending = [...retryLater, ...pending.slice(start)]
        throw error
      }
      const now = clock.now()
      for (const [index, id] of chunk.entries()) {
        const outcome = results[index] ?? outcomeOf(undefined, now)
        if (outcome.ok || !shouldRetryGmailError(outcome.error, now, policy.maxRetryWaitMs)) {
          outcomes.set(id, outcome)
          settled++
          continue
        }
        retryLater.push(id)
        lastErrors.set(id, outcome.error)
        const hint = gmailFailureHint(outcome.error)
        if (hint?.quota !== true) quotaOnly = false
        // Each throttled part slows the account; the round's error carries only one hint.
        applyGmailBackOff(limiter, hint, now, policy.maxRetryWaitMs)
        worst = laterRetry(worst, outcome.error)
      }
    }
    pending = retryLater
    return { settled, worst, quotaOnly }
  }

  const round = async (): Promise<void> => {
    for (;;) {
      const { settled, worst, quotaOnly } = await pass()
      if (worst === null) return
      if (quotaOnly && settled > 0) {
        // Gmail turned parts away for the account's rate only, and served others: it is pacing
        // the account, not failing. The refused parts go again once the limiter allows (the
        // backoff above paused it) without using up a retry of theirs; each such pass settles
        // at least one part, so this ends.
        context.logger?.debug?.({
          operation: 'batch',
          deferred: pending.length,
          retryAt: gmailFailureHint(worst)?.retryAt?.toISOString() ?? null,
        }, 'Gmail deferred batch parts for the rate limit; sending them again')
        continue
      }
      partsError = worst
      throw worst
    }
  }

  try {
    await withGmailRetry(round, {
      policy,
      limiter,
      clock,
      logger: context.logger,
      operation: 'batch',
      signal: context.signal,
      onRetry: () => context.transport.usage.retries++,
    })
  } catch (error) {
    if (error !== partsError) throw error
  }
  for (const id of pending) {
    const error = lastErrors.get(id)
    if (error !== undefined) outcomes.set(id, { ok: false, error })
  }
  return ids.map((id): BatchGetResult => {
    const outcome = outcomes.get(id) ?? { ok: false, error: gmailProtocolError('messages.get (batch)', 'no answer', true, 'missingBatchPart') }
    return outcome.ok ? { id, ok: true, message: outcome.message } : { id, ok: false, error: outcome.error }
  })
}

/** Of two retryable errors, the one asking to wait longest (its hint drives the backoff). */
function laterRetry(current: UpstreamError | null, candidate: UpstreamError): UpstreamError {
  if (current === null) return candidate
  const a = gmailFailureHint(current)?.retryAt?.getTime() ?? 0
  const b = gmailFailureHint(candidate)?.retryAt?.getTime() ?? 0
  return b > a ? candidate : current
}
