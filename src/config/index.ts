import { resolveFromSource } from './resolve.js'
import type { EmailConfig, EmailConfigInput } from './types.js'
import { isPlainObject } from './values.js'
import { ConfigurationError } from '../errors.js'

export type {
  EmailConfig, EmailConfigInput, ModelEndpointConfig, OAuthClientConfig, QuotaCosts, ServiceAccountKey,
  ServiceAccountKeyJson,
} from './types.js'
export { QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY } from './lists.js'

/** Configs this module produced; identity, not shape, proves a value was validated. */
const resolvedConfigs = new WeakSet<object>()

function remember(config: EmailConfig): EmailConfig {
  resolvedConfigs.add(config)
  return config
}

/**
 * Whether `value` is a configuration returned by {@link loadConfig} or {@link resolveConfig}
 * (validated and frozen) of this build. A copy or a look-alike object is not, nor is a config
 * made by the package's other build (ESM or CommonJS): {@link resolveConfig} and
 * `createEmailIntegration` accept that one by validating it again, as they do a spread copy, so
 * nothing unvalidated is ever trusted.
 *
 * @example
 * ```ts
 * const config = isResolvedConfig(options.config) ? options.config : resolveConfig(options.config)
 * ```
 */
export function isResolvedConfig(value: unknown): value is EmailConfig {
  return typeof value === 'object' && value !== null && resolvedConfigs.has(value)
}

/**
 * Reads the configuration from environment variables (SPEC §4: `CRM_GMAIL_*`), applies the
 * defaults, and validates everything at once. Blank values count as unset. The service-account
 * key file is read (synchronously) only when the integration is enabled in `dwd` mode.
 *
 * @param env - the variables to read; `process.env` by default.
 * @returns the validated, deep-frozen configuration.
 * @throws {@link ConfigurationError} listing every invalid or missing variable; secrets are never quoted.
 *
 * @example
 * ```ts
 * import { loadConfig } from 'crm-email-integration'
 *
 * const config = loadConfig()                 // process.env
 * if (config.enabled) console.log(`syncing every ${config.syncIntervalMin} min`)
 *
 * loadConfig({ CRM_GMAIL_INTEGRATION_ENABLED: 'true', CRM_GMAIL_AUTH_METHOD: 'oauth' })
 * // throws ConfigurationError: CRM_GMAIL_OAUTH_CLIENT_ID: required when ..., ...
 * ```
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): EmailConfig {
  return remember(resolveFromSource({ kind: 'env', env }))
}

/**
 * Validates a configuration given as a plain object, with the same defaults and rules as
 * {@link loadConfig}. Property names follow {@link EmailConfig}; issues name the property and
 * its variable, e.g. `syncIntervalMin (CRM_GMAIL_SYNC_INTERVAL_MIN)`, and unknown properties
 * are reported. A configuration that is already resolved is returned unchanged.
 *
 * @param input - the settings, or a config returned by `loadConfig`/`resolveConfig`.
 * @returns the validated, deep-frozen configuration.
 * @throws {@link ConfigurationError} listing every problem; secrets are never quoted.
 *
 * @example
 * ```ts
 * import { resolveConfig } from 'crm-email-integration'
 *
 * const config = resolveConfig({
 *   enabled: true,
 *   authMethod: 'dwd',
 *   serviceAccountKeyPath: 'secrets/gmail-sa.json',
 *   workspaceDomains: ['fund.example'],
 *   blocklist: 'newsletter@vendor.example, @spam.example',
 *   digest: { hour: 8, timeZone: 'Europe/Berlin' },
 * })
 * const tweaked = resolveConfig({ ...config, capture: 'all' })  // a resolved config spreads into valid input
 * ```
 */
export function resolveConfig(input: EmailConfigInput | EmailConfig): EmailConfig {
  if (isResolvedConfig(input)) return input
  const value: unknown = input
  if (!isPlainObject(value)) {
    const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a value of type ${typeof value}`
    throw new ConfigurationError([{ variable: 'config', message: `expected a plain object of settings, got ${got}` }])
  }
  return remember(resolveFromSource({ kind: 'object', input: value }))
}
