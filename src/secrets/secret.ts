import { inspect } from 'node:util'

const REDACTED = '[redacted]'

/**
 * Marks a Secret's prototype, shared through the global symbol registry: the package's ESM and
 * CommonJS builds (and its separately bundled entry points) each carry their own `Secret` class,
 * and a Secret made by one must be accepted by the others. It sits on the prototype, so a spread
 * or a JSON round trip of a Secret does not carry it. A look-alike object could carry it, but
 * that gains nothing: anyone may wrap any value with `new Secret`.
 */
const SECRET_BRAND = Symbol.for('crm-email-integration.Secret')

/**
 * A value that must never reach a log, an error, a response or `JSON.stringify`. It prints as
 * `[redacted]` everywhere (`String()`, template strings, `JSON.stringify`, `console.log`,
 * `util.inspect`); only {@link Secret.reveal} gives the value, at the one place that needs it.
 *
 * @example
 * ```ts
 * const key = new Secret(process.env.CRM_GMAIL_SECRET_KEY ?? '')
 * console.log({ key })          // { key: Secret [redacted] }
 * crypto.createHmac('sha256', key.reveal())
 * key instanceof Secret         // true, also for a Secret made by the package's other build
 * ```
 */
export class Secret<T = string> {
  /**
   * Whether `value` is a Secret made by any copy of this class (the ESM or the CommonJS build),
   * so `instanceof Secret` holds across builds. Subclasses keep the ordinary check.
   */
  static [Symbol.hasInstance](value: unknown): value is Secret<unknown> {
    if (this !== Secret) return Function.prototype[Symbol.hasInstance].call(this, value)
    if (typeof value !== 'object' || value === null) return false
    const candidate = value as { [SECRET_BRAND]?: unknown; reveal?: unknown }
    return candidate[SECRET_BRAND] === true && typeof candidate.reveal === 'function'
  }

  readonly #value: T

  constructor(value: T) {
    this.#value = value
    Object.freeze(this)
  }

  /** The value itself. Call it only where the value is used, never to print it. */
  reveal(): T {
    return this.#value
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED
  }

  /** Always `"[redacted]"`, so `JSON.stringify` never shows the value. */
  toJSON(): string {
    return REDACTED
  }

  /** What `console.log` and `util.inspect` show. */
  [inspect.custom](): string {
    return `Secret ${REDACTED}`
  }
}

// Not enumerable, not writable, and not part of the type: only the check above reads it.
Object.defineProperty(Secret.prototype, SECRET_BRAND, { value: true })
