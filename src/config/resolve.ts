import { type ConfigurationIssue, ConfigurationError } from '../errors.js'
import { quotaRegimeOf, rateOverLimit } from './quota.js'
import { loadServiceAccountKeyFile } from './secrets.js'
import { SETTINGS, type Setting, type SettingKey, type SettingValues } from './settings.js'
import type { EmailConfig } from './types.js'
import { isPlainObject, type Parser, parsePath, parseRedirectUri, parseText, parseUrl } from './values.js'
import { withRedactedPrinting } from './print.js'
import { containsKeyText, redactText } from '../secrets/redact.js'
import { Secret } from '../secrets/secret.js'

/** Where the settings come from: environment variables, or a plain object. */
export type ConfigSource =
  | { readonly kind: 'env'; readonly env: Readonly<Record<string, string | undefined>> }
  | { readonly kind: 'object'; readonly input: Readonly<Record<string, unknown>> }

/** Received values are cut to this length in issues: enough to recognise, short enough to read. */
const MAX_SHOWN_CHARS = 60

const KEYS = Object.keys(SETTINGS) as readonly SettingKey[]

/** What a setting holds, by its parser, for the issue that refuses key text in it. */
const KEY_TEXT_EXPECTED = new Map<Parser<unknown>, string>([
  [parsePath, 'a file-system path'],
  [parseUrl, 'an http(s) URL'],
  [parseRedirectUri, 'an http(s) URL'],
  [parseText, 'a name or id'],
])

interface OrderedIssue extends ConfigurationIssue {
  readonly order: number
}

/**
 * How a received (non-secret) value appears in an issue: JSON-quoted, truncated, URL
 * credentials hidden, and key text not quoted at all.
 */
export function describeValue(value: unknown): string {
  if (value instanceof Secret) return String(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  let text: string | undefined
  if (typeof value === 'string') text = value
  else if (Array.isArray(value) || isPlainObject(value)) {
    try {
      text = JSON.stringify(value)
    } catch {
      return 'an object'
    }
  } else {
    return `a value of type ${typeof value}`
  }
  if (containsKeyText(text)) return 'a value that looks like key text (not shown)'
  // A URL may carry `user:password@` or `?api_key=`; those are credentials even where the setting is not secret.
  text = redactText(text)
  if (text.length > MAX_SHOWN_CHARS) text = `${text.slice(0, MAX_SHOWN_CHARS - 1)}…`
  return typeof value === 'string' ? JSON.stringify(text) : text
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
}

function rawValue(source: ConfigSource, setting: Setting<unknown>): unknown {
  if (source.kind === 'env') return setting.inputOnly ? undefined : source.env[setting.env]
  const [first, second] = setting.path
  const top = source.input[first]
  if (second === undefined) return top
  return isPlainObject(top) ? top[second] : undefined
}

function parseDefault(key: SettingKey): unknown {
  const setting: Setting<unknown> = SETTINGS[key]
  if (setting.default === null) return null
  const parsed = setting.parse(setting.default)
  if (!parsed.ok) throw new Error(`crm-email-integration: the default of ${setting.env} is invalid`)
  return parsed.value
}

/** Whether an unknown property name is probably a typo of `known` (case, separators, or two edits). */
function looksLike(name: string, known: string): boolean {
  const a = name.toLowerCase().replace(/[_\-\s]/g, '')
  const b = known.toLowerCase()
  if (a === b) return true
  if (Math.abs(a.length - b.length) > 2) return false
  // Levenshtein distance over one rolling row.
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)))
    }
    row = next
  }
  return (row[b.length] ?? Infinity) <= 2
}

/** Reports unknown properties (at the top and inside groups) and groups that are not objects. */
function checkShape(input: Readonly<Record<string, unknown>>, report: (issue: OrderedIssue) => void): void {
  const order = KEYS.length
  const groups = new Map<string, string[]>()
  for (const key of KEYS) {
    const [first, second] = SETTINGS[key].path
    const members = groups.get(first) ?? []
    if (second !== undefined) members.push(second)
    groups.set(first, members)
  }
  const unknown = (known: Iterable<string>, name: string, prefix: string): void => {
    const hint = [...known].find((k) => looksLike(name, k))
    report({ order, variable: `${prefix}${name}`, message: `unknown property${hint === undefined ? '' : `; did you mean ${prefix}${hint}?`}` })
  }
  for (const [name, value] of Object.entries(input)) {
    const members = groups.get(name)
    if (members === undefined) {
      unknown(groups.keys(), name, '')
    } else if (members.length > 0 && !isUnset(value)) {
      if (!isPlainObject(value)) {
        const envs = KEYS.filter((k) => SETTINGS[k].path[0] === name).map((k) => SETTINGS[k].env)
        report({ order, variable: `${name} (${envs.join(', ')})`, message: `expected an object { ${members.join(', ')} } or null` })
      } else {
        for (const inner of Object.keys(value)) if (!members.includes(inner)) unknown(members, inner, `${name}.`)
      }
    }
  }
}

/** The parsed settings and what is known about each. */
interface Collected {
  readonly values: SettingValues
  /** Settings given a (non-blank) value, valid or not. */
  readonly present: ReadonlySet<SettingKey>
  /** Settings whose value was refused (already reported). */
  readonly failed: ReadonlySet<SettingKey>
}

function collect(source: ConfigSource, report: (issue: OrderedIssue) => void): Collected {
  const values: Partial<Record<SettingKey, unknown>> = {}
  const present = new Set<SettingKey>()
  const failed = new Set<SettingKey>()
  for (const [order, key] of KEYS.entries()) {
    const setting: Setting<unknown> = SETTINGS[key]
    const received = rawValue(source, setting)
    const raw = typeof received === 'string' ? received.trim() : received
    values[key] = parseDefault(key)
    if (isUnset(raw)) continue
    present.add(key)
    // Key text pasted into the wrong variable must be neither kept (it would print) nor quoted.
    if (!setting.secret && containsKeyText(raw)) {
      failed.add(key)
      report({ order, variable: labelOf(source, key), message: keyTextMessage(setting) })
      continue
    }
    const parsed = setting.parse(raw)
    if (parsed.ok) {
      values[key] = parsed.value
    } else {
      failed.add(key)
      const echo = parsed.echo && !setting.secret
      report({ order, variable: labelOf(source, key), message: echo ? `${parsed.message}, got ${describeValue(raw)}` : parsed.message })
    }
  }
  // Every key was assigned above, from the table that defines SettingValues.
  return { values: values as SettingValues, present, failed }
}

/** The issue for key text in a setting that is not a secret; the value itself is never quoted. */
function keyTextMessage(setting: Setting<unknown>): string {
  const expected = KEY_TEXT_EXPECTED.get(setting.parse) ?? 'a value of this setting'
  const where = setting.env === SETTINGS.serviceAccountKeyPath.env
    ? ': give the path of the JSON key file, not its content'
    : '; the value is not shown'
  return `looks like key text (a private key, a key file's JSON or a long random token), not ${expected}${where}`
}

function labelOf(source: ConfigSource, key: SettingKey): string {
  const setting = SETTINGS[key]
  return source.kind === 'env' ? setting.env : `${setting.path.join('.')} (${setting.env})`
}

function nameOf(source: ConfigSource, key: SettingKey): string {
  const setting = SETTINGS[key]
  return source.kind === 'env' ? setting.env : setting.path.join('.')
}

/**
 * Checks what depends on more than one setting, loads the service-account key file, and
 * assembles the configuration; it is only used when nothing was reported.
 */
function assemble(source: ConfigSource, collected: Collected, report: (issue: OrderedIssue) => void): EmailConfig {
  const { values: v, present, failed } = collected
  const issue = (key: SettingKey, message: string): void => {
    report({ order: KEYS.indexOf(key), variable: labelOf(source, key), message })
  }
  const when = (method: 'dwd' | 'oauth'): string => source.kind === 'env'
    ? `when CRM_GMAIL_AUTH_METHOD=${method} and CRM_GMAIL_INTEGRATION_ENABLED=true`
    : `when authMethod is '${method}' and enabled is true`
  const names = (keys: readonly SettingKey[]): string => keys.map((k) => nameOf(source, k)).join(', ')
  const together = (keys: readonly SettingKey[], why: string): void => {
    const given = keys.filter((k) => present.has(k))
    if (given.length === 0 || given.length === keys.length) return
    for (const k of keys) if (!present.has(k)) issue(k, `required together with ${names(given)}: ${why}`)
  }

  const dwd = v.enabled && v.authMethod === 'dwd'
  const oauthMode = v.enabled && v.authMethod === 'oauth'
  const keyGiven = ['serviceAccountKeyPath', 'serviceAccountKey', 'serviceAccount'] as const
  if (present.has('serviceAccountKey') && present.has('serviceAccount')) {
    issue('serviceAccount', 'give the key once: serviceAccountKey (Google\'s file format) or serviceAccount, not both')
  }
  const inlineGiven = present.has('serviceAccountKey') || present.has('serviceAccount')
  let serviceAccount = v.serviceAccountKey ?? v.serviceAccount
  if (dwd && !inlineGiven && v.serviceAccountKeyPath !== null) {
    const loaded = loadServiceAccountKeyFile(v.serviceAccountKeyPath)
    if (loaded.ok) serviceAccount = loaded.value
    else issue('serviceAccountKeyPath', loaded.message)
  } else if (dwd && !keyGiven.some((k) => present.has(k))) {
    const inline = source.kind === 'object' ? ' (or give serviceAccountKey inline)' : ''
    issue('serviceAccountKeyPath', `required ${when('dwd')}: the path of the service account's JSON key${inline}`)
  }
  if (dwd && v.workspaceDomains.length === 0 && !failed.has('workspaceDomains')) {
    issue('workspaceDomains', `required ${when('dwd')}: the team's own Workspace domain(s), comma-separated`)
  }

  const oauthKeys = ['oauthClientId', 'oauthClientSecret', 'oauthRedirectUri'] as const
  if (oauthMode) {
    for (const k of oauthKeys) if (!present.has(k)) issue(k, `required ${when('oauth')}`)
    if (!present.has('secretKey')) issue('secretKey', `required ${when('oauth')}: refresh tokens are stored encrypted with it`)
  } else {
    together(oauthKeys, 'the OAuth client needs all three')
  }
  if (present.has('secretKeyPrevious') && !present.has('secretKey')) {
    issue('secretKeyPrevious', `set without ${nameOf(source, 'secretKey')}: the previous key only decrypts during rotation; set the current key too`)
  }
  together(['summarizerUrl', 'summarizerModel'], 'the summarizer needs both')
  together(['embeddingsUrl', 'embeddingsModel'], 'vector search needs both (the vectors are kept in the database unless a Qdrant URL is set too)')
  // With one of the pair given, `together` above names the other already.
  if (present.has('qdrantUrl') && !present.has('embeddingsUrl') && !present.has('embeddingsModel')) {
    for (const k of ['embeddingsUrl', 'embeddingsModel'] as const) {
      if (!present.has(k)) issue(k, `required together with ${names(['qdrantUrl'])}: Qdrant stores the vectors of an embeddings endpoint, which needs its URL and model`)
    }
  }

  // The rate is checked against the cost table's per-user limit; a refused table says nothing about it.
  const regime = quotaRegimeOf(v.quotaCosts)
  const rateUnitsSec = v.rateUnitsSec ?? regime.defaultRateUnitsSec
  const overLimit = failed.has('quotaCosts') ? null : rateOverLimit(rateUnitsSec, regime)
  if (overLimit !== null) issue('rateUnitsSec', overLimit)

  const pair = (url: string | null, model: string | null): { url: string; model: string } | null =>
    url !== null && model !== null ? { url, model } : null
  return {
    enabled: v.enabled,
    authMethod: v.authMethod,
    serviceAccountKeyPath: v.serviceAccountKeyPath,
    serviceAccount,
    workspaceDomains: v.workspaceDomains,
    oauth: v.oauthClientId !== null && v.oauthClientSecret !== null && v.oauthRedirectUri !== null
      ? { clientId: v.oauthClientId, clientSecret: v.oauthClientSecret, redirectUri: v.oauthRedirectUri }
      : null,
    secretKey: v.secretKey,
    secretKeyPrevious: v.secretKeyPrevious,
    syncIntervalMin: v.syncIntervalMin,
    backfillPageSize: v.backfillPageSize,
    backfillDays: v.backfillDays,
    maxAttachmentMb: v.maxAttachmentMb,
    attachConcurrency: v.attachConcurrency,
    rateUnitsSec,
    quotaCosts: v.quotaCosts,
    retryMax: v.retryMax,
    historyStaleDays: v.historyStaleDays,
    capture: v.capture,
    captureStrategy: v.captureStrategy,
    recallSample: v.recallSample,
    defaultSharing: v.defaultSharing,
    detailAccess: v.detailAccess,
    retentionDays: v.retentionDays,
    apiBaseUrl: v.apiBaseUrl,
    tokenUrl: v.tokenUrl,
    oauthAuthUrl: v.oauthAuthUrl,
    blocklist: v.blocklist,
    attachmentsDir: v.attachmentsDir,
    summarizer: pair(v.summarizerUrl, v.summarizerModel),
    embeddings: pair(v.embeddingsUrl, v.embeddingsModel),
    qdrantUrl: v.qdrantUrl,
    digest: { hour: v.digestHour, timeZone: v.digestTimeZone },
  }
}

/** Freezes plain objects and arrays all the way down; Secrets and Buffers are left as they are. */
function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || isPlainObject(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/**
 * Validates every setting from `source`, then throws one {@link ConfigurationError} listing
 * every problem, or returns the deep-frozen configuration.
 */
export function resolveFromSource(source: ConfigSource): EmailConfig {
  const issues: OrderedIssue[] = []
  // The last guard: whatever a parser quoted, URL credentials and key text are hidden.
  const report = (issue: OrderedIssue): void => {
    issues.push({ ...issue, variable: redactText(issue.variable), message: redactText(issue.message) })
  }
  if (source.kind === 'object') checkShape(source.input, report)
  const config = assemble(source, collect(source, report), report)
  if (issues.length > 0) {
    // Array#sort is stable, so issues of one variable keep the order they were found in.
    const sorted = [...issues].sort((a, b) => a.order - b.order)
    throw new ConfigurationError(sorted.map(({ variable, message }) => ({ variable, message })))
  }
  return deepFreeze(withRedactedPrinting(config))
}
