import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  type EmailConfig, type EmailConfigInput, isResolvedConfig, loadConfig, QUOTA_COSTS_2026, resolveConfig,
} from '../../src/config/index.js'
import { Secret } from '../../src/secrets/secret.js'
import {
  configError, type Env, HYBRID_BASE, issue, KEY, KEY_URLSAFE_NOPAD, OAUTH_BASE, P, useKeyFiles, variables,
} from '../helpers/config-fixtures.js'

const keys = useKeyFiles()

/**
 * One row per SPEC §4 variable: the property path in a plain object, how to read it from the
 * resolved config, its default, a valid value with what it resolves to, an invalid value, and
 * the other variables it needs to be valid on its own.
 */
interface Row {
  env: string
  prop: string
  get: (c: EmailConfig) => unknown
  def: unknown
  valid: string
  parsed: unknown
  invalid: string
  base?: Env
}

/** `env` without the variable `name`. */
function without(env: Env, name: string): Env {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k !== name))
}

const ROWS: Row[] = [
  { env: `${P}INTEGRATION_ENABLED`, prop: 'enabled', get: (c) => c.enabled, def: false, valid: 'Off', parsed: false, invalid: 'maybe' },
  { env: `${P}AUTH_METHOD`, prop: 'authMethod', get: (c) => c.authMethod, def: 'dwd', valid: 'OAUTH', parsed: 'oauth', invalid: 'password' },
  { env: `${P}SA_KEY_PATH`, prop: 'serviceAccountKeyPath', get: (c) => c.serviceAccountKeyPath, def: null, valid: 'secrets/sa.json', parsed: resolve('secrets/sa.json'), invalid: 'a\0b' },
  { env: `${P}WORKSPACE_DOMAIN`, prop: 'workspaceDomains', get: (c) => c.workspaceDomains, def: [], valid: 'Fund.Example, ops.fund.example,', parsed: ['fund.example', 'ops.fund.example'], invalid: 'fund..example' },
  { env: `${P}OAUTH_CLIENT_ID`, prop: 'oauth.clientId', get: (c) => c.oauth?.clientId ?? null, def: null, valid: 'abc.apps.googleusercontent.com', parsed: 'abc.apps.googleusercontent.com', invalid: 'a\u0001b', base: without(OAUTH_BASE, `${P}OAUTH_CLIENT_ID`) },
  { env: `${P}OAUTH_CLIENT_SECRET`, prop: 'oauth.clientSecret', get: (c) => c.oauth?.clientSecret.reveal() ?? null, def: null, valid: 'GOCSPX-abc', parsed: 'GOCSPX-abc', invalid: 'x'.repeat(1001), base: without(OAUTH_BASE, `${P}OAUTH_CLIENT_SECRET`) },
  { env: `${P}OAUTH_REDIRECT_URI`, prop: 'oauth.redirectUri', get: (c) => c.oauth?.redirectUri ?? null, def: null, valid: 'https://crm.example/cb/', parsed: 'https://crm.example/cb/', invalid: 'ftp://crm.example/cb', base: without(OAUTH_BASE, `${P}OAUTH_REDIRECT_URI`) },
  { env: `${P}SECRET_KEY`, prop: 'secretKey', get: (c) => c.secretKey?.reveal().toString('base64') ?? null, def: null, valid: KEY, parsed: KEY, invalid: randomBytes(16).toString('base64') },
  { env: `${P}SECRET_KEY_PREVIOUS`, prop: 'secretKeyPrevious', get: (c) => c.secretKeyPrevious?.reveal().toString('base64url') ?? null, def: null, valid: KEY_URLSAFE_NOPAD, parsed: KEY_URLSAFE_NOPAD, invalid: 'not base64!', base: { [`${P}SECRET_KEY`]: KEY } },
  { env: `${P}SYNC_INTERVAL_MIN`, prop: 'syncIntervalMin', get: (c) => c.syncIntervalMin, def: 180, valid: '60', parsed: 60, invalid: '0' },
  { env: `${P}BACKFILL_PAGE_SIZE`, prop: 'backfillPageSize', get: (c) => c.backfillPageSize, def: 500, valid: '100', parsed: 100, invalid: '501' },
  { env: `${P}BACKFILL_DAYS`, prop: 'backfillDays', get: (c) => c.backfillDays, def: 365, valid: '0', parsed: 0, invalid: '-1' },
  { env: `${P}MAX_ATTACHMENT_MB`, prop: 'maxAttachmentMb', get: (c) => c.maxAttachmentMb, def: 50, valid: '10', parsed: 10, invalid: '1.5' },
  { env: `${P}ATTACH_CONCURRENCY`, prop: 'attachConcurrency', get: (c) => c.attachConcurrency, def: 4, valid: '8', parsed: 8, invalid: '0' },
  { env: `${P}RATE_UNITS_SEC`, prop: 'rateUnitsSec', get: (c) => c.rateUnitsSec, def: 90, valid: '100', parsed: 100, invalid: '251' },
  { env: `${P}QUOTA_COSTS`, prop: 'quotaCosts', get: (c) => c.quotaCosts, def: { get: 20, list: 5, history: 2, profile: 1, attachment: 20 }, valid: 'legacy', parsed: { get: 5, list: 5, history: 2, profile: 1, attachment: 5 }, invalid: 'cheap' },
  { env: `${P}RETRY_MAX`, prop: 'retryMax', get: (c) => c.retryMax, def: 5, valid: '0', parsed: 0, invalid: '21' },
  { env: `${P}HISTORY_STALE_DAYS`, prop: 'historyStaleDays', get: (c) => c.historyStaleDays, def: 5, valid: '30', parsed: 30, invalid: '0' },
  { env: `${P}CAPTURE`, prop: 'capture', get: (c) => c.capture, def: 'matched', valid: 'ALL', parsed: 'all', invalid: 'some' },
  { env: `${P}CAPTURE_STRATEGY`, prop: 'captureStrategy', get: (c) => c.captureStrategy, def: 'search', valid: 'Headers', parsed: 'headers', invalid: 'guess' },
  { env: `${P}DEFAULT_SHARING`, prop: 'defaultSharing', get: (c) => c.defaultSharing, def: 'everything', valid: 'Metadata', parsed: 'metadata', invalid: 'nothing' },
  { env: `${P}DETAIL_ACCESS`, prop: 'detailAccess', get: (c) => c.detailAccess, def: 'admin', valid: 'shared', parsed: 'shared', invalid: 'everyone' },
  { env: `${P}RETENTION_DAYS`, prop: 'retentionDays', get: (c) => c.retentionDays, def: 0, valid: '730', parsed: 730, invalid: '-1' },
  { env: `${P}RECALL_SAMPLE`, prop: 'recallSample', get: (c) => c.recallSample, def: 3, valid: '0', parsed: 0, invalid: '51' },
  { env: `${P}API_BASE_URL`, prop: 'apiBaseUrl', get: (c) => c.apiBaseUrl, def: 'https://gmail.googleapis.com', valid: 'http://127.0.0.1:8080/', parsed: 'http://127.0.0.1:8080', invalid: 'gmail.googleapis.com' },
  { env: `${P}TOKEN_URL`, prop: 'tokenUrl', get: (c) => c.tokenUrl, def: 'https://oauth2.googleapis.com/token', valid: 'http://127.0.0.1:8080/token/', parsed: 'http://127.0.0.1:8080/token', invalid: 'javascript:alert(1)' },
  { env: `${P}OAUTH_AUTH_URL`, prop: 'oauthAuthUrl', get: (c) => c.oauthAuthUrl, def: 'https://accounts.google.com/o/oauth2/v2/auth', valid: 'https://login.example/auth', parsed: 'https://login.example/auth', invalid: '/relative/auth' },
  { env: `${P}BLOCKLIST`, prop: 'blocklist', get: (c) => c.blocklist, def: { addresses: [], domains: [] }, valid: 'Ann@Vendor.Example, @spam.example, bulk.example', parsed: { addresses: ['ann@vendor.example'], domains: ['spam.example', 'bulk.example'] }, invalid: 'ok.example, not an@address' },
  { env: `${P}ATTACHMENTS_DIR`, prop: 'attachmentsDir', get: (c) => c.attachmentsDir, def: resolve(process.cwd(), 'data/email_attachments'), valid: '/var/lib/crm/attachments', parsed: '/var/lib/crm/attachments', invalid: 'bad\0dir' },
  { env: `${P}SUMMARIZER_URL`, prop: 'summarizer.url', get: (c) => c.summarizer?.url ?? null, def: null, valid: 'http://localhost:11434/v1/', parsed: 'http://localhost:11434/v1', invalid: 'localhost:11434', base: { [`${P}SUMMARIZER_MODEL`]: 'llama3.1:8b' } },
  { env: `${P}SUMMARIZER_MODEL`, prop: 'summarizer.model', get: (c) => c.summarizer?.model ?? null, def: null, valid: 'llama3.1:8b', parsed: 'llama3.1:8b', invalid: 'two\nlines', base: { [`${P}SUMMARIZER_URL`]: 'http://localhost:11434/v1' } },
  { env: `${P}EMBEDDINGS_URL`, prop: 'embeddings.url', get: (c) => c.embeddings?.url ?? null, def: null, valid: 'https://emb.example/v1', parsed: 'https://emb.example/v1', invalid: 'emb', base: without(HYBRID_BASE, `${P}EMBEDDINGS_URL`) },
  { env: `${P}EMBEDDINGS_MODEL`, prop: 'embeddings.model', get: (c) => c.embeddings?.model ?? null, def: null, valid: 'bge-m3', parsed: 'bge-m3', invalid: 'x'.repeat(1001), base: without(HYBRID_BASE, `${P}EMBEDDINGS_MODEL`) },
  { env: `${P}QDRANT_URL`, prop: 'qdrantUrl', get: (c) => c.qdrantUrl, def: null, valid: 'http://qdrant:6333/', parsed: 'http://qdrant:6333', invalid: 'qdrant:6333', base: without(HYBRID_BASE, `${P}QDRANT_URL`) },
  { env: `${P}DIGEST_HOUR`, prop: 'digest.hour', get: (c) => c.digest.hour, def: 7, valid: '23', parsed: 23, invalid: '24' },
  { env: `${P}DIGEST_TZ`, prop: 'digest.timeZone', get: (c) => c.digest.timeZone, def: 'UTC', valid: 'Europe/Berlin', parsed: 'Europe/Berlin', invalid: 'Mars/Olympus_Mons' },
]

const PROP_OF = new Map(ROWS.map((r) => [r.env, r.prop]))

/** The plain-object form of an environment, through each row's property path. */
function toInput(env: Env): EmailConfigInput {
  const input: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(env)) {
    const prop = PROP_OF.get(name)
    if (prop === undefined) throw new Error(`no property for ${name}`)
    const [first, second] = prop.split('.') as [string, string | undefined]
    if (second === undefined) input[first] = value
    else input[first] = { ...(input[first] as object | undefined), [second]: value }
  }
  return input as EmailConfigInput
}

describe('every variable of SPEC §4', () => {
  it('the table covers exactly the SPEC variables', () => {
    const spec = ['INTEGRATION_ENABLED', 'AUTH_METHOD', 'SA_KEY_PATH', 'WORKSPACE_DOMAIN', 'OAUTH_CLIENT_ID',
      'OAUTH_CLIENT_SECRET', 'OAUTH_REDIRECT_URI', 'SECRET_KEY', 'SECRET_KEY_PREVIOUS', 'SYNC_INTERVAL_MIN',
      'BACKFILL_PAGE_SIZE', 'BACKFILL_DAYS', 'MAX_ATTACHMENT_MB', 'ATTACH_CONCURRENCY', 'RATE_UNITS_SEC', 'QUOTA_COSTS',
      'RETRY_MAX', 'HISTORY_STALE_DAYS', 'CAPTURE', 'API_BASE_URL', 'TOKEN_URL', 'OAUTH_AUTH_URL', 'BLOCKLIST',
      'ATTACHMENTS_DIR', 'SUMMARIZER_URL', 'SUMMARIZER_MODEL', 'EMBEDDINGS_URL', 'EMBEDDINGS_MODEL', 'QDRANT_URL',
      'DIGEST_HOUR', 'DIGEST_TZ', 'DEFAULT_SHARING', 'DETAIL_ACCESS', 'RETENTION_DAYS'].map((v) => `${P}${v}`)
    // The library's own settings beyond SPEC §4, each documented in the README.
    const own = ['CAPTURE_STRATEGY', 'RECALL_SAMPLE'].map((v) => `${P}${v}`)
    expect(ROWS.map((r) => r.env).sort()).toEqual([...spec, ...own].sort())
  })

  describe.each(ROWS)('$env', (row) => {
    it('has its default when unset, empty or blank', () => {
      expect(row.get(loadConfig({}))).toEqual(row.def)
      expect(row.get(loadConfig({ [row.env]: '' }))).toEqual(row.def)
      expect(row.get(loadConfig({ [row.env]: '  \t ' }))).toEqual(row.def)
      expect(row.get(resolveConfig({}))).toEqual(row.def)
    })

    it('accepts a valid value', () => {
      expect(row.get(loadConfig({ ...row.base, [row.env]: row.valid }))).toEqual(row.parsed)
      expect(row.get(loadConfig({ ...row.base, [row.env]: ` ${row.valid} ` }))).toEqual(row.parsed)
      expect(row.get(resolveConfig(toInput({ ...row.base, [row.env]: row.valid })))).toEqual(row.parsed)
    })

    it('reports an invalid value under the variable (or the property and the variable)', () => {
      const err = configError(() => loadConfig({ ...row.base, [row.env]: row.invalid }))
      expect(variables(err)).toEqual([row.env])
      expect(issue(err, row.env).message).toMatch(/expected/)
      const objErr = configError(() => resolveConfig(toInput({ ...row.base, [row.env]: row.invalid })))
      expect(variables(objErr)).toEqual([`${row.prop} (${row.env})`])
    })
  })
})

describe('loadConfig', () => {
  it('reads process.env by default', () => {
    vi.stubEnv(`${P}SYNC_INTERVAL_MIN`, '42')
    try {
      expect(loadConfig().syncIntervalMin).toBe(42)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('reports every invalid variable at once, in table order, quoting the value received', () => {
    const err = configError(() => loadConfig({
      [`${P}INTEGRATION_ENABLED`]: 'perhaps',
      [`${P}BACKFILL_PAGE_SIZE`]: '1000',
      [`${P}CAPTURE`]: 'everything',
      [`${P}DIGEST_TZ`]: 'Nowhere/City',
      [`${P}API_BASE_URL`]: 'gmail',
      [`${P}RETRY_MAX`]: 'NaN',
    }))
    expect(variables(err)).toEqual([`${P}INTEGRATION_ENABLED`, `${P}BACKFILL_PAGE_SIZE`, `${P}RETRY_MAX`, `${P}CAPTURE`,
      `${P}API_BASE_URL`, `${P}DIGEST_TZ`])
    expect(err.code).toBe('configuration_invalid')
    expect(err.message).toContain('6 problems')
    expect(issue(err, `${P}BACKFILL_PAGE_SIZE`).message).toContain('got "1000"')
    expect(issue(err, `${P}BACKFILL_PAGE_SIZE`).message).toContain('500')
    expect(issue(err, `${P}CAPTURE`).message).toContain('matched, all')
    for (const v of variables(err)) expect(err.message).toContain(v)
  })

  it('truncates long values in issues', () => {
    const err = configError(() => loadConfig({ [`${P}CAPTURE`]: 'x'.repeat(500) }))
    const message = issue(err, `${P}CAPTURE`).message
    expect(message).toContain('x'.repeat(50))
    expect(message).not.toContain('x'.repeat(61))
  })

  it('refuses integers in disguise', () => {
    for (const bad of ['1e2', '0x10', '12abc', '+', 'Infinity', '10.0', '99999999999999999999']) {
      expect(variables(configError(() => loadConfig({ [`${P}SYNC_INTERVAL_MIN`]: bad })))).toEqual([`${P}SYNC_INTERVAL_MIN`])
    }
    expect(loadConfig({ [`${P}SYNC_INTERVAL_MIN`]: '010' }).syncIntervalMin).toBe(10)
  })

  it.each([['true', true], ['TRUE', true], ['1', true], ['yes', true], ['On', true], ['false', false], ['0', false],
    ['no', false], ['off', false]])('reads %s as %s', (text, value) => {
    const env: Env = { [`${P}INTEGRATION_ENABLED`]: text, [`${P}AUTH_METHOD`]: 'oauth', ...OAUTH_BASE, [`${P}SECRET_KEY`]: KEY }
    expect(loadConfig(env).enabled).toBe(value)
  })
})

describe('the resolved config', () => {
  const full: Env = {
    [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}AUTH_METHOD`]: 'oauth', ...OAUTH_BASE, [`${P}SECRET_KEY`]: KEY,
    [`${P}SECRET_KEY_PREVIOUS`]: KEY_URLSAFE_NOPAD, [`${P}WORKSPACE_DOMAIN`]: 'fund.example',
    [`${P}SUMMARIZER_URL`]: 'http://127.0.0.1:11434/v1', [`${P}SUMMARIZER_MODEL`]: 'llama3', ...HYBRID_BASE,
    [`${P}BLOCKLIST`]: 'a@b.example, c.example',
  }

  function walk(value: unknown, visit: (v: unknown, path: string) => void, path = 'config'): void {
    visit(value, path)
    if (Array.isArray(value) || (typeof value === 'object' && value !== null && !(value instanceof Secret))) {
      for (const [k, child] of Object.entries(value)) walk(child, visit, `${path}.${k}`)
    }
  }

  it('is deep-frozen', () => {
    for (const config of [loadConfig({}), loadConfig(full)]) {
      walk(config, (v, path) => {
        if (typeof v === 'object' && v !== null) expect(Object.isFrozen(v), path).toBe(true)
      })
      expect(() => { (config as { syncIntervalMin: number }).syncIntervalMin = 1 }).toThrow(TypeError)
      expect(() => { (config.digest as { hour: number }).hour = 1 }).toThrow(TypeError)
      expect(() => { (config.workspaceDomains as string[]).push('x.example') }).toThrow(TypeError)
      expect(() => { (config.quotaCosts as { get: number }).get = 1 }).toThrow(TypeError)
    }
  })

  it('has no undefined anywhere', () => {
    for (const config of [loadConfig({}), loadConfig(full), resolveConfig({})]) {
      walk(config, (v, path) => {
        expect(v, path).not.toBeUndefined()
      })
    }
  })

  it('assembles the optional groups when complete', () => {
    const config = loadConfig(full)
    expect(config.oauth?.clientId).toBe(OAUTH_BASE[`${P}OAUTH_CLIENT_ID`])
    expect(config.summarizer).toEqual({ url: 'http://127.0.0.1:11434/v1', model: 'llama3' })
    expect(config.embeddings).toEqual({ url: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' })
    expect(config.qdrantUrl).toBe('http://127.0.0.1:6333')
    expect(config.secretKeyPrevious?.reveal()).toHaveLength(32)
    expect(isResolvedConfig(config)).toBe(true)
  })

  it('keeps the oauth client in dwd mode too', () => {
    expect(loadConfig(OAUTH_BASE).oauth?.redirectUri).toBe(OAUTH_BASE[`${P}OAUTH_REDIRECT_URI`])
  })
})

describe('requirements that depend on being enabled', () => {
  const on = { [`${P}INTEGRATION_ENABLED`]: 'true' }

  it('dwd needs a key path and a workspace domain only when enabled', () => {
    expect(loadConfig({}).enabled).toBe(false)
    const err = configError(() => loadConfig(on))
    expect(variables(err)).toEqual([`${P}SA_KEY_PATH`, `${P}WORKSPACE_DOMAIN`])
    expect(issue(err, `${P}SA_KEY_PATH`).message).toContain('required when')
    expect(variables(configError(() => loadConfig({ ...on, [`${P}WORKSPACE_DOMAIN`]: ' , ' })))).toContain(`${P}WORKSPACE_DOMAIN`)
  })

  it('oauth needs the client and the secret key only when enabled', () => {
    const oauth = { [`${P}AUTH_METHOD`]: 'oauth' }
    expect(loadConfig(oauth).oauth).toBeNull()
    const err = configError(() => loadConfig({ ...on, ...oauth }))
    expect(variables(err)).toEqual([`${P}OAUTH_CLIENT_ID`, `${P}OAUTH_CLIENT_SECRET`, `${P}OAUTH_REDIRECT_URI`, `${P}SECRET_KEY`])
    const config = loadConfig({ ...on, ...oauth, ...OAUTH_BASE, [`${P}SECRET_KEY`]: KEY })
    expect(config.enabled).toBe(true)
    expect(config.serviceAccount).toBeNull()
  })

  it('format checks apply even when disabled', () => {
    expect(variables(configError(() => loadConfig({ [`${P}SECRET_KEY`]: 'short' })))).toEqual([`${P}SECRET_KEY`])
  })

  it('the previous secret key needs the current one', () => {
    const err = configError(() => loadConfig({ [`${P}SECRET_KEY_PREVIOUS`]: KEY }))
    expect(variables(err)).toEqual([`${P}SECRET_KEY_PREVIOUS`])
    expect(err.issues[0]?.message).toContain(`${P}SECRET_KEY`)
  })

  it('a partial oauth client names the missing values', () => {
    const err = configError(() => loadConfig({ [`${P}OAUTH_CLIENT_ID`]: 'id' }))
    expect(variables(err)).toEqual([`${P}OAUTH_CLIENT_SECRET`, `${P}OAUTH_REDIRECT_URI`])
  })

  it('the summarizer needs both URL and model', () => {
    expect(variables(configError(() => loadConfig({ [`${P}SUMMARIZER_URL`]: 'http://x.example' })))).toEqual([`${P}SUMMARIZER_MODEL`])
    expect(variables(configError(() => loadConfig({ [`${P}SUMMARIZER_MODEL`]: 'm' })))).toEqual([`${P}SUMMARIZER_URL`])
  })

  it('Qdrant needs the embeddings endpoint and model, naming the missing ones', () => {
    const err = configError(() => loadConfig({ [`${P}QDRANT_URL`]: 'http://q.example' }))
    expect(variables(err)).toEqual([`${P}EMBEDDINGS_URL`, `${P}EMBEDDINGS_MODEL`])
    expect(err.issues[0]?.message).toContain(`${P}QDRANT_URL`)
    const half = configError(() => loadConfig({ [`${P}QDRANT_URL`]: 'http://q.example', [`${P}EMBEDDINGS_URL`]: 'http://e.example/v1' }))
    expect(variables(half)).toEqual([`${P}EMBEDDINGS_MODEL`])
    expect(loadConfig(HYBRID_BASE).embeddings).not.toBeNull()
    expect(loadConfig(HYBRID_BASE).qdrantUrl).toBe('http://127.0.0.1:6333')
  })

  it('the embeddings endpoint and model alone are valid: the vectors stay in the database', () => {
    const config = loadConfig(without(HYBRID_BASE, `${P}QDRANT_URL`))
    expect(config.embeddings).toEqual({ url: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' })
    expect(config.qdrantUrl).toBeNull()
    expect(variables(configError(() => loadConfig({ [`${P}EMBEDDINGS_URL`]: 'http://e.example/v1' })))).toEqual([`${P}EMBEDDINGS_MODEL`])
    expect(variables(configError(() => loadConfig({ [`${P}EMBEDDINGS_MODEL`]: 'm' })))).toEqual([`${P}EMBEDDINGS_URL`])
  })

  it('an invalid value is not reported a second time as missing', () => {
    const err = configError(() => loadConfig({ ...on, [`${P}WORKSPACE_DOMAIN`]: 'not a domain', [`${P}SA_KEY_PATH`]: 'x\0y' }))
    expect(variables(err)).toEqual([`${P}SA_KEY_PATH`, `${P}WORKSPACE_DOMAIN`])
  })
})

describe('resolveConfig with a plain object', () => {
  it('accepts typed values: numbers, booleans, arrays, Secrets, Buffers', () => {
    const key = randomBytes(32)
    const config = resolveConfig({
      enabled: true,
      authMethod: 'oauth',
      oauth: { clientId: 'id', clientSecret: new Secret('s'), redirectUri: 'https://crm.example/cb' },
      secretKey: key,
      secretKeyPrevious: new Secret(KEY),
      syncIntervalMin: 15,
      backfillPageSize: '250',
      workspaceDomains: ['Fund.Example'],
      blocklist: ['x@y.example', '@z.example'],
      quotaCosts: { get: 7 },
      digest: { hour: 0, timeZone: 'America/New_York' },
    })
    expect(config.secretKey?.reveal().equals(key)).toBe(true)
    expect(config.secretKeyPrevious?.reveal().toString('base64')).toBe(KEY)
    expect(config.syncIntervalMin).toBe(15)
    expect(config.backfillPageSize).toBe(250)
    expect(config.workspaceDomains).toEqual(['fund.example'])
    expect(config.blocklist).toEqual({ addresses: ['x@y.example'], domains: ['z.example'] })
    expect(config.quotaCosts).toEqual({ ...QUOTA_COSTS_2026, get: 7 })
    expect(config.digest).toEqual({ hour: 0, timeZone: 'America/New_York' })
  })

  it('names the property and the variable in issues, and reports wrong types', () => {
    const err = configError(() => resolveConfig({
      syncIntervalMin: 2.5,
      enabled: 'sometimes',
      digest: { hour: -1 },
      workspaceDomains: [42] as unknown as string[],
    }))
    expect(variables(err)).toEqual(['enabled (CRM_GMAIL_INTEGRATION_ENABLED)', 'workspaceDomains (CRM_GMAIL_WORKSPACE_DOMAIN)',
      'syncIntervalMin (CRM_GMAIL_SYNC_INTERVAL_MIN)', 'digest.hour (CRM_GMAIL_DIGEST_HOUR)'])
    expect(issue(err, 'syncIntervalMin (CRM_GMAIL_SYNC_INTERVAL_MIN)').message).toContain('got 2.5')
  })

  it('reports unknown properties, with a hint for typos', () => {
    const err = configError(() => resolveConfig({
      syncIntervalMins: 5, digest: { tz: 'UTC' }, oauth: { clientsecret: 'x' }, nonsense: true,
    } as unknown as EmailConfigInput))
    expect(variables(err)).toEqual(['syncIntervalMins', 'digest.tz', 'oauth.clientsecret', 'nonsense'])
    expect(issue(err, 'syncIntervalMins').message).toContain('did you mean syncIntervalMin?')
    expect(issue(err, 'oauth.clientsecret').message).toContain('oauth.clientSecret')
  })

  it('reports a group that is not an object', () => {
    const err = configError(() => resolveConfig({ digest: 'daily' } as unknown as EmailConfigInput))
    expect(err.issues[0]?.variable).toBe('digest (CRM_GMAIL_DIGEST_HOUR, CRM_GMAIL_DIGEST_TZ)')
  })

  it('treats null, undefined and blank strings as unset', () => {
    const config = resolveConfig({ oauth: null, summarizer: { url: undefined, model: ' ' }, syncIntervalMin: null, capture: undefined })
    expect(config.oauth).toBeNull()
    expect(config.summarizer).toBeNull()
    expect(config.syncIntervalMin).toBe(180)
  })

  it('rejects something that is not a plain object', () => {
    for (const bad of [null, [], 'CRM_GMAIL_INTEGRATION_ENABLED=true', new Map()]) {
      expect(variables(configError(() => resolveConfig(bad as unknown as EmailConfigInput)))).toEqual(['config'])
    }
  })

  it('takes an inline service-account key in either spelling', () => {
    const base = { enabled: true, workspaceDomains: 'fund.example' } as const
    const fromGoogle = resolveConfig({ ...base, serviceAccountKey: { client_email: 'sa@x.example', private_key: keys.rsaPem } })
    expect(fromGoogle.serviceAccount?.clientEmail).toBe('sa@x.example')
    expect(fromGoogle.serviceAccountKeyPath).toBeNull()
    const resolved = resolveConfig({ ...base, serviceAccount: { clientEmail: 'sa@x.example', privateKey: new Secret(keys.rsaPem) } })
    expect(resolved.serviceAccount?.privateKey.reveal()).toBe(keys.rsaPem)
    const both = configError(() => resolveConfig({ ...base, serviceAccountKey: { client_email: 'a@x.example', private_key: keys.rsaPem }, serviceAccount: { clientEmail: 'a@x.example', privateKey: keys.rsaPem } }))
    expect(variables(both)).toEqual(['serviceAccount (CRM_GMAIL_SA_KEY_PATH)'])
    const missing = configError(() => resolveConfig({ ...base, serviceAccountKey: { client_email: 'a@x.example' } as never }))
    expect(issue(missing, 'serviceAccountKey (CRM_GMAIL_SA_KEY_PATH)').message).toContain('private_key')
  })

  it('returns an already-resolved config unchanged, and only that', () => {
    const config = loadConfig({})
    expect(resolveConfig(config)).toBe(config)
    const again = resolveConfig({ capture: 'all' })
    expect(resolveConfig(again)).toBe(again)
    expect(isResolvedConfig({ ...config })).toBe(false)
    expect(isResolvedConfig(null)).toBe(false)
  })

  it('accepts a spread of a resolved config as input', () => {
    const path = keys.write(keys.googleKey())
    const original = loadConfig({
      [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example',
      ...OAUTH_BASE, [`${P}SECRET_KEY`]: KEY, [`${P}BLOCKLIST`]: 'a@b.example, c.example', ...HYBRID_BASE,
    })
    const input: EmailConfigInput = { ...original, capture: 'all' }
    const copy = resolveConfig(input)
    expect(copy).not.toBe(original)
    expect(copy.capture).toBe('all')
    expect(JSON.stringify({ ...copy, capture: 'matched' })).toBe(JSON.stringify(original))
    expect(copy.serviceAccount?.privateKey.reveal()).toBe(keys.rsaPem)
    expect(copy.secretKey?.reveal().toString('base64')).toBe(KEY)
  })
})
