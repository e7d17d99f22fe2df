import { inspect, type InspectOptions } from 'node:util'
import { isPlainObject } from './values.js'
import { redactDeep } from '../secrets/redact.js'

/** `toJSON` and `util.inspect` of an object of the configuration: its redacted copy. */
function printable(this: object): unknown {
  return redactDeep(this)
}

function inspectRedacted(this: object, _depth: number, options: InspectOptions, show: typeof inspect): string {
  return show(redactDeep(this), options)
}

/**
 * Makes `config` and every plain object in it print without credentials: `JSON.stringify`,
 * `util.inspect` and `console.log` show URLs with `user:password@` and secret query parameters
 * as `[redacted]`, and any key text hidden, while the properties keep the real values the
 * library uses. The methods are not enumerable, so spreading the config copies settings only.
 * Objects already frozen (shared constants such as the quota tables) are left alone.
 *
 * @example
 * ```ts
 * const config = withRedactedPrinting({ qdrantUrl: 'https://u:pw@qdrant.example' })
 * JSON.stringify(config)   // '{"qdrantUrl":"https://[redacted]@qdrant.example"}'
 * config.qdrantUrl         // 'https://u:pw@qdrant.example'
 * ```
 */
export function withRedactedPrinting<T extends object>(config: T): T {
  if (!isPlainObject(config) || Object.isFrozen(config)) return config
  for (const child of Object.values(config)) if (typeof child === 'object' && child !== null) withRedactedPrinting(child)
  Object.defineProperty(config, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(config, inspect.custom, { value: inspectRedacted, enumerable: false })
  return config
}
