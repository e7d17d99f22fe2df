import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY, resolveConfig } from '../../src/config/index.js'
import { configError, type Env, issue, P, useKeyFiles, variables } from '../helpers/config-fixtures.js'

const keys = useKeyFiles()

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
    const path = keys.write(keys.googleKey())
    const config = loadConfig(dwd(path))
    expect(config.serviceAccountKeyPath).toBe(path)
    expect(config.serviceAccount?.clientEmail).toBe('crm-sync@crm-test.iam.gserviceaccount.com')
    expect(config.serviceAccount?.privateKey.reveal()).toBe(keys.rsaPem)
    expect(config.serviceAccount?.privateKeyId).toBe('kid-123')
    expect(config.serviceAccount?.clientId).toBe('1234567890')
    const minimal = loadConfig(dwd(keys.write({ client_email: 'a@b.example', private_key: keys.rsaPem })))
    expect(minimal.serviceAccount?.privateKeyId).toBeNull()
    expect(minimal.serviceAccount?.clientId).toBeNull()
  })

  it('is not read unless enabled in dwd mode', () => {
    expect(loadConfig({ [`${P}SA_KEY_PATH`]: join(keys.dir, 'missing.json') }).serviceAccount).toBeNull()
  })

  it('reports a missing file', () => {
    expect(saIssue(join(keys.dir, 'missing.json'))).toContain('file not found')
  })

  it('reports a directory', () => {
    expect(saIssue(keys.dir)).toMatch(/directory|cannot read/)
  })

  it('reports bad JSON without quoting the file', () => {
    const message = saIssue(keys.write(`{"private_key": "${keys.rsaPem.slice(0, 200)}`))
    expect(message).toContain('not valid JSON')
    expect(message).not.toContain('MII')
  })

  it('reports JSON that is not an object', () => {
    expect(saIssue(keys.write('[1, 2]'))).toContain('JSON object')
  })

  it('reports a missing client_email', () => {
    expect(saIssue(keys.write(keys.googleKey({ client_email: undefined })))).toContain('client_email')
  })

  it('reports a missing private_key', () => {
    expect(saIssue(keys.write(keys.googleKey({ private_key: undefined })))).toContain('private_key')
  })

  it('reports a private key that is not PKCS#8 PEM, unparsable, or not RSA', () => {
    expect(saIssue(keys.write(keys.googleKey({ private_key: 'abc' })))).toContain('BEGIN PRIVATE KEY')
    expect(saIssue(keys.write(keys.googleKey({ private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' })))).toContain('cannot be parsed')
    expect(saIssue(keys.write(keys.googleKey({ private_key: keys.ecPem })))).toContain('RSA')
  })

  it('reports a file that is not a service-account key', () => {
    expect(saIssue(keys.write({ web: { client_id: 'x', client_secret: 'y' } }))).toContain('client_email')
    expect(saIssue(keys.write(keys.googleKey({ type: 'authorized_user' })))).toContain('service_account')
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

  it('takes addresses in the form the matcher compares, a trailing dot on the domain allowed', () => {
    expect(blocklist('Ann@Vendor.Example., o\'neil@vendor.example')).toEqual({ addresses: ['ann@vendor.example', "o'neil@vendor.example"], domains: [] })
    const err = configError(() => loadConfig({ [`${P}BLOCKLIST`]: `a..b@x.example, ${'x'.repeat(65)}@x.example` }))
    const message = err.issues[0]?.message ?? ''
    expect(message).toContain('"a..b@x.example"')
    expect(message).toContain('…')
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
