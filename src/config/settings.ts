import { parseBlocklist, parseDomainList, parseQuotaCosts, parseTimeZone } from './lists.js'
import { parseGoogleKey, parseResolvedKey, parseSecretKey } from './secrets.js'
import {
  type IntRange, type Parser, parseBoolean, parseChoice, parseInteger, parsePath, parseRedirectUri, parseSecretText,
  parseText, parseUrl,
} from './values.js'

/** Scheduler interval: at least a minute, at most a week, so a typo cannot stop syncing for months. */
export const SYNC_INTERVAL_MIN_RANGE: IntRange = { min: 1, max: 10_080, why: '1 minute to 1 week' }
/** Gmail's `messages.list` caps `maxResults` at 500. */
export const BACKFILL_PAGE_SIZE_RANGE: IntRange = { min: 1, max: 500, why: 'Gmail caps messages.list pages at 500' }
/** 0 means all mail; 100 years covers any mailbox. */
export const BACKFILL_DAYS_RANGE: IntRange = { min: 0, max: 36_500, why: '0 means all mail, at most 100 years' }
/** Gmail messages are at most 25 MB (50 MB with Drive links); 1 GiB bounds the disk a single file may take. */
export const MAX_ATTACHMENT_MB_RANGE: IntRange = { min: 1, max: 1024, why: 'MiB; 0 would skip every attachment' }
/** Gmail allows about 10 requests in flight per user; workers beyond 32 would only wait in the limiter. */
export const ATTACH_CONCURRENCY_RANGE: IntRange = { min: 1, max: 32, why: 'parallel downloads; 0 would never download' }
/**
 * No Gmail project's per-user limit is above 250 quota units per second (15,000 per minute, the
 * legacy table's); the cost table in use may allow less (see `rateOverLimit` in config/quota.ts).
 */
export const RATE_UNITS_SEC_RANGE: IntRange = { min: 1, max: 250, why: "no Gmail project's per-user limit is above 250 units/s" }
/** Beyond 20 retries the exponential backoff waits for hours; 0 disables retries on purpose. */
export const RETRY_MAX_RANGE: IntRange = { min: 0, max: 20, why: 'retries per request' }
/** Gmail keeps history for about a week at least; past 30 days a cursor is certainly gone. */
/** Days of mail kept; 0 keeps everything. Up to 100 years. */
export const RETENTION_DAYS_RANGE: IntRange = { min: 0, max: 36_500, why: 'days; 0 keeps all mail' }
export const HISTORY_STALE_DAYS_RANGE: IntRange = { min: 1, max: 30, why: 'days; Gmail history expires within weeks' }
export const RECALL_SAMPLE_RANGE: IntRange = { min: 0, max: 50, why: 'messages whose headers each scan reads to check Gmail\'s search; 0 turns the recall guard off' }
/** An hour of the day. */
export const DIGEST_HOUR_RANGE: IntRange = { min: 0, max: 23, why: 'hour of the day' }

/** One setting: where it comes from, how it is parsed, and its default. */
export interface Setting<T> {
  /** The environment variable, also named in plain-object issues. */
  readonly env: string
  /** The property path in the plain-object input. */
  readonly path: readonly [string] | readonly [string, string]
  /** Validates and converts a set value. */
  readonly parse: Parser<T>
  /** The default, written as the environment variable would be, parsed like a set value; `null` when unset is allowed. */
  readonly default: string | null
  /** Never echo the value in an issue. */
  readonly secret: boolean
  /** Only in plain objects: there is no environment form (an inline service-account key). */
  readonly inputOnly: boolean
}

interface Options {
  readonly secret?: boolean
  readonly inputOnly?: boolean
}

function withDefault<T>(env: string, path: Setting<T>['path'], parse: Parser<T>, value: string): Setting<T> & { readonly default: string } {
  return { env, path, parse, default: value, secret: false, inputOnly: false }
}

function optional<T>(env: string, path: Setting<T>['path'], parse: Parser<T>, options: Options = {}): Setting<T> & { readonly default: null } {
  return { env, path, parse, default: null, secret: options.secret ?? false, inputOnly: options.inputOnly ?? false }
}

const P = 'CRM_GMAIL_'
const int = parseInteger

/**
 * Every setting, in the order of SPEC §4. Both `loadConfig` (environment) and `resolveConfig`
 * (plain object) read through this one table, so a rule is written once.
 */
export const SETTINGS = {
  enabled: withDefault(`${P}INTEGRATION_ENABLED`, ['enabled'], parseBoolean, 'false'),
  authMethod: withDefault(`${P}AUTH_METHOD`, ['authMethod'], parseChoice(['dwd', 'oauth']), 'dwd'),
  serviceAccountKeyPath: optional(`${P}SA_KEY_PATH`, ['serviceAccountKeyPath'], parsePath),
  serviceAccountKey: optional(`${P}SA_KEY_PATH`, ['serviceAccountKey'], parseGoogleKey, { secret: true, inputOnly: true }),
  serviceAccount: optional(`${P}SA_KEY_PATH`, ['serviceAccount'], parseResolvedKey, { secret: true, inputOnly: true }),
  workspaceDomains: withDefault(`${P}WORKSPACE_DOMAIN`, ['workspaceDomains'], parseDomainList, ''),
  oauthClientId: optional(`${P}OAUTH_CLIENT_ID`, ['oauth', 'clientId'], parseText),
  oauthClientSecret: optional(`${P}OAUTH_CLIENT_SECRET`, ['oauth', 'clientSecret'], parseSecretText, { secret: true }),
  oauthRedirectUri: optional(`${P}OAUTH_REDIRECT_URI`, ['oauth', 'redirectUri'], parseRedirectUri),
  secretKey: optional(`${P}SECRET_KEY`, ['secretKey'], parseSecretKey, { secret: true }),
  secretKeyPrevious: optional(`${P}SECRET_KEY_PREVIOUS`, ['secretKeyPrevious'], parseSecretKey, { secret: true }),
  syncIntervalMin: withDefault(`${P}SYNC_INTERVAL_MIN`, ['syncIntervalMin'], int(SYNC_INTERVAL_MIN_RANGE), '180'),
  backfillPageSize: withDefault(`${P}BACKFILL_PAGE_SIZE`, ['backfillPageSize'], int(BACKFILL_PAGE_SIZE_RANGE), '500'),
  backfillDays: withDefault(`${P}BACKFILL_DAYS`, ['backfillDays'], int(BACKFILL_DAYS_RANGE), '365'),
  maxAttachmentMb: withDefault(`${P}MAX_ATTACHMENT_MB`, ['maxAttachmentMb'], int(MAX_ATTACHMENT_MB_RANGE), '50'),
  attachConcurrency: withDefault(`${P}ATTACH_CONCURRENCY`, ['attachConcurrency'], int(ATTACH_CONCURRENCY_RANGE), '4'),
  // Unset, it is the cost table's default rate (config/quota.ts), resolved once the table is known.
  rateUnitsSec: optional(`${P}RATE_UNITS_SEC`, ['rateUnitsSec'], int(RATE_UNITS_SEC_RANGE)),
  quotaCosts: withDefault(`${P}QUOTA_COSTS`, ['quotaCosts'], parseQuotaCosts, '2026'),
  retryMax: withDefault(`${P}RETRY_MAX`, ['retryMax'], int(RETRY_MAX_RANGE), '5'),
  historyStaleDays: withDefault(`${P}HISTORY_STALE_DAYS`, ['historyStaleDays'], int(HISTORY_STALE_DAYS_RANGE), '5'),
  capture: withDefault(`${P}CAPTURE`, ['capture'], parseChoice(['matched', 'all']), 'matched'),
  captureStrategy: withDefault(`${P}CAPTURE_STRATEGY`, ['captureStrategy'], parseChoice(['search', 'headers']), 'search'),
  defaultSharing: withDefault(`${P}DEFAULT_SHARING`, ['defaultSharing'], parseChoice(['everything', 'subject', 'metadata']), 'everything'),
  detailAccess: withDefault(`${P}DETAIL_ACCESS`, ['detailAccess'], parseChoice(['admin', 'shared']), 'admin'),
  retentionDays: withDefault(`${P}RETENTION_DAYS`, ['retentionDays'], int(RETENTION_DAYS_RANGE), '0'),
  recallSample: withDefault(`${P}RECALL_SAMPLE`, ['recallSample'], int(RECALL_SAMPLE_RANGE), '3'),
  apiBaseUrl: withDefault(`${P}API_BASE_URL`, ['apiBaseUrl'], parseUrl, 'https://gmail.googleapis.com'),
  tokenUrl: withDefault(`${P}TOKEN_URL`, ['tokenUrl'], parseUrl, 'https://oauth2.googleapis.com/token'),
  oauthAuthUrl: withDefault(`${P}OAUTH_AUTH_URL`, ['oauthAuthUrl'], parseUrl, 'https://accounts.google.com/o/oauth2/v2/auth'),
  blocklist: withDefault(`${P}BLOCKLIST`, ['blocklist'], parseBlocklist, ''),
  attachmentsDir: withDefault(`${P}ATTACHMENTS_DIR`, ['attachmentsDir'], parsePath, 'data/email_attachments'),
  summarizerUrl: optional(`${P}SUMMARIZER_URL`, ['summarizer', 'url'], parseUrl),
  summarizerModel: optional(`${P}SUMMARIZER_MODEL`, ['summarizer', 'model'], parseText),
  embeddingsUrl: optional(`${P}EMBEDDINGS_URL`, ['embeddings', 'url'], parseUrl),
  embeddingsModel: optional(`${P}EMBEDDINGS_MODEL`, ['embeddings', 'model'], parseText),
  qdrantUrl: optional(`${P}QDRANT_URL`, ['qdrantUrl'], parseUrl),
  digestHour: withDefault(`${P}DIGEST_HOUR`, ['digest', 'hour'], int(DIGEST_HOUR_RANGE), '7'),
  digestTimeZone: withDefault(`${P}DIGEST_TZ`, ['digest', 'timeZone'], parseTimeZone, 'UTC'),
} as const

/** The name of a setting in {@link SETTINGS}. */
export type SettingKey = keyof typeof SETTINGS

/** Each setting's parsed value; `null` for an unset setting without a default. */
export type SettingValues = {
  -readonly [K in SettingKey]: (typeof SETTINGS)[K] extends Setting<infer T> & { readonly default: infer D }
    ? D extends null ? T | null : T
    : never
}

