import { CamelCasePlugin, Kysely, MysqlDialect } from 'kysely'
import { afterEach, beforeEach, expect, it, describe } from 'vitest'
import {
  ConfigurationError,
  ValidationError,
  createEmailIntegration,
  loadConfig,
  type EmailIntegration,
} from '../src/index.js'
import { describeEachDialect, openSqlite, type TestDatabase } from './helpers/databases.js'

const directory = () => Promise.resolve([])

describeEachDialect('accounts', (open) => {
  let t: TestDatabase
  let email: EmailIntegration

  beforeEach(async () => {
    t = await open()
    email = createEmailIntegration({ db: t.db, config: { workspaceDomains: ['fund.example', 'fund.example.org'] }, directory })
    await email.migrate()
  })
  afterEach(async () => {
    await email.close()
    await t.close()
  })

  it('enrolls a workspace mailbox once, however often and however concurrently it is asked', async () => {
    const first = await email.accounts.enroll('  Ann@Fund.Example ')
    expect(first).toMatchObject({ address: 'ann@fund.example', authMethod: 'dwd', status: 'active', statusReason: null })
    const again = await Promise.all(Array.from({ length: 5 }, () => email.accounts.enroll('ann@fund.example')))
    expect(new Set(again.map((a) => a.id))).toEqual(new Set([first.id]))
    await email.accounts.enroll('bob@fund.example.org')
    expect((await email.accounts.list()).map((a) => a.address)).toEqual(['ann@fund.example', 'bob@fund.example.org'])
  })

  it('refuses addresses outside the workspace domains in dwd mode, and non-addresses', async () => {
    await expect(email.accounts.enroll('eve@elsewhere.example')).rejects.toThrow(ValidationError)
    await expect(email.accounts.enroll('eve@sub.fund.example')).rejects.toThrow(/not in the workspace domains/)
    await expect(email.accounts.enroll('not an address')).rejects.toThrow(/is not an email address/)
    await expect(email.accounts.enroll('')).rejects.toThrow(ValidationError)
    expect(await email.accounts.list()).toEqual([])
  })

  it('starts OAuth accounts as needing consent, and accepts any domain when none is configured', async () => {
    const oauth = createEmailIntegration({ db: t.db, config: { authMethod: 'oauth' }, directory })
    const account = await oauth.accounts.enroll('founder@startup.example')
    expect(account).toMatchObject({ authMethod: 'oauth', status: 'needs_consent' })
    expect(account.statusReason).toMatch(/consent/)
  })

  it('refuses every call once closed', async () => {
    await email.close()
    await expect(email.accounts.list()).rejects.toMatchObject({ code: 'closed' })
    await expect(email.migrate()).rejects.toMatchObject({ code: 'closed' })
  })
})

describe('createEmailIntegration', () => {
  it('takes a loaded config as it is, and validates a plain one', async () => {
    const t = await openSqlite()
    const config = loadConfig({ CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example' })
    expect(createEmailIntegration({ db: t.db, config, directory }).config).toBe(config)
    const plain = createEmailIntegration({ db: t.db, config: { syncIntervalMin: 30 }, directory })
    expect(plain.config.syncIntervalMin).toBe(30)
    expect(Object.isFrozen(plain.config)).toBe(true)
    expect(() => createEmailIntegration({ db: t.db, config: { syncIntervalMin: -1 }, directory })).toThrow(ConfigurationError)
    await t.close()
  })

  it("ignores the host's plugins, so its column names are its own", async () => {
    const t = await openSqlite()
    const camel = t.db.withPlugin(new CamelCasePlugin())
    const email = createEmailIntegration({ db: camel, config: { workspaceDomains: ['fund.example'] }, directory })
    await email.migrate()
    await email.accounts.enroll('ann@fund.example')
    expect((await email.accounts.list())[0]?.address).toBe('ann@fund.example')
    await t.close()
  })

  it('refuses a dialect it does not support, saying which', () => {
    const mysql = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: () => Promise.reject(new Error('never used')) }) })
    expect(() => createEmailIntegration({ db: mysql, config: {}, directory })).toThrow(/SQLite and PostgreSQL/)
  })
})
