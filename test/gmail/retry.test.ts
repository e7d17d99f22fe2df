import { describe, expect, it } from 'vitest'
import { UpstreamError, ValidationError } from '../../src/errors.js'
import {
  gmailFailureHint,
  gmailHttpError,
  gmailNetworkError,
  parseGoogleError,
  parseRetryAt,
} from '../../src/gmail/gmail-errors.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { classifyGmailFailure, isRetryableNetworkFailure } from '../../src/gmail/retry-classify.js'
import { resolveRetryPolicy, shouldRetryGmailError, withGmailRetry } from '../../src/gmail/retry.js'
import { googleError } from '../helpers/scripted-server.js'

const now = new Date('2026-06-01T07:00:00.000Z')

describe('classifyGmailFailure', () => {
  it.each([
    [429, null, true, true],
    [429, 'rateLimitExceeded', true, true],
    [500, 'backendError', true, false],
    [502, null, true, false],
    [503, null, true, false],
    [403, 'rateLimitExceeded', true, true],
    [403, 'userRateLimitExceeded', true, true],
    [403, 'backendError', true, false],
    [403, 'RATE_LIMIT_EXCEEDED', true, true],
    [403, 'forbidden', false, false],
    [403, 'insufficientPermissions', false, false],
    [403, 'domainPolicy', false, false],
    [403, null, false, false],
    [400, 'invalidArgument', false, false],
    [401, 'authError', false, false],
    [404, 'notFound', false, false],
    [408, null, false, false],
  ] as const)('%i %s -> retryable %s, quota %s', (status, reason, retryable, quota) => {
    expect(classifyGmailFailure(status, reason)).toEqual({ retryable, quota })
  })

  it('retries broken connections but not DNS or TLS failures', () => {
    expect(isRetryableNetworkFailure('ECONNRESET', 'read ECONNRESET')).toBe(true)
    expect(isRetryableNetworkFailure(undefined, 'request to http://x failed, reason: socket hang up')).toBe(true)
    expect(isRetryableNetworkFailure('UND_ERR_SOCKET', 'other side closed')).toBe(true)
    expect(isRetryableNetworkFailure('ENOTFOUND', 'getaddrinfo ENOTFOUND gmail.example')).toBe(false)
    expect(isRetryableNetworkFailure('CERT_HAS_EXPIRED', 'certificate has expired')).toBe(false)
  })
})

describe('parseGoogleError', () => {
  it('reads the reason from error.errors[0], then ErrorInfo, then status', () => {
    expect(parseGoogleError(JSON.stringify(googleError(403, 'forbidden', 'Delegation denied')))).toEqual({
      message: 'Delegation denied',
      reason: 'forbidden',
    })
    const aip = {
      error: {
        code: 429,
        message: 'Quota exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED' }],
      },
    }
    expect(parseGoogleError(JSON.stringify(aip))).toEqual({ message: 'Quota exceeded', reason: 'RATE_LIMIT_EXCEEDED' })
    expect(parseGoogleError('{"error":{"code":401,"message":"x","status":"UNAUTHENTICATED"}}')?.reason).toBe('UNAUTHENTICATED')
    expect(parseGoogleError('<html>Bad Gateway</html>')).toBeNull()
    expect(parseGoogleError('{"error":"invalid_grant"}')).toBeNull()
  })
})

describe('parseRetryAt', () => {
  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(parseRetryAt('30', null, now)?.toISOString()).toBe('2026-06-01T07:00:30.000Z')
    expect(parseRetryAt('Mon, 01 Jun 2026 07:02:00 GMT', null, now)?.toISOString()).toBe('2026-06-01T07:02:00.000Z')
    expect(parseRetryAt('soon', null, now)).toBeNull()
  })

  it('reads "Retry after <ISO time>" from quota messages and takes the later of both', () => {
    const message = 'User-rate limit exceeded.  Retry after 2026-06-01T07:05:00.123Z'
    expect(parseRetryAt(null, message, now)?.toISOString()).toBe('2026-06-01T07:05:00.123Z')
    expect(parseRetryAt('10', message, now)?.toISOString()).toBe('2026-06-01T07:05:00.123Z')
    expect(parseRetryAt(null, 'Rate Limit Exceeded', now)).toBeNull()
  })
})

describe('gmailHttpError', () => {
  it("keeps Google's status, reason and message, and the retry time", () => {
    const body = JSON.stringify(googleError(403, 'rateLimitExceeded', 'Rate limit exceeded. Retry after 2026-06-01T07:00:30Z'))
    const error = gmailHttpError({ operation: 'messages.get', status: 403, headers: new Headers(), body, now })
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error).toMatchObject({ upstreamStatus: 403, reason: 'rateLimitExceeded', retryable: true, code: 'upstream_failed' })
    expect(error.message).toBe('Gmail messages.get failed: 403 rateLimitExceeded: Rate limit exceeded. Retry after 2026-06-01T07:00:30Z')
    expect(gmailFailureHint(error)).toEqual({ retryAt: new Date('2026-06-01T07:00:30Z'), quota: true })
  })

  it('quotes a non-JSON body briefly and ignores Retry-After on errors that are not retried', () => {
    const error = gmailHttpError({
      operation: 'getProfile',
      status: 400,
      headers: new Headers({ 'Retry-After': '5' }),
      body: `<html>${'x'.repeat(1000)}</html>`,
      now,
    })
    expect(error.retryable).toBe(false)
    expect(error.message.length).toBeLessThan(400)
    expect(gmailFailureHint(error)?.retryAt).toBeNull()
  })

  it('describes timeouts and resets without a status', () => {
    const timeout = gmailNetworkError('messages.list', new Error('aborted'), 60_000)
    expect(timeout).toMatchObject({ upstreamStatus: null, reason: 'timeout', retryable: true })
    const reset = gmailNetworkError('messages.list', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), null)
    expect(reset).toMatchObject({ upstreamStatus: null, reason: 'ECONNRESET', retryable: true })
    const dns = gmailNetworkError('messages.list', Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }), null)
    expect(dns.retryable).toBe(false)
  })
})

describe('retry policy', () => {
  it('refuses negative, fractional and non-numeric settings', () => {
    expect(() => resolveRetryPolicy({ retryMax: -1 })).toThrow(ValidationError)
    expect(() => resolveRetryPolicy({ retryMax: 1.5 })).toThrow(/retryMax/)
    expect(() => resolveRetryPolicy({ retryMax: Number.NaN })).toThrow(/retryMax/)
    expect(() => resolveRetryPolicy({ retryMax: 1, minDelayMs: -5 })).toThrow(/minDelayMs/)
    expect(resolveRetryPolicy({ retryMax: 0 })).toMatchObject({ retryMax: 0, minDelayMs: 1000, maxDelayMs: 32_000 })
  })

  it('retries only Gmail errors marked retryable, and not past the longest wait', () => {
    const retryable = gmailHttpError({ operation: 'x', status: 503, headers: new Headers(), body: '', now })
    const far = gmailHttpError({ operation: 'x', status: 429, headers: new Headers({ 'Retry-After': '3600' }), body: '', now })
    expect(shouldRetryGmailError(retryable, now, 600_000)).toBe(true)
    expect(shouldRetryGmailError(far, now, 600_000)).toBe(false)
    // An UpstreamError from elsewhere (a token endpoint) is not the Gmail loop's to retry.
    expect(shouldRetryGmailError(new UpstreamError('token endpoint down', { retryable: true }), now, 600_000)).toBe(false)
  })

  it('runs attempts up to retryMax + 1 and passes other errors through unchanged', async () => {
    const limiter = createQuotaLimiter({ rateUnitsSec: 1000 })
    const policy = resolveRetryPolicy({ retryMax: 2, minDelayMs: 1, maxDelayMs: 2 })
    const context = { policy, limiter, clock: { now: () => now }, operation: 'test' }
    let attempts = 0
    const failing = withGmailRetry(() => {
      attempts++
      return Promise.reject(gmailHttpError({ operation: 'test', status: 500, headers: new Headers(), body: '', now }))
    }, context)
    await expect(failing).rejects.toMatchObject({ upstreamStatus: 500 })
    expect(attempts).toBe(3)

    const tokenError = new UpstreamError('invalid_grant', { reason: 'invalid_grant' })
    attempts = 0
    await expect(
      withGmailRetry(() => {
        attempts++
        return Promise.reject(tokenError)
      }, context),
    ).rejects.toBe(tokenError)
    expect(attempts).toBe(1)
  })
})
