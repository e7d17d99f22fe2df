import { afterEach, beforeEach, expect, it } from 'vitest'
import { MAX_ENROLL_ALL, ValidationError, createEmailIntegration, type EmailIntegration } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'

// email.accounts.enrollAll (src/accounts/api.ts): the addresses given, or the host's users from
// its listUsers hook, each enrolled or skipped with a reason; the list as a whole refused only
// when it is not a list of addresses or longer than MAX_ENROLL_ALL.

const directory = () => Promise.resolve([])
const config = { workspaceDomains: ['fund.example'] }

describeEachDialect('email.accounts.enrollAll', (open) => {
  let t: TestDatabase
  let email: EmailIntegration
  let users: readonly string[]
  let asked: number

  beforeEach(async () => {
    t = await open()
    users = []
    asked = 0
    const listUsers = () => {
      asked += 1
      return Promise.resolve(users)
    }
    email = createEmailIntegration({ db: t.db, config, directory, listUsers })
    await email.migrate()
  })
  afterEach(async () => {
    await email.close()
    await t.close()
  })

  const addresses = async () => (await email.accounts.list()).map((a) => a.address)

  it('enrolls the addresses given, normalized, in their order; the hook is not asked', async () => {
    const result = await email.accounts.enrollAll(['gus@fund.example', ' Hal@Fund.Example '])
    expect(result).toEqual({ enrolled: ['gus@fund.example', 'hal@fund.example'], skipped: [] })
    expect(await addresses()).toEqual(['gus@fund.example', 'hal@fund.example'])
    expect(asked).toBe(0)
    expect(await email.accounts.enrollAll([])).toEqual({ enrolled: [], skipped: [] })
  })

  it('enrolls the host\'s users from listUsers when no addresses are given', async () => {
    users = ['ivy@fund.example', 'jon@partner.example', 'KIM@fund.example']
    expect(await email.accounts.enrollAll()).toEqual({
      enrolled: ['ivy@fund.example', 'kim@fund.example'],
      skipped: [{ address: 'jon@partner.example', reason: 'not in the workspace domains' }],
    })
    expect(asked).toBe(1)
    expect(await addresses()).toEqual(['ivy@fund.example', 'kim@fund.example'])
  })

  it('reports each address it cannot enroll, and enrolls the rest', async () => {
    const result = await email.accounts.enrollAll(['mallory@else.example', 'not an address', 'gus@sub.fund.example', 'x'.repeat(300), 'lea@fund.example'])
    expect(result).toEqual({
      enrolled: ['lea@fund.example'],
      skipped: [
        { address: 'mallory@else.example', reason: 'not in the workspace domains' },
        { address: 'not an address', reason: 'not an email address' },
        { address: 'gus@sub.fund.example', reason: 'not in the workspace domains' },
        // A long non-address is cut, so a pasted file does not come back whole.
        { address: 'x'.repeat(100), reason: 'not an email address' },
      ],
    })
    expect(await addresses()).toEqual(['lea@fund.example'])
  })

  it('refuses a list over the limit, or that is not a list of strings, before enrolling any', async () => {
    const tooMany = Array.from({ length: MAX_ENROLL_ALL + 1 }, (_, i) => `u${i}@fund.example`)
    await expect(email.accounts.enrollAll(tooMany)).rejects.toThrow(new ValidationError(`addresses: at most ${MAX_ENROLL_ALL} addresses`))
    const notAList: unknown[] = ['gus@fund.example', [1, 2], null, { a: 'gus@fund.example' }]
    for (const value of notAList) {
      // A JavaScript caller may pass anything.
      await expect(email.accounts.enrollAll(value as readonly string[])).rejects.toThrow(/^addresses: expected an array of addresses$/)
    }
    expect(await addresses()).toEqual([])
    expect(asked).toBe(0)
  })

  it('enrolls exactly MAX_ENROLL_ALL addresses', async () => {
    const many = Array.from({ length: MAX_ENROLL_ALL }, (_, i) => `u${i}@fund.example`)
    const { enrolled, skipped } = await email.accounts.enrollAll(many)
    expect(enrolled).toEqual(many)
    expect(skipped).toEqual([])
  })

  it('is idempotent: a second call enrolls nothing new and names the same accounts', async () => {
    const first = await email.accounts.enrollAll(['gus@fund.example', 'hal@fund.example'])
    const before = await email.accounts.list()
    const again = await email.accounts.enrollAll(['hal@fund.example', 'GUS@fund.example'])
    expect(again).toEqual({ enrolled: ['hal@fund.example', 'gus@fund.example'], skipped: [] })
    expect(first.enrolled).toEqual(['gus@fund.example', 'hal@fund.example'])
    expect(await email.accounts.list()).toEqual(before)
  })

  it('says plainly that there is nothing to enroll without addresses or a listUsers hook', async () => {
    const bare = createEmailIntegration({ db: t.db, config, directory })
    await expect(bare.accounts.enrollAll()).rejects.toThrow(new ValidationError('addresses: required (the host has no listUsers hook)'))
    await bare.close()
    await expect(bare.accounts.enrollAll(['gus@fund.example'])).rejects.toMatchObject({ code: 'closed' })
  })
})
