import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { loadConfig, resolveConfig, type EmailConfig } from '../../src/config/index.js'
import { SETTINGS } from '../../src/config/settings.js'
import { ConfigurationError } from '../../src/errors.js'
import { looksLikeKeyText, redactText, redactUrl } from '../../src/secrets/redact.js'
import { Secret } from '../../src/secrets/secret.js'
import { configError, OAUTH_BASE, P, useKeyFiles, variables } from '../helpers/config-fixtures.js'
import { generateServiceAccount } from '../helpers/token-server.js'

const account = generateServiceAccount()
const pemLines = account.privateKeyPem.trim().split('\n').slice(1, -1)
const keyFileJson = JSON.stringify({
  type: 'service_account',
  project_id: 'crm-project',
  private_key_id: 'a1b2c3',
  private_key: account.privateKeyPem,
  client_email: account.key.clientEmail,
  client_id: '109876543210987654321',
})
/** Fixed bytes, so every run checks the same keys. */
const bytes = (seed: string, length: number): Buffer => {
  let out = Buffer.alloc(0)
  for (let i = 0; out.length < length; i++) out = Buffer.concat([out, createHash('sha256').update(`${seed}:${i}`).digest()])
  return out.subarray(0, length)
}
const secretKey = bytes('secret-key', 32).toString('base64')
const urlSafeToken = bytes('token', 48).toString('base64url')
const hexKey = bytes('hex-key', 32).toString('hex')

/** The edges of a long secret: a printed value must show neither. */
const edges = (text: string): string[] => [text.slice(0, 16), text.slice(-16)]

interface PastedSecret {
  readonly name: string
  readonly value: string
  /** Substrings that prove the secret was printed. */
  readonly needles: readonly string[]
}

/** Secrets an operator might paste into the wrong variable. */
const SECRETS: readonly PastedSecret[] = [
  { name: 'a PEM private key', value: account.privateKeyPem, needles: pemLines.flatMap(edges) },
  { name: "a key file's JSON", value: keyFileJson, needles: [...pemLines.flatMap(edges), 'service_account'] },
  { name: 'a PEM body without its header', value: pemLines.join(''), needles: pemLines.flatMap(edges) },
  { name: 'a base64 encryption key', value: secretKey, needles: edges(secretKey) },
  { name: 'a URL-safe token', value: urlSafeToken, needles: edges(urlSafeToken) },
  { name: 'a hex key', value: hexKey, needles: edges(hexKey) },
  { name: 'a URL with a password', value: 'https://crm-bot:S3cr3t-Pa55word@llm.internal.example/v1', needles: ['S3cr3t-Pa55word', 'crm-bot'] },
  { name: 'a URL with an api_key', value: 'https://qdrant.internal.example:6333/?api_key=qd-4f9T7xKq2LmZ', needles: ['qd-4f9T7xKq2LmZ'] },
  { name: 'a URL with an access_token', value: 'http://127.0.0.1:8080/v1?access_token=at.8Hq2Kz9Rw&model=x', needles: ['at.8Hq2Kz9Rw'] },
  { name: 'a URL with a signature', value: 'https://blob.example/x?sv=2024&sig=Zx9%2Bq7Ww3Lp', needles: ['Zx9%2Bq7Ww3Lp'] },
  { name: 'a URL with a password parameter', value: 'https://embed.example/v1?user=ann&password=hunter2-Hunter3', needles: ['hunter2-Hunter3'] },
  { name: 'text quoting a credentialed URL', value: 'see https://ops:0ps-Passw0rd@proxy.example/ for keys', needles: ['0ps-Passw0rd'] },
]

const keys = useKeyFiles()
const keyPath = keys.write(keyFileJson)

/** Environments the pasted value is tried in: integration off, and on in dwd mode with a real key file. */
const BASES: readonly Readonly<Record<string, string>>[] = [
  {},
  {
    CRM_GMAIL_INTEGRATION_ENABLED: 'true',
    CRM_GMAIL_AUTH_METHOD: 'dwd',
    CRM_GMAIL_SA_KEY_PATH: keyPath,
    CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example',
  },
]

/** Everything a host could print of an outcome: the config every way, or the error every way. */
function printed(attempt: () => EmailConfig): string {
  try {
    const config = attempt()
    const nested = [config.summarizer, config.embeddings, config.oauth, config.blocklist, config.digest, config.serviceAccount]
    return [
      JSON.stringify(config),
      inspect(config, { depth: Infinity }),
      inspect(config, { depth: Infinity, showHidden: true }),
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- what String() of a config shows is the point
      String(config),
      JSON.stringify(nested),
      inspect(nested, { depth: Infinity }),
    ].join('\n')
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    const e = error as ConfigurationError
    return [e.message, String(e), inspect(e, { depth: Infinity }), JSON.stringify(e), JSON.stringify(e.issues)].join('\n')
  }
}

function expectNoSecret(text: string, secret: PastedSecret, where: string): void {
  for (const needle of secret.needles) {
    if (text.includes(needle)) expect.fail(`${where}: ${secret.name} printed (${JSON.stringify(needle)} found)`)
  }
}

const ENV_SETTINGS = Object.entries(SETTINGS).filter(([, s]) => !s.inputOnly)

/** Every place a secret could leak from an error. */
function printedError(err: Error): string {
  return [JSON.stringify(err), inspect(err, { depth: 10 }), String(err), err.message, err.stack ?? ''].join('\n')
}

describe('secrets are never printed', () => {
  const CLIENT_SECRET = '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'
  const SECRET_KEY = Buffer.from('RECOGNISABLE-SECRET-KEY-32-BYTES').toString('base64')
  const PREVIOUS_KEY = Buffer.from('PREVIOUS-SECRET-KEY-OF-32-BYTES!').toString('base64')

  function expectClean(text: string, secrets: readonly string[]): void {
    for (const secret of secrets) expect(text).not.toContain(secret)
  }

  it('not in a valid config', () => {
    const path = keys.write(keys.googleKey())
    const config = loadConfig({
      [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example',
      ...OAUTH_BASE, [`${P}OAUTH_CLIENT_SECRET`]: CLIENT_SECRET, [`${P}SECRET_KEY`]: SECRET_KEY,
      [`${P}SECRET_KEY_PREVIOUS`]: PREVIOUS_KEY,
    })
    expect(config.oauth?.clientSecret.reveal()).toBe(CLIENT_SECRET)
    const pemBody = keys.rsaPem.split('\n')[5] ?? 'unreachable'
    const text = [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.secretKey)].join('\n')
    expectClean(text, [CLIENT_SECRET, SECRET_KEY, PREVIOUS_KEY, 'RECOGNISABLE', pemBody, 'BEGIN PRIVATE KEY'])
  })

  it('not in errors, including when the secret itself is invalid', () => {
    const badKey = 'TOPSECRET-not-a-valid-key-value'
    const shortKey = Buffer.from('SHORT-SECRET-16B').toString('base64')
    const longSecret = `LEAKME${'x'.repeat(1000)}`
    const badPem = '-----BEGIN PRIVATE KEY-----\nSECRETGARBAGE\n-----END PRIVATE KEY-----\n'
    const path = keys.write(keys.googleKey({ private_key: badPem }))
    for (const env of [
      { [`${P}SECRET_KEY`]: badKey, [`${P}SECRET_KEY_PREVIOUS`]: shortKey, [`${P}OAUTH_CLIENT_SECRET`]: longSecret },
      { [`${P}SECRET_KEY`]: shortKey, [`${P}OAUTH_CLIENT_SECRET`]: CLIENT_SECRET },
      { [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: path, [`${P}WORKSPACE_DOMAIN`]: 'fund.example' },
      { [`${P}INTEGRATION_ENABLED`]: 'true', [`${P}SA_KEY_PATH`]: keys.write(`{"private_key":"${badPem}`), [`${P}WORKSPACE_DOMAIN`]: 'fund.example' },
    ]) {
      const err = configError(() => loadConfig(env))
      expectClean(printedError(err), [badKey, shortKey, 'LEAKME', CLIENT_SECRET, 'SECRETGARBAGE'])
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
    expectClean(printedError(err), ['WRAPPED-SECRET-VALUE', 'INLINE-SECRET-PEM', CLIENT_SECRET, 'hunter2'])
  })
})

describe('a secret pasted into any variable is never printed', () => {
  it.each(ENV_SETTINGS.map(([key, s]) => [s.env, key] as const))('%s', (env) => {
    for (const base of BASES) {
      for (const secret of SECRETS) {
        expectNoSecret(printed(() => loadConfig({ ...base, [env]: secret.value })), secret, `${env} (${base.CRM_GMAIL_INTEGRATION_ENABLED ?? 'off'})`)
      }
    }
  })

  it('an unknown property named by a secret', () => {
    for (const secret of SECRETS) {
      expectNoSecret(printed(() => resolveConfig({ [secret.value]: true } as never)), secret, 'unknown top-level property')
    }
  })

  it.each(Object.entries(SETTINGS).map(([key, s]) => [s.path.join('.'), key] as const))('plain-object property %s', (_label, key) => {
    const [first, second] = SETTINGS[key as keyof typeof SETTINGS].path
    for (const secret of SECRETS) {
      const forms: unknown[] = [secret.value, [secret.value], ['fund.example', secret.value], { [secret.value]: 1 }]
      for (const form of forms) {
        const input = second === undefined ? { [first]: form } : { [first]: { [second]: form } }
        expectNoSecret(printed(() => resolveConfig(input as never)), secret, `${key} as ${JSON.stringify(typeof form)}`)
      }
    }
  })
})

describe('key text in a variable that is not a secret', () => {
  it('is refused in CRM_GMAIL_SA_KEY_PATH saying what is wrong, without quoting it', () => {
    for (const value of [account.privateKeyPem, keyFileJson]) {
      for (const base of BASES) {
        const error = (() => {
          try {
            loadConfig({ ...base, CRM_GMAIL_SA_KEY_PATH: value })
          } catch (e) {
            return e as ConfigurationError
          }
          throw new Error('expected a ConfigurationError')
        })()
        const issue = error.issues.find((i) => i.variable === 'CRM_GMAIL_SA_KEY_PATH')
        expect(issue?.message).toMatch(/^looks like key text .*, not a file-system path: give the path of the JSON key file, not its content$/)
        expect(error.message).not.toContain('BEGIN')
        expect(error.message).not.toContain('private_key')
      }
    }
  })

  it('is refused in every other variable that is not a secret, naming the variable', () => {
    for (const [key, setting] of ENV_SETTINGS) {
      if (setting.secret) continue
      let message = ''
      try {
        loadConfig({ [setting.env]: secretKey })
      } catch (error) {
        message = (error as ConfigurationError).issues.find((i) => i.variable === setting.env)?.message ?? ''
      }
      expect(message, key).toMatch(/^looks like key text/)
    }
  })

  it('is accepted as such by the secret variables, which print as [redacted]', () => {
    const config = loadConfig({
      CRM_GMAIL_SECRET_KEY: secretKey,
      CRM_GMAIL_OAUTH_CLIENT_ID: 'client.apps.example',
      CRM_GMAIL_OAUTH_CLIENT_SECRET: urlSafeToken,
      CRM_GMAIL_OAUTH_REDIRECT_URI: 'https://crm.fund.example/callback',
    })
    expect(config.secretKey?.reveal().toString('base64')).toBe(secretKey)
    expect(JSON.stringify(config)).toContain('"secretKey":"[redacted]"')
    expect(inspect(config)).toContain('Secret [redacted]')
    expect(JSON.stringify(config)).not.toContain(urlSafeToken.slice(0, 16))
  })

  it('does not catch ordinary values: paths, model names, client ids, domains', () => {
    const config = loadConfig({
      CRM_GMAIL_SA_KEY_PATH: '/srv/crm/Secrets/GoogleWorkspace2026/ServiceAccountKey01.json',
      CRM_GMAIL_ATTACHMENTS_DIR: 'C:/Users/AnnSmith/AppData/Roaming/CRM2026/EmailAttachments',
      CRM_GMAIL_OAUTH_CLIENT_ID: '407408718192-k1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6.apps.googleusercontent.com',
      CRM_GMAIL_OAUTH_CLIENT_SECRET: 'GOCSPX-abcdefghijklmnopqrstuvwx',
      CRM_GMAIL_OAUTH_REDIRECT_URI: 'https://crm.fund.example/api/email/oauth/callback',
      CRM_GMAIL_SUMMARIZER_URL: 'https://3f9c1a2b-0d4e-4f5a-9b6c-7d8e9f0a1b2c.eu-central-1-0.aws.example.io:6333/v1',
      CRM_GMAIL_SUMMARIZER_MODEL: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Q4_K_M',
      CRM_GMAIL_EMBEDDINGS_URL: 'http://127.0.0.1:8081/v1',
      CRM_GMAIL_EMBEDDINGS_MODEL: 'sentence-transformers/all-MiniLM-L6-v2',
      CRM_GMAIL_QDRANT_URL: 'http://127.0.0.1:6333',
      CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example, ventures-holdings-international-partners.example',
      CRM_GMAIL_BLOCKLIST: 'noreply@notifications.example, @marketing.example',
    })
    expect(config.summarizer?.model).toBe('meta-llama/Meta-Llama-3.1-8B-Instruct-Q4_K_M')
    expect(config.embeddings?.model).toBe('sentence-transformers/all-MiniLM-L6-v2')
    expect(config.oauth?.clientId).toMatch(/^407408718192-/)
    expect(config.attachmentsDir).toContain('EmailAttachments')
    for (const text of ['ThisIsAVeryLongCamelCaseIdentifierNameForTest2026', '/home/ann/CRM/Projects/2026/Q3/Fundraising/sa-key.json']) {
      expect(looksLikeKeyText(text), text).toBe(false)
    }
  })

  it('recognises fixed random keys of every common encoding', () => {
    for (let i = 0; i < 200; i++) {
      const key = bytes(`k${i}`, 32)
      for (const text of [key.toString('base64'), key.toString('base64url'), key.toString('hex'), bytes(`t${i}`, 64).toString('base64')]) {
        expect(looksLikeKeyText(text), text).toBe(true)
        expect(redactText(`key ${text} here`)).not.toContain(text.slice(0, 16))
      }
    }
  })
})

describe('URLs with credentials', () => {
  const summarizerUrl = 'https://crm-bot:S3cr3t-Pa55word@llm.internal.example/v1'
  const qdrantUrl = 'https://qdrant.internal.example:6333/?api_key=qd-4f9T7xKq2LmZ&timeout=5'
  const config = loadConfig({
    CRM_GMAIL_SUMMARIZER_URL: summarizerUrl,
    CRM_GMAIL_SUMMARIZER_MODEL: 'llama3',
    CRM_GMAIL_EMBEDDINGS_URL: 'http://127.0.0.1:8080/v1?access_token=at.8Hq2Kz9Rw',
    CRM_GMAIL_EMBEDDINGS_MODEL: 'nomic-embed-text',
    CRM_GMAIL_QDRANT_URL: qdrantUrl,
  })

  it('keep their real value for the library', () => {
    expect(config.summarizer?.url).toBe(summarizerUrl)
    expect(config.qdrantUrl).toBe('https://qdrant.internal.example:6333/?api_key=qd-4f9T7xKq2LmZ&timeout=5')
    expect(config.embeddings?.url).toBe('http://127.0.0.1:8080/v1?access_token=at.8Hq2Kz9Rw')
  })

  it('print redacted through JSON.stringify and util.inspect, other parameters kept', () => {
    const json = JSON.parse(JSON.stringify(config)) as Record<string, unknown>
    expect(json.summarizer).toEqual({ url: 'https://[redacted]@llm.internal.example/v1', model: 'llama3' })
    expect(json.qdrantUrl).toBe('https://qdrant.internal.example:6333/?api_key=[redacted]&timeout=5')
    expect(json.embeddings).toEqual({ url: 'http://127.0.0.1:8080/v1?access_token=[redacted]', model: 'nomic-embed-text' })
    expect(JSON.stringify(config.summarizer)).toBe('{"url":"https://[redacted]@llm.internal.example/v1","model":"llama3"}')
    expect(inspect(config)).toContain("url: 'https://[redacted]@llm.internal.example/v1'")
    expect(inspect(config.embeddings)).toContain('access_token=[redacted]')
  })

  it('leave a spread of the config valid input with the real values', () => {
    const again = resolveConfig({ ...config, capture: 'all' })
    expect(again.summarizer?.url).toBe(summarizerUrl)
    expect(Object.keys(config)).not.toContain('toJSON')
  })

  it('are redacted when an issue quotes them', () => {
    expect(() => loadConfig({ CRM_GMAIL_SUMMARIZER_URL: 'ftp://crm-bot:S3cr3t-Pa55word@llm.example/v1', CRM_GMAIL_SUMMARIZER_MODEL: 'm' }))
      .toThrow('CRM_GMAIL_SUMMARIZER_URL: expected an absolute http:// or https:// URL, got "ftp://[redacted]@llm.example/v1"')
    expect(() => loadConfig({ CRM_GMAIL_ATTACHMENTS_DIR: 'https://crm-bot:S3cr3t-Pa55word@files.example/x' }))
      .toThrow('CRM_GMAIL_ATTACHMENTS_DIR: expected a file-system path, not a URL, got "https://[redacted]@files.example/x"')
  })

  it('redactUrl hides userinfo and secret-looking parameters only', () => {
    expect(redactUrl('https://u:p@h.example:8443/a/b?key=1&api-key=2&X-Amz-Signature=3&page=4#access_token=5&state=6'))
      .toBe('https://[redacted]@h.example:8443/a/b?key=[redacted]&api-key=[redacted]&X-Amz-Signature=[redacted]&page=4#access_token=[redacted]&state=6')
    expect(redactUrl('http://127.0.0.1:6333')).toBe('http://127.0.0.1:6333')
  })
})
