import { describe, expect, it } from 'vitest'
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  DecryptionError,
  DisabledError,
  EmailIntegrationError,
  ErrorCodes,
  NotFoundError,
  UpstreamError,
  ValidationError,
  isEmailIntegrationError,
} from '../src/errors.js'
import type { ErrorCode } from '../src/errors.js'

interface Case {
  readonly name: string
  readonly make: (cause?: unknown) => EmailIntegrationError
  readonly code: ErrorCode
  readonly status: number
}

const cases: readonly Case[] = [
  {
    name: 'ConfigurationError',
    make: (cause) => new ConfigurationError([{ variable: 'X', message: 'bad' }], cause === undefined ? {} : { cause }),
    code: 'configuration_invalid',
    status: 500,
  },
  { name: 'ValidationError', make: (cause) => new ValidationError('m', cause === undefined ? {} : { cause }), code: 'validation_failed', status: 400 },
  { name: 'NotFoundError', make: (cause) => new NotFoundError('m', cause === undefined ? {} : { cause }), code: 'not_found', status: 404 },
  { name: 'ConflictError', make: (cause) => new ConflictError('m', cause === undefined ? {} : { cause }), code: 'conflict', status: 409 },
  { name: 'DisabledError', make: (cause) => new DisabledError('m', cause === undefined ? {} : { cause }), code: 'integration_disabled', status: 503 },
  { name: 'UpstreamError', make: (cause) => new UpstreamError('m', cause === undefined ? {} : { cause }), code: 'upstream_failed', status: 502 },
  { name: 'AuthError', make: (cause) => new AuthError('unauthenticated', 'm', cause === undefined ? {} : { cause }), code: 'unauthenticated', status: 401 },
  { name: 'DecryptionError', make: (cause) => new DecryptionError('m', cause === undefined ? {} : { cause }), code: 'decryption_failed', status: 500 },
  { name: 'EmailIntegrationError', make: (cause) => new EmailIntegrationError('closed', 'm', cause === undefined ? {} : { cause }), code: 'closed', status: 500 },
]

describe('ErrorCodes', () => {
  it('maps each code to its HTTP status (codes are stable; new ones may be added)', () => {
    expect(ErrorCodes).toMatchObject({
      configuration_invalid: 500,
      validation_failed: 400,
      not_found: 404,
      conflict: 409,
      integration_disabled: 503,
      backend_unavailable: 503,
      upstream_failed: 502,
      unauthenticated: 401,
      forbidden: 403,
      decryption_failed: 500,
      closed: 500,
    })
  })

  it('uses snake_case codes and HTTP error statuses only', () => {
    for (const [code, status] of Object.entries(ErrorCodes)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/)
      expect(Number.isInteger(status) && status >= 400 && status <= 599, code).toBe(true)
    }
  })
})

describe.each(cases)('$name', ({ name, make, code, status }) => {
  it('has its code, status and name, and is an Error of the taxonomy', () => {
    const err = make()
    expect(err.code).toBe(code)
    expect(err.status).toBe(status)
    expect(err.status).toBe(ErrorCodes[err.code])
    expect(err.name).toBe(name)
    expect(err).toBeInstanceOf(Error)
    expect(err).toBeInstanceOf(EmailIntegrationError)
    expect(isEmailIntegrationError(err)).toBe(true)
    expect(String(err)).toMatch(new RegExp(`^${name}: `))
    expect(err.stack).toContain(name)
  })

  it('keeps the cause when given one and has none otherwise', () => {
    const cause = new Error('socket hang up')
    expect(make(cause).cause).toBe(cause)
    expect('cause' in make()).toBe(false)
  })

  it('serialises to { error: { code, message } } with no stack or cause', () => {
    const err = make(new Error('secret internal detail'))
    const json = err.toJSON()
    expect(json).toEqual({ error: { code, message: err.message } })
    expect(Object.keys(json)).toEqual(['error'])
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message'])
    const text = JSON.stringify(err)
    expect(JSON.parse(text)).toEqual(json)
    expect(text).not.toContain('stack')
    expect(text).not.toContain('secret internal detail')
    expect(text).not.toContain('    at ')
  })
})

describe('EmailIntegrationError', () => {
  it('keeps an explicitly undefined cause as a cause', () => {
    const err = new EmailIntegrationError('conflict', 'm', { cause: undefined })
    expect('cause' in err).toBe(true)
    expect(err.cause).toBeUndefined()
  })

  it('names a subclass by its own name', () => {
    class TooManyAccountsError extends EmailIntegrationError {}
    const err = new TooManyAccountsError('conflict', 'too many')
    expect(err.name).toBe('TooManyAccountsError')
    expect(err.status).toBe(409)
  })
})

describe('ConfigurationError', () => {
  const issues = [
    { variable: 'CRM_GMAIL_AUTH_METHOD', message: 'expected "dwd" or "oauth", got "saml"' },
    { variable: 'CRM_GMAIL_SECRET_KEY', message: 'expected base64 of 32 bytes' },
    { variable: 'CRM_GMAIL_SYNC_INTERVAL_MIN', message: 'expected a positive integer, got "0"' },
  ]

  it('lists every issue in its message, each by variable, in order', () => {
    const err = new ConfigurationError(issues)
    expect(err.message).toMatch(/^Invalid email integration configuration \(3 problems\):\n/)
    let last = -1
    for (const issue of issues) {
      const line = `  - ${issue.variable}: ${issue.message}`
      const at = err.message.indexOf(line)
      expect(at, issue.variable).toBeGreaterThan(last)
      last = at
    }
    expect(err.message.split('\n')).toHaveLength(issues.length + 1)
  })

  it('says "problem" for a single issue', () => {
    expect(new ConfigurationError([issues[0]!]).message).toMatch(/\(1 problem\):\n {2}- CRM_GMAIL_AUTH_METHOD: /)
  })

  it('keeps a frozen copy of the issues', () => {
    const input = [...issues]
    const err = new ConfigurationError(input)
    input.pop()
    expect(err.issues).toEqual(issues)
    expect(Object.isFrozen(err.issues)).toBe(true)
  })

  it('serialises its message (with every issue) but not the issues array', () => {
    const err = new ConfigurationError(issues)
    expect(err.toJSON()).toEqual({ error: { code: 'configuration_invalid', message: err.message } })
  })
})

describe('DisabledError', () => {
  it('has a default message naming the switch', () => {
    const err = new DisabledError()
    expect(err.message).toContain('CRM_GMAIL_INTEGRATION_ENABLED')
    expect(err.code).toBe('integration_disabled')
  })

  it('can say a backend is unavailable', () => {
    const err = new DisabledError('the search backend is down', { code: 'backend_unavailable' })
    expect(err.code).toBe('backend_unavailable')
    expect(err.status).toBe(503)
    expect(err.name).toBe('DisabledError')
  })
})

describe('UpstreamError', () => {
  it('defaults status and reason to null and retryable to false', () => {
    const err = new UpstreamError('connection reset')
    expect(err.upstreamStatus).toBeNull()
    expect(err.reason).toBeNull()
    expect(err.retryable).toBe(false)
  })

  it('carries what Google answered, but serialises only code and message', () => {
    const err = new UpstreamError('Gmail answered 403 rateLimitExceeded', { upstreamStatus: 403, reason: 'rateLimitExceeded', retryable: true })
    expect(err.upstreamStatus).toBe(403)
    expect(err.reason).toBe('rateLimitExceeded')
    expect(err.retryable).toBe(true)
    expect(err.status).toBe(502)
    expect(err.toJSON()).toEqual({ error: { code: 'upstream_failed', message: 'Gmail answered 403 rateLimitExceeded' } })
  })
})

describe('AuthError', () => {
  it('has default messages for each code', () => {
    expect(new AuthError('unauthenticated')).toMatchObject({ code: 'unauthenticated', status: 401, message: 'Sign in first' })
    expect(new AuthError('forbidden')).toMatchObject({ code: 'forbidden', status: 403, message: 'Not allowed' })
    expect(new AuthError('forbidden', 'admin only').message).toBe('admin only')
  })
})

describe('isEmailIntegrationError', () => {
  it('accepts an error from another copy of the module (same shape, not instanceof)', () => {
    const foreign = Object.assign(new Error('x'), { code: 'not_found', status: 404 })
    expect(foreign).not.toBeInstanceOf(EmailIntegrationError)
    expect(isEmailIntegrationError(foreign)).toBe(true)
  })

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'not_found'],
    ['a number', 404],
    ['a plain object with the shape', { code: 'not_found', status: 404, message: 'x' }],
    ['an Error with an unknown code', Object.assign(new Error('x'), { code: 'ECONNRESET', status: 500 })],
    ['an Error with a string status', Object.assign(new Error('x'), { code: 'not_found', status: '404' })],
    ['an Error without a status', Object.assign(new Error('x'), { code: 'not_found' })],
    ['a plain Error', new Error('x')],
    ['a TypeError', new TypeError('x')],
  ])('rejects %s', (_name, value) => {
    expect(isEmailIntegrationError(value)).toBe(false)
  })
})
