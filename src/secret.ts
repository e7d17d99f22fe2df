import { inspect } from 'node:util'

const REDACTED = '[redacted]'

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
 * ```
 */
export class Secret<T = string> {
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
