import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type EmailConfig, type EmailConfigInput, isResolvedConfig, loadConfig, QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY,
  resolveConfig,
} from '../src/config.js'
import { type ConfigurationIssue, ConfigurationError } from '../src/errors.js'
import { Secret } from '../src/secret.js'

type Env = Record<string, string>

/** Runs `fn`, expects a ConfigurationError, and returns it. */
function configError(fn: () => unknown): ConfigurationError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError)
    return err as ConfigurationError
  }
  throw new Error('expected a ConfigurationError, nothing was thrown')
}

function variables(err: ConfigurationError): string[] {
  return err.issues.map((i: ConfigurationIssue) => i.variable)
}

function issue(err: ConfigurationError, variable: string): ConfigurationIssue {
  const found = err.issues.find((i) => i.variable === variable)
  if (found === undefined) throw new Error(`no issue for ${variable}; issues: ${variables(err).join(', ')}`)
  return found
}

/** Every place a secret could leak from a config or an error. */
function printed(value: unknown): string {
  const parts = [JSON.stringify(value), inspect(value, { depth: 10 }), String(value)]
  if (value instanceof Error) parts.push(value.message, value.stack ?? '')
  return parts.join('\n')
}

const KEY = randomBytes(32).toString('base64')
const KEY_URLSAFE_NOPAD = randomBytes(32).toString('base64url')
const DIR = mkdtempSync(join(tmpdir(), 'crm-email-config-'))
afterAll(() => {
  rmSync(DIR, { recursive: true, force: true })
})

let rsaPem = ''
let ecPem = ''
beforeAll(() => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
})

let files = 0
function writeKeyFile(content: unknown): string {
  files += 1
  const path = join(DIR, `key-${files}.json`)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

function googleKey(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'service_account',
    project_id: 'crm-test',
    private_key_id: 'kid-123',
    private_key: rsaPem,
    client_email: 'crm-sync@crm-test.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...overrides,
  }
}

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

const P = 'CRM_GMAIL_'
const OAUTH_BASE: Env = {
  [`${P}OAUTH_CLIENT_ID`]: 'client-1.apps.googleusercontent.com',
  [`${P}OAUTH_CLIENT_SECRET`]: 'client-secret-value',
  [`${P}OAUTH_REDIRECT_URI`]: 'https://crm.example/api/email/oauth/callback',
}
function without(env: Env, name: string): Env {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k !== name))
}
const HYBRID_BASE: Env = {
  [`${P}EMBEDDINGS_URL`]: 'http://127.0.0.1:11434/v1',
  [`${P}EMBEDDINGS_MODEL`]: 'nomic-embed-text',
  [`${P}QDRANT_URL`]: 'http://127.0.0.1:6333',
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
      'DIGEST_HOUR', 'DIGEST_TZ'].map((v) => `${P}${v}`)
    expect(ROWS.map((r) => r.env).sort()).toEqual(spec.sort())
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

  it('hybrid search needs all three of its values, naming the missing ones', () => {
    const err = configError(() => loadConfig({ [`${P}QDRANT_URL`]: 'http://q.example' }))
    expect(variables(err)).toEqual([`${P}EMBEDDINGS_URL`, `${P}EMBEDDINGS_MODEL`])
    expect(err.issues[0]?.message).toContain(`${P}QDRANT_URL`)
    expect(loadConfig(HYBRID_BASE).embeddings).not.toBeNull()
  })

  it('an invalid value is not reported a second time as missing', () => {
    const err = configError(() => loadConfig({ ...on, [`${P}WORKSPACE_DOMAIN`]: 'not a domain', [`${P}SA_KEY_PATH`]: 'x\0y' }))
    expect(variables(err)).toEqual([`${P}SA_KEY_PATH`, `${P}WORKSPACE_DOMAIN`])
  })
})

describe('the service-account key file', () => {
  const dwd = (path: string): Env => ({ [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example' })
  const saIssue = (path: string): string => {
    const err = configError(() => loadConfig(dwd(path)))
    expect(variables(err)).toEqual([`${P}SA_KEY_PATH`])
    const message = issue(err, `${P}SA_KEY_PATH`).message
    expect(message).toContain(path)
    return message
  }

  it('loads a valid key file', () => {
    const path = writeKeyFile(googleKey())
    const config = loadConfig(dwd(path))
    expect(config.serviceAccountKeyPath).toBe(path)
    expect(config.serviceAccount?.clientEmail).toBe('crm-sync@crm-test.iam.gserviceaccount.com')
    expect(config.serviceAccount?.privateKey.reveal()).toBe(rsaPem)
    expect(config.serviceAccount?.privateKeyId).toBe('kid-123')
    expect(config.serviceAccount?.clientId).toBe('1234567890')
    const minimal = loadConfig(dwd(writeKeyFile({ client_email: 'a@b.example', private_key: rsaPem })))
    expect(minimal.serviceAccount?.privateKeyId).toBeNull()
    expect(minimal.serviceAccount?.clientId).toBeNull()
  })

  it('is not read unless enabled in dwd mode', () => {
    expect(loadConfig({ [`${P}SA_KEY_PATH`]: join(DIR, 'missing.json') }).serviceAccount).toBeNull()
  })

  it('reports a missing file', () => {
    expect(saIssue(join(DIR, 'missing.json'))).toContain('file not found')
  })

  it('reports a directory', () => {
    expect(saIssue(DIR)).toMatch(/directory|cannot read/)
  })

  it('reports bad JSON without quoting the file', () => {
    const message = saIssue(writeKeyFile(`{"private_key": "${rsaPem.slice(0, 200)}`))
    expect(message).toContain('not valid JSON')
    expect(message).not.toContain('MII')
  })

  it('reports JSON that is not an object', () => {
    expect(saIssue(writeKeyFile('[1, 2]'))).toContain('JSON object')
  })

  it('reports a missing client_email', () => {
    expect(saIssue(writeKeyFile(googleKey({ client_email: undefined })))).toContain('client_email')
  })

  it('reports a missing private_key', () => {
    expect(saIssue(writeKeyFile(googleKey({ private_key: undefined })))).toContain('private_key')
  })

  it('reports a private key that is not PKCS#8 PEM, unparsable, or not RSA', () => {
    expect(saIssue(writeKeyFile(googleKey({ private_key: 'abc' })))).toContain('BEGIN PRIVATE KEY')
    expect(saIssue(writeKeyFile(googleKey({ private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' })))).toContain('cannot be parsed')
    expect(saIssue(writeKeyFile(googleKey({ private_key: ecPem })))).toContain('RSA')
  })

  it('reports a file that is not a service-account key', () => {
    expect(saIssue(writeKeyFile({ web: { client_id: 'x', client_secret: 'y' } }))).toContain('client_email')
    expect(saIssue(writeKeyFile(googleKey({ type: 'authorized_user' })))).toContain('service_account')
  })
})

describe('secrets are never printed', () => {
  const CLIENT_SECRET = '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'
  const SECRET_KEY = Buffer.from('RECOGNISABLE-SECRET-KEY-32-BYTES').toString('base64')
  const PREVIOUS_KEY = Buffer.from('PREVIOUS-SECRET-KEY-OF-32-BYTES!').toString('base64')

  function expectClean(text: string, secrets: readonly string[]): void {
    for (const secret of secrets) expect(text).not.toContain(secret)
  }

  it('not in a valid config', () => {
    const path = writeKeyFile(googleKey())
    const config = loadConfig({
      [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example',
      ...OAUTH_BASE, [`${P}OAUTH_CLIENT_SECRET`]: CLIENT_SECRET, [`${P}SECRET_KEY`]: SECRET_KEY,
      [`${P}SECRET_KEY_PREVIOUS`]: PREVIOUS_KEY,
    })
    expect(config.oauth?.clientSecret.reveal()).toBe(CLIENT_SECRET)
    const pemBody = rsaPem.split('\n')[5] ?? 'unreachable'
    const text = [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.secretKey)].join('\n')
    expectClean(text, [CLIENT_SECRET, SECRET_KEY, PREVIOUS_KEY, 'RECOGNISABLE', pemBody, 'BEGIN PRIVATE KEY'])
  })

  it('not in errors, including when the secret itself is invalid', () => {
    const badKey = 'TOPSECRET-not-a-valid-key-value'
    const shortKey = Buffer.from('SHORT-SECRET-16B').toString('base64')
    const longSecret = `LEAKME${'x'.repeat(1000)}`
    const badPem = '-----BEGIN PRIVATE KEY-----\nSECRETGARBAGE\n-----END PRIVATE KEY-----\n'
    const path = writeKeyFile(googleKey({ private_key: badPem }))
    for (const env of [
      { [`${P}SECRET_KEY`]: badKey, [`${P}SECRET_KEY_PREVIOUS`]: shortKey, [`${P}OAUTH_CLIENT_SECRET`]: longSecret },
      { [`${P}SECRET_KEY`]: shortKey, [`${P}OAUTH_CLIENT_SECRET`]: CLIENT_SECRET },
      { [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example' },
      { [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: writeKeyFile(`{"private_key":"${badPem}`), [`${P}WORKSPACE_DOMAIN`]: 'fund.example' },
    ]) {
      const err = configError(() => loadConfig(env))
      expectClean(printed(err), [badKey, shortKey, 'LEAKME', CLIENT_SECRET, 'SECRETGARBAGE'])
      expectClean(JSON.stringify(err.issues), [badKey, shortKey, 'LEAKME', 'SECRETGARBAGE'])
    }
  })

  it('not in errors about plain objects, nor credentials inside an invalid URL', () => {
    const err = configError(() => resolveConfig({
      secretKey: new Secret('WRAPPED-SECRET-VALUE'),
      serviceAccountKey: { client_email: 'nope', private_key: 'INLINE-SECRET-PEM' },
      oauth: { clientSecret: CLIENT_SECRET },
      qdrantUrl: 'http://admin:hunter2@qdrant host',
    }))
    expect(variables(err)).toContain('serviceAccountKey (CRM_GMAIL_SA_KEY_PATH)')
    expectClean(printed(err), ['WRAPPED-SECRET-VALUE', 'INLINE-SECRET-PEM', CLIENT_SECRET, 'hunter2'])
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
    const fromGoogle = resolveConfig({ ...base, serviceAccountKey: { client_email: 'sa@x.example', private_key: rsaPem } })
    expect(fromGoogle.serviceAccount?.clientEmail).toBe('sa@x.example')
    expect(fromGoogle.serviceAccountKeyPath).toBeNull()
    const resolved = resolveConfig({ ...base, serviceAccount: { clientEmail: 'sa@x.example', privateKey: new Secret(rsaPem) } })
    expect(resolved.serviceAccount?.privateKey.reveal()).toBe(rsaPem)
    const both = configError(() => resolveConfig({ ...base, serviceAccountKey: { client_email: 'a@x.example', private_key: rsaPem }, serviceAccount: { clientEmail: 'a@x.example', privateKey: rsaPem } }))
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
    const path = writeKeyFile(googleKey())
    const original = loadConfig({
      [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example',
      ...OAUTH_BASE, [`${P}SECRET_KEY`]: KEY, [`${P}BLOCKLIST`]: 'a@b.example, c.example', ...HYBRID_BASE,
    })
    const input: EmailConfigInput = { ...original, capture: 'all' }
    const copy = resolveConfig(input)
    expect(copy).not.toBe(original)
    expect(copy.capture).toBe('all')
    expect(JSON.stringify({ ...copy, capture: 'matched' })).toBe(JSON.stringify(original))
    expect(copy.serviceAccount?.privateKey.reveal()).toBe(rsaPem)
    expect(copy.secretKey?.reveal().toString('base64')).toBe(KEY)
  })
})

describe('CRM_GMAIL_QUOTA_COSTS', () => {
  const costs = (value: string): unknown => loadConfig({ [`${P}QUOTA_COSTS`]: value }).quotaCosts
  const problem = (value: string): string => {
    const err = configError(() => loadConfig({ [`${P}QUOTA_COSTS`]: value }))
    expect(variables(err)).toEqual([`${P}QUOTA_COSTS`])
    return err.issues[0]?.message ?? ''
  }

  it('knows the 2026 and legacy tables', () => {
    expect(costs('2026')).toEqual(QUOTA_COSTS_2026)
    expect(costs('Legacy')).toEqual(QUOTA_COSTS_LEGACY)
    expect(QUOTA_COSTS_LEGACY).toEqual({ get: 5, list: 5, history: 2, profile: 1, attachment: 5 })
  })

  it('merges a JSON object over the 2026 table', () => {
    expect(costs('{"get": 10, "attachment": 12}')).toEqual({ get: 10, list: 5, history: 2, profile: 1, attachment: 12 })
    expect(costs('{}')).toEqual(QUOTA_COSTS_2026)
  })

  it('reports bad JSON, unknown methods and bad costs', () => {
    expect(problem('{"get": 10')).toContain('not valid JSON')
    expect(problem('{"fetch": 3}')).toContain('unknown method "fetch"')
    expect(problem('{"get": 0}')).toContain('cost of get')
    expect(problem('{"get": 1.5}')).toContain('cost of get')
    expect(problem('{"get": "5"}')).toContain('cost of get')
    expect(problem('{"get": 251}')).toContain('cost of get')
    expect(problem('[5]')).toContain('expected')
  })
})

describe('CRM_GMAIL_BLOCKLIST', () => {
  const blocklist = (value: string): unknown => loadConfig({ [`${P}BLOCKLIST`]: value }).blocklist

  it('tells addresses from domains, lowercases, strips a leading @, and deduplicates', () => {
    expect(blocklist(' News@Vendor.Example ,@Spam.Example., bulk.example,,bulk.example, news@vendor.example')).toEqual({
      addresses: ['news@vendor.example'],
      domains: ['spam.example', 'bulk.example'],
    })
  })

  it('quotes every invalid entry', () => {
    const err = configError(() => loadConfig({ [`${P}BLOCKLIST`]: 'ok.example, a@, @@x.example, no-tld, 10.0.0.1, x@-bad-.example' }))
    const message = err.issues[0]?.message ?? ''
    for (const bad of ['"a@"', '"@@x.example"', '"no-tld"', '"10.0.0.1"', '"x@-bad-.example"']) expect(message).toContain(bad)
    expect(message).not.toContain('"ok.example"')
  })

  it('accepts the resolved shape in a plain object', () => {
    expect(resolveConfig({ blocklist: { addresses: ['A@B.example'], domains: ['@C.example'] } }).blocklist)
      .toEqual({ addresses: ['a@b.example'], domains: ['c.example'] })
    expect(variables(configError(() => resolveConfig({ blocklist: { addresses: ['c.example'] } })))).toEqual(['blocklist (CRM_GMAIL_BLOCKLIST)'])
  })
})

describe('CRM_GMAIL_DIGEST_TZ', () => {
  it('accepts IANA zones in their canonical spelling', () => {
    expect(loadConfig({ [`${P}DIGEST_TZ`]: 'America/Los_Angeles' }).digest.timeZone).toBe('America/Los_Angeles')
    expect(loadConfig({ [`${P}DIGEST_TZ`]: 'utc' }).digest.timeZone).toBe('UTC')
  })

  it.each(['Europe/Atlantis', 'GMT+25', '+02:00', 'Berlin'])('rejects %s', (zone) => {
    expect(variables(configError(() => loadConfig({ [`${P}DIGEST_TZ`]: zone })))).toEqual([`${P}DIGEST_TZ`])
  })
})

describe('secret keys', () => {
  it('accept standard and URL-safe base64, with or without padding', () => {
    const bytes = randomBytes(32)
    for (const text of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('base64').replace(/=+$/, '')]) {
      expect(loadConfig({ [`${P}SECRET_KEY`]: text }).secretKey?.reveal().equals(bytes)).toBe(true)
    }
  })

  it('reject the wrong length or alphabet, saying why without the value', () => {
    const short = configError(() => loadConfig({ [`${P}SECRET_KEY`]: randomBytes(31).toString('base64') }))
    expect(short.issues[0]?.message).toContain('decodes to 31 bytes')
    const long = configError(() => loadConfig({ [`${P}SECRET_KEY`]: randomBytes(33).toString('base64') }))
    expect(long.issues[0]?.message).toContain('decodes to 33 bytes')
    const hex = configError(() => loadConfig({ [`${P}SECRET_KEY`]: randomBytes(32).toString('hex') }))
    expect(hex.issues[0]?.message).toContain('decodes to')
    expect(configError(() => loadConfig({ [`${P}SECRET_KEY`]: 'a+b_c' })).issues[0]?.message).toContain('not base64')
  })
})
