import type { LogFields, Logger } from './hooks.js'
import { redactDeep } from './secrets/redact.js'

/** The levels the library logs at. */
type Level = 'debug' | 'info' | 'warn' | 'error'

/** A winston 3 logger, as far as telling it apart goes: its level methods take the message first. */
interface WinstonShaped {
  log(...args: unknown[]): unknown
  add(...args: unknown[]): unknown
  remove(...args: unknown[]): unknown
  readonly transports: readonly unknown[]
}

/** A level method of a host logger, whichever argument order it takes. */
type LevelMethod = (first: unknown, second: unknown) => unknown

/**
 * Whether `logger` is a winston 3 logger (or a child of one). winston's level methods read
 * `(object, string)` as a message object with the text as an unused format argument, so they
 * are called message first.
 */
function isWinston(logger: object): logger is WinstonShaped {
  const candidate = logger as Partial<Record<keyof WinstonShaped, unknown>>
  return typeof candidate.log === 'function'
    && typeof candidate.add === 'function'
    && typeof candidate.remove === 'function'
    && Array.isArray(candidate.transports)
}

function noop(): void {
  // a level the host's logger does not have
}

/**
 * The library's one way to log: every level present, fields first, and the fields redacted
 * (URL credentials and key text in their strings hidden) before the host's logger sees them.
 * pino-style loggers and `console` are called `(fields, message)`; a winston logger is called
 * `(message, fields)`, the order it understands. Methods are looked up at each call, so a host
 * that swaps a method later is heard.
 *
 * @param logger - the host's logger; silent when absent.
 *
 * @example
 * ```ts
 * const log = toLogSink(options.logger)
 * log.info({ account: 'ann@fund.example' }, 'email sync run started')
 * ```
 */
export function toLogSink(logger: Logger | undefined): Required<Logger> {
  if (logger === undefined) return { debug: noop, info: noop, warn: noop, error: noop }
  const messageFirst = isWinston(logger)
  const at = (level: Level) => (fields: LogFields, message: string): void => {
    const method = (logger as Partial<Record<Level, unknown>>)[level]
    if (typeof method !== 'function') return
    const safe = redactDeep(fields) as LogFields
    if (messageFirst) (method as LevelMethod).call(logger, message, safe)
    else (method as LevelMethod).call(logger, safe, message)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
