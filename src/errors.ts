/**
 * The library's one error taxonomy. Every error it throws on purpose is an
 * {@link EmailIntegrationError} with a stable `code` (for programs), an HTTP `status` (for the
 * router, which answers `{ "error": { "code", "message" } }`) and, where another error caused
 * it, a `cause`. Messages are written for the operator and never carry a secret.
 */

/**
 * Every error code the library uses, with the HTTP status the router answers for it.
 * Codes are stable: programs may switch on them.
 */
export const ErrorCodes = {
  /** The configuration is invalid or incomplete; fix the named variables. */
  configuration_invalid: 500,
  /** A request or argument is invalid; the message says which and why. */
  validation_failed: 400,
  /** The thing asked for does not exist (or is hidden from the caller). */
  not_found: 404,
  /** The operation conflicts with the current state (a lease held elsewhere, a duplicate). */
  conflict: 409,
  /** The integration is switched off (`CRM_GMAIL_INTEGRATION_ENABLED`). */
  integration_disabled: 503,
  /** A backing service (the search backend, the summarizer) is not reachable. */
  backend_unavailable: 503,
  /** Gmail or Google's token endpoint answered with an error or could not be reached. */
  upstream_failed: 502,
  /** No credentials were presented. */
  unauthenticated: 401,
  /** The caller is known but may not do this. */
  forbidden: 403,
  /** A sealed secret could not be opened: tampered, truncated, or sealed under an unknown key. */
  decryption_failed: 500,
  /** The integration object was closed; create a new one. */
  closed: 500,
  /** Applying or undoing the library's schema migrations failed; the cause says why. */
  migration_failed: 500,
} as const satisfies Record<string, number>

/** One of the stable error codes of {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes

/** Options common to every error of the taxonomy. */
export interface EmailIntegrationErrorOptions {
  /** The underlying error, kept for logs; never shown to HTTP clients. */
  cause?: unknown
}

/**
 * The base class of every error the library throws on purpose.
 *
 * @example
 * ```ts
 * try {
 *   await email.accounts.enroll('someone@elsewhere.example')
 * } catch (err) {
 *   if (err instanceof EmailIntegrationError) console.log(err.code, err.status, err.message)
 * }
 * ```
 */
export class EmailIntegrationError extends Error {
  /** The stable code of this error. */
  readonly code: ErrorCode
  /** The HTTP status the router answers for this error. */
  readonly status: number

  constructor(code: ErrorCode, message: string, options: EmailIntegrationErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    this.name = new.target.name
    this.code = code
    this.status = ErrorCodes[code]
  }

  /** The shape the router sends: `{ error: { code, message } }`; no stack, no cause. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}

/** One problem found while validating the configuration. */
export interface ConfigurationIssue {
  /** The environment variable (or, for a plain object, the property path) at fault. */
  readonly variable: string
  /** What was expected, and what was found when that is not a secret. */
  readonly message: string
}

/**
 * The configuration is invalid. Lists every problem at once, each by its variable name.
 *
 * @example
 * ```ts
 * try { loadConfig(process.env) } catch (err) {
 *   if (err instanceof ConfigurationError) for (const i of err.issues) console.error(i.variable, i.message)
 * }
 * ```
 */
export class ConfigurationError extends EmailIntegrationError {
  /** Every problem found, in the order of the variables. */
  readonly issues: readonly ConfigurationIssue[]

  constructor(issues: readonly ConfigurationIssue[], options: EmailIntegrationErrorOptions = {}) {
    const lines = issues.map((i) => `  - ${i.variable}: ${i.message}`)
    const noun = issues.length === 1 ? 'problem' : 'problems'
    super('configuration_invalid', `Invalid email integration configuration (${issues.length} ${noun}):\n${lines.join('\n')}`, options)
    this.issues = Object.freeze([...issues])
  }
}

/**
 * An argument or request parameter is invalid; the message names it and says why.
 *
 * @example
 * ```ts
 * throw new ValidationError('limit: expected an integer from 1 to 100, got "abc"')
 * ```
 */
export class ValidationError extends EmailIntegrationError {
  constructor(message: string, options: EmailIntegrationErrorOptions = {}) {
    super('validation_failed', message, options)
  }
}

/**
 * The thing asked for does not exist, or the caller may not know that it does.
 *
 * @example
 * ```ts
 * throw new NotFoundError('email 42 not found')
 * ```
 */
export class NotFoundError extends EmailIntegrationError {
  constructor(message: string, options: EmailIntegrationErrorOptions = {}) {
    super('not_found', message, options)
  }
}

/**
 * The operation conflicts with the current state of the database.
 *
 * @example
 * ```ts
 * throw new ConflictError('account ann@fund.example is being synced by another process')
 * ```
 */
export class ConflictError extends EmailIntegrationError {
  constructor(message: string, options: EmailIntegrationErrorOptions = {}) {
    super('conflict', message, options)
  }
}

/**
 * The integration is switched off, or a backend it needs is down (`backend_unavailable`).
 *
 * @example
 * ```ts
 * if (!config.enabled) throw new DisabledError()
 * ```
 */
export class DisabledError extends EmailIntegrationError {
  constructor(
    message = 'The email integration is disabled (CRM_GMAIL_INTEGRATION_ENABLED is not true)',
    options: EmailIntegrationErrorOptions & { code?: 'integration_disabled' | 'backend_unavailable' } = {},
  ) {
    super(options.code ?? 'integration_disabled', message, options)
  }
}

/** What the library knows about a failed call to Gmail or Google's token endpoint. */
export interface UpstreamErrorOptions extends EmailIntegrationErrorOptions {
  /** The HTTP status Google answered, when it answered. */
  upstreamStatus?: number
  /** Google's reason (`rateLimitExceeded`, `invalid_grant`, ...), when the body gave one. */
  reason?: string
  /** Whether trying again later may succeed. */
  retryable?: boolean
}

/**
 * Gmail or Google's token endpoint failed. Carries Google's status and reason so callers can
 * tell a quota error from a revoked delegation.
 *
 * @example
 * ```ts
 * throw new UpstreamError('Gmail answered 403 rateLimitExceeded', { upstreamStatus: 403, reason: 'rateLimitExceeded', retryable: true })
 * ```
 */
export class UpstreamError extends EmailIntegrationError {
  /** The HTTP status Google answered, or `null` when no answer came (reset, timeout). */
  readonly upstreamStatus: number | null
  /** Google's reason string, or `null`. */
  readonly reason: string | null
  /** Whether trying again later may succeed. */
  readonly retryable: boolean

  constructor(message: string, options: UpstreamErrorOptions = {}) {
    super('upstream_failed', message, options)
    this.upstreamStatus = options.upstreamStatus ?? null
    this.reason = options.reason ?? null
    this.retryable = options.retryable ?? false
  }
}

/**
 * The caller is not signed in (`unauthenticated`, 401) or may not do this (`forbidden`, 403).
 *
 * @example
 * ```ts
 * throw new AuthError('forbidden', 'admin only')
 * ```
 */
export class AuthError extends EmailIntegrationError {
  constructor(
    code: 'unauthenticated' | 'forbidden',
    message = code === 'unauthenticated' ? 'Sign in first' : 'Not allowed',
    options: EmailIntegrationErrorOptions = {},
  ) {
    super(code, message, options)
  }
}

/**
 * A sealed secret could not be opened: it was altered, cut short, or sealed under a key that
 * is neither the current nor the previous one.
 *
 * @example
 * ```ts
 * throw new DecryptionError('the envelope was altered or sealed under another key')
 * ```
 */
export class DecryptionError extends EmailIntegrationError {
  constructor(message: string, options: EmailIntegrationErrorOptions = {}) {
    super('decryption_failed', message, options)
  }
}

/**
 * Whether `value` is one of the library's errors (works across duplicated module copies,
 * where `instanceof` would not).
 *
 * @example
 * ```ts
 * if (isEmailIntegrationError(err) && err.code === 'not_found') return null
 * ```
 */
export function isEmailIntegrationError(value: unknown): value is EmailIntegrationError {
  if (value instanceof EmailIntegrationError) return true
  if (typeof value !== 'object' || value === null) return false
  const { code, status } = value as { code?: unknown; status?: unknown }
  return typeof code === 'string' && code in ErrorCodes && typeof status === 'number' && value instanceof Error
}

/**
 * The message of something thrown, for logs, run rows and error responses: an `Error`'s
 * message, a thrown string itself, and `'unknown error'` for anything else (a thrown object
 * may hold anything, so it is never printed).
 *
 * @example
 * ```ts
 * errorMessage(new Error('socket hang up')) // 'socket hang up'
 * errorMessage('timed out')                 // 'timed out'
 * errorMessage({ token: 'x' })              // 'unknown error'
 * ```
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : 'unknown error'
}
