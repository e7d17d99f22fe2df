import type { Secret } from '../secrets/secret.js'

/**
 * What each Gmail API method costs in quota units. The token bucket of an account spends these
 * against {@link EmailConfig.rateUnitsSec}.
 */
export interface QuotaCosts {
  /** `users.messages.get`. */
  readonly get: number
  /** `users.messages.list`. */
  readonly list: number
  /** `users.history.list`. */
  readonly history: number
  /** `users.getProfile`. */
  readonly profile: number
  /** `users.messages.attachments.get`. */
  readonly attachment: number
}

/** The parts of a Google service-account key that domain-wide delegation needs. */
export interface ServiceAccountKey {
  /** The service account's address: the `iss` of the JWT it signs. */
  readonly clientEmail: string
  /** The PKCS#8 PEM private key (RS256) that signs the JWT. */
  readonly privateKey: Secret
  /** The key's id (`private_key_id`), sent as the JWT `kid` when known. */
  readonly privateKeyId: string | null
  /** The service account's numeric client id (the one granted delegation), when known. */
  readonly clientId: string | null
}

/** The OAuth client the consent flow uses (`CRM_GMAIL_OAUTH_*`). */
export interface OAuthClientConfig {
  /** The OAuth client id. */
  readonly clientId: string
  /** The OAuth client secret. */
  readonly clientSecret: Secret
  /** The callback URL, exactly as registered with Google (kept as given, trailing slash included). */
  readonly redirectUri: string
}

/** An OpenAI-compatible endpoint and the model to ask there. */
export interface ModelEndpointConfig {
  /** Base URL of the endpoint, without a trailing slash. */
  readonly url: string
  /** The model name sent with each request. */
  readonly model: string
}

/**
 * The validated, fully resolved and deep-frozen configuration of the integration, as returned
 * by `loadConfig` and `resolveConfig`. Nothing in it is `undefined`; a setting that is not
 * configured is `null` (or an empty list).
 */
export interface EmailConfig {
  /** The master switch (`CRM_GMAIL_INTEGRATION_ENABLED`); off, routes answer 503 and nothing syncs. */
  readonly enabled: boolean
  /** How mailboxes are reached: `dwd` (service account with domain-wide delegation) or `oauth`. */
  readonly authMethod: 'dwd' | 'oauth'
  /** Absolute path of the service-account JSON key (`CRM_GMAIL_SA_KEY_PATH`), or `null`. */
  readonly serviceAccountKeyPath: string | null
  /**
   * The service-account key: given inline, or read from {@link serviceAccountKeyPath} when the
   * integration is enabled in `dwd` mode; otherwise `null`.
   */
  readonly serviceAccount: ServiceAccountKey | null
  /** The team's own Workspace domains, lowercase; never domain-matched as CRM mail. */
  readonly workspaceDomains: readonly string[]
  /** The OAuth client, when all three of its values are set (in either auth mode), else `null`. */
  readonly oauth: OAuthClientConfig | null
  /** The 32-byte key that encrypts stored refresh tokens (`CRM_GMAIL_SECRET_KEY`), or `null`. */
  readonly secretKey: Secret<Buffer> | null
  /** The previous 32-byte key, used only to decrypt during rotation, or `null`. */
  readonly secretKeyPrevious: Secret<Buffer> | null
  /** Minutes between scheduled syncs. */
  readonly syncIntervalMin: number
  /** `maxResults` of each `messages.list` page during backfill. */
  readonly backfillPageSize: number
  /** How many days back the first sync reaches; `0` means all mail. */
  readonly backfillDays: number
  /** Attachments larger than this many MiB are recorded but never downloaded. */
  readonly maxAttachmentMb: number
  /** How many attachment downloads run at once. */
  readonly attachConcurrency: number
  /**
   * Per-account quota budget in units per second; the account's limiter also keeps any rolling
   * minute within 60 times this. Unset, the cost table's default: 90 at `2026` (6,000 units per
   * minute per user), 225 at `legacy` (15,000), 90 for a custom table.
   */
  readonly rateUnitsSec: number
  /** What each Gmail method costs in quota units. */
  readonly quotaCosts: QuotaCosts
  /** Retries per Gmail request before it fails. */
  readonly retryMax: number
  /** A history cursor older than this many days is skipped for a catch-up scan. */
  readonly historyStaleDays: number
  /** `matched`: only mail with a CRM participant is captured; `all`: every message. */
  readonly capture: 'matched' | 'all'
  /**
   * How `matched` mode finds CRM mail. `search`: the directory's addresses and domains compile
   * into Gmail search queries and only the messages they list are read (one get each);
   * `headers`: every message's headers are read and matched here (a get per message, plus one
   * per CRM message). An account whose recall guard found a message Gmail's search missed uses
   * `headers` until an operator clears it. `all` mode always lists everything.
   */
  readonly captureStrategy: 'search' | 'headers'
  /**
   * What teammates see of a mailbox whose owner or an admin has not chosen a level (SPEC §12):
   * `everything` (subject, snippet, body, attachments), `subject` (participants, date, subject),
   * `metadata` (participants and date).
   */
  readonly defaultSharing: 'everything' | 'subject' | 'metadata'
  /**
   * Who may read full bodies and attachment files through the routes: `admin` (the seed's gate)
   * or `shared` (any signed-in user, for the mail their sharing level lets them see in full).
   */
  readonly detailAccess: 'admin' | 'shared'
  /** Mail older than this many days is deleted by the retention run; 0 keeps everything. */
  readonly retentionDays: number
  /**
   * Listed non-candidates whose headers each search scan reads to check that Gmail's search and
   * the local matcher agree (the recall guard); 0 turns the guard off.
   */
  readonly recallSample: number
  /** Gmail API base URL, without a trailing slash (an emulator's in tests). */
  readonly apiBaseUrl: string
  /** Google's OAuth token endpoint, without a trailing slash. */
  readonly tokenUrl: string
  /** Google's OAuth consent page, without a trailing slash. */
  readonly oauthAuthUrl: string
  /** Addresses and domains that are never captured, lowercase. */
  readonly blocklist: {
    /** Exact addresses. */
    readonly addresses: readonly string[]
    /** Domains; their subdomains are blocked too. */
    readonly domains: readonly string[]
  }
  /** Absolute path of the content-addressed attachment store (resolved against `process.cwd()`). */
  readonly attachmentsDir: string
  /** The OpenAI-compatible chat endpoint for summaries, or `null` for extractive summaries. */
  readonly summarizer: ModelEndpointConfig | null
  /**
   * The OpenAI-compatible embeddings endpoint of vector search, or `null` (keyword search only).
   * Alone, the vectors are kept in the host's database (the embedded store).
   */
  readonly embeddings: ModelEndpointConfig | null
  /** The Qdrant URL that keeps the vectors instead of the database, or `null`; only with {@link embeddings}. */
  readonly qdrantUrl: string | null
  /** When the scheduled daily digest goes out. */
  readonly digest: {
    /** Hour of the day, 0 to 23, in {@link timeZone}. */
    readonly hour: number
    /** The IANA time zone of {@link hour}, e.g. `Europe/Berlin`. */
    readonly timeZone: string
  }
}

/** Not configured: same as leaving the property out. */
type Unset = null | undefined

/** A secret given as plain text or already wrapped. */
type SecretInput = string | Secret | Unset

/**
 * A service-account key as Google's JSON key file spells it (`client_email`, `private_key`, ...).
 * Other fields of the file (`type`, `project_id`, `token_uri`, ...) are accepted and ignored,
 * except that `type`, when present, must be `service_account`.
 */
export interface ServiceAccountKeyJson {
  /** The service account's address. */
  readonly client_email: string
  /** The PKCS#8 PEM private key. */
  readonly private_key: string
  /** The key's id. */
  readonly private_key_id?: string | undefined
  /** The service account's numeric client id. */
  readonly client_id?: string | undefined
  /** Other fields of Google's key file. */
  readonly [field: string]: unknown
}

/**
 * The configuration as a plain object, for hosts that do not use environment variables. Every
 * property is optional and has the same default and validation as its variable in
 * `loadConfig`; `null`, `undefined` and blank strings mean "not set". Property names and
 * nesting follow {@link EmailConfig}, so `{ ...config, capture: 'all' }` of a resolved config
 * is valid input too. Unknown properties are reported, to catch typos.
 */
export interface EmailConfigInput {
  /** `CRM_GMAIL_INTEGRATION_ENABLED`: a boolean or `true/false/1/0/yes/no/on/off`. Default `false`. */
  readonly enabled?: boolean | string | Unset
  /** `CRM_GMAIL_AUTH_METHOD`. Default `dwd`. */
  readonly authMethod?: 'dwd' | 'oauth' | Unset
  /** `CRM_GMAIL_SA_KEY_PATH`: path of the JSON key file, read only when enabled in `dwd` mode. */
  readonly serviceAccountKeyPath?: string | Unset
  /** The service-account key inline, as in Google's JSON key file; replaces the file. */
  readonly serviceAccountKey?: ServiceAccountKeyJson | Unset
  /** The service-account key inline, in resolved form (as in a resolved config); replaces the file. */
  readonly serviceAccount?: {
    readonly clientEmail: string
    readonly privateKey: string | Secret
    readonly privateKeyId?: string | Unset
    readonly clientId?: string | Unset
  } | Unset
  /** `CRM_GMAIL_WORKSPACE_DOMAIN`: a list or a comma-separated string. */
  readonly workspaceDomains?: readonly string[] | string | Unset
  /** `CRM_GMAIL_OAUTH_CLIENT_ID`, `_SECRET` and `_REDIRECT_URI`: set all three or none. */
  readonly oauth?: {
    readonly clientId?: string | Unset
    readonly clientSecret?: SecretInput
    readonly redirectUri?: string | Unset
  } | Unset
  /** `CRM_GMAIL_SECRET_KEY`: base64 of 32 bytes, or the 32 bytes themselves (optionally wrapped). */
  readonly secretKey?: string | Buffer | Secret | Secret<Buffer> | Unset
  /** `CRM_GMAIL_SECRET_KEY_PREVIOUS`: like {@link secretKey}; needs `secretKey`. */
  readonly secretKeyPrevious?: string | Buffer | Secret | Secret<Buffer> | Unset
  /** `CRM_GMAIL_SYNC_INTERVAL_MIN`: 1 to 10080. Default 180. */
  readonly syncIntervalMin?: number | string | Unset
  /** `CRM_GMAIL_BACKFILL_PAGE_SIZE`: 1 to 500. Default 500. */
  readonly backfillPageSize?: number | string | Unset
  /** `CRM_GMAIL_BACKFILL_DAYS`: 0 (all mail) to 36500. Default 365. */
  readonly backfillDays?: number | string | Unset
  /** `CRM_GMAIL_MAX_ATTACHMENT_MB`: 1 to 1024. Default 50. */
  readonly maxAttachmentMb?: number | string | Unset
  /** `CRM_GMAIL_ATTACH_CONCURRENCY`: 1 to 32. Default 4. */
  readonly attachConcurrency?: number | string | Unset
  /**
   * `CRM_GMAIL_RATE_UNITS_SEC`: 1 to the cost table's per-user limit (100 at `2026`, 250 at
   * `legacy` or a custom table). Default 90% of that limit: 90 at `2026`, 225 at `legacy`; 90 for a custom table.
   */
  readonly rateUnitsSec?: number | string | Unset
  /** `CRM_GMAIL_QUOTA_COSTS`: `2026`, `legacy`, a partial cost table, or its JSON. Default `2026`. */
  readonly quotaCosts?: Partial<QuotaCosts> | string | Unset
  /** `CRM_GMAIL_RETRY_MAX`: 0 to 20. Default 5. */
  readonly retryMax?: number | string | Unset
  /** `CRM_GMAIL_HISTORY_STALE_DAYS`: 1 to 30. Default 5. */
  readonly historyStaleDays?: number | string | Unset
  /** `CRM_GMAIL_CAPTURE`. Default `matched`. */
  readonly capture?: 'matched' | 'all' | Unset
  /** `CRM_GMAIL_CAPTURE_STRATEGY`: `search` or `headers`. Default `search`. */
  readonly captureStrategy?: 'search' | 'headers' | Unset
  /** `CRM_GMAIL_DEFAULT_SHARING`: `everything`, `subject` or `metadata`. Default `everything`. */
  readonly defaultSharing?: 'everything' | 'subject' | 'metadata' | Unset
  /** `CRM_GMAIL_DETAIL_ACCESS`: `admin` or `shared`. Default `admin`. */
  readonly detailAccess?: 'admin' | 'shared' | Unset
  /** `CRM_GMAIL_RETENTION_DAYS`: 0 to 36500; 0 keeps everything. Default 0. */
  readonly retentionDays?: number | string | Unset
  /** `CRM_GMAIL_RECALL_SAMPLE`: 0 to 50. Default 3. */
  readonly recallSample?: number | string | Unset
  /** `CRM_GMAIL_API_BASE_URL`. Default `https://gmail.googleapis.com`. */
  readonly apiBaseUrl?: string | Unset
  /** `CRM_GMAIL_TOKEN_URL`. Default `https://oauth2.googleapis.com/token`. */
  readonly tokenUrl?: string | Unset
  /** `CRM_GMAIL_OAUTH_AUTH_URL`. Default `https://accounts.google.com/o/oauth2/v2/auth`. */
  readonly oauthAuthUrl?: string | Unset
  /** `CRM_GMAIL_BLOCKLIST`: entries (`a@b.example`, `b.example`, `@b.example`), or the resolved shape. */
  readonly blocklist?: readonly string[] | string | {
    readonly addresses?: readonly string[] | Unset
    readonly domains?: readonly string[] | Unset
  } | Unset
  /** `CRM_GMAIL_ATTACHMENTS_DIR`, relative to `process.cwd()`. Default `data/email_attachments`. */
  readonly attachmentsDir?: string | Unset
  /** `CRM_GMAIL_SUMMARIZER_URL` and `_MODEL`: both or neither. */
  readonly summarizer?: { readonly url?: string | Unset; readonly model?: string | Unset } | Unset
  /** `CRM_GMAIL_EMBEDDINGS_URL` and `_MODEL`: both or neither; both alone keep the vectors in the database. */
  readonly embeddings?: { readonly url?: string | Unset; readonly model?: string | Unset } | Unset
  /** `CRM_GMAIL_QDRANT_URL`: keeps the vectors in Qdrant; needs {@link embeddings}. */
  readonly qdrantUrl?: string | Unset
  /** `CRM_GMAIL_DIGEST_HOUR` (0 to 23, default 7) and `CRM_GMAIL_DIGEST_TZ` (default `UTC`). */
  readonly digest?: { readonly hour?: number | string | Unset; readonly timeZone?: string | Unset } | Unset
}
