import { afterEach, beforeEach, expect, it } from 'vitest'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { ANN } from '../helpers/team.js'
import { DANA_GMAIL, MESSAGE_IDS, PURGED_WORDS, purgeWorld, type PurgeWorld } from './purge-world.js'
import { databaseResidue } from './residue.js'

describeEachDialect('email.purge by identity, and what it refuses', (open) => {
  let t: TestDatabase
  let w: PurgeWorld

  beforeEach(async () => {
    t = await open()
    w = await purgeWorld(t)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('purges a contact by its directory address', async () => {
    const result = await w.email.purge({ identity: 'contact:c-1' }, { actor: 'eve@fund.example' })
    expect(result).toMatchObject({ emails: 3, attachments: 2, blobsRemoved: 1, addresses: 1 })
    expect(await w.storedMessageIds()).toEqual([MESSAGE_IDS.iota, MESSAGE_IDS.theta].sort())
    expect(await databaseResidue(t, [DANA_GMAIL, ...PURGED_WORDS])).toEqual([])
    const { items } = await w.email.auditLog.list({ action: 'mail.purged' })
    expect(items.map((e) => e.target)).toEqual([{ kind: 'identity', id: 'contact:c-1' }])
  })

  it('purges a fund by every stored address linked to it (by domain), in any role', async () => {
    const result = await w.email.purge({ identity: 'fund:7' })
    // kim@acme.vc took part in sigma (to), kappa, theta and iota; zeta never involved the fund.
    expect(result).toMatchObject({ emails: 4, attachments: 1, blobsRemoved: 0, addresses: 1 })
    expect(await w.storedMessageIds()).toEqual([MESSAGE_IDS.zeta])
    expect(await databaseResidue(t, ['kim@acme.vc', 'thetasubj', 'iotabody'])).toEqual([])
    // Zeta's files both stay: the shared one is still zeta's.
    const zeta = (await w.email.search('zetabody')).items[0]
    expect((await w.email.emails.get(zeta?.email.id ?? '')).attachments.map((a) => a.filename)).toEqual(['zetafile.pdf', 'terms.pdf'])
  })

  it('counts an identity with no address as nothing purged', async () => {
    expect(await w.email.purge({ identity: 'org:o-404' })).toEqual({ emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0, addresses: 0 })
    expect(await w.email.suppressions.list()).toEqual([])
  })

  it('refuses a bad target, a bare id and a teammate, erasing nothing', async () => {
    const refusals: [unknown, RegExp][] = [
      [{}, /exactly one of address and identity/],
      [{ address: DANA_GMAIL, identity: 'contact:c-1' }, /exactly one of address and identity/],
      [{ address: 'not an address' }, /^address: expected an email address/],
      [{ address: 7 }, /^address: expected an email address/],
      [{ identity: 'c-1' }, /^identity: expected a typed key/],
      [{ identity: 'grid:1' }, /^identity: expected a typed key/],
      [{ address: ANN }, /^address: a teammate's address/],
    ]
    for (const [target, message] of refusals) {
      await expect(w.email.purge(target as { address: string }), JSON.stringify(target)).rejects.toMatchObject({ status: 400, message: expect.stringMatching(message) as unknown })
    }
    await expect(w.email.purge({ address: DANA_GMAIL }, { actor: '' })).rejects.toMatchObject({ status: 400 })
    expect(await w.storedMessageIds()).toHaveLength(5)
    expect(await w.email.suppressions.list()).toEqual([])
  })
})
