import { afterEach, beforeEach, expect, it } from 'vitest'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { HOLDERS, SHARED_NAMES, sharingWorld, TEAM_ACCESS, type SharingWorld } from '../helpers/sharing-world.js'
import { ANN, BOB, CAT, DEE } from '../helpers/team.js'

describeEachDialect('the sharing rule', (open) => {
  let t: TestDatabase
  let w: SharingWorld

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('gives each reader the access the rule says: owners in full, others the most permissive live copy', async () => {
    for (const viewer of [ANN, BOB, CAT, DEE, null]) {
      for (const name of SHARED_NAMES) {
        const email = await w.email.emails.get(w.emails[name].emailId, { viewer })
        const owns = viewer !== null && (HOLDERS[name] as readonly string[]).includes(viewer)
        expect([viewer, name, email.access]).toEqual([viewer, name, owns ? 'owner' : TEAM_ACCESS[name]])
      }
    }
  })

  it('withholds what the level withholds, and names it', async () => {
    const gamma = await w.email.emails.get(w.emails.gamma.emailId, { viewer: DEE })
    expect(gamma).toMatchObject({ subject: '(private)', snippet: '', bodyText: '', attachments: [], withheld: ['subject', 'snippet', 'body', 'attachments'] })
    expect(gamma.from.address).toBe('dana@acme.vc')
    const beta = await w.email.emails.get(w.emails.beta.emailId, { viewer: DEE })
    expect(beta).toMatchObject({ subject: 'Update betasubj', snippet: '', bodyText: '', attachments: [], withheld: ['snippet', 'body', 'attachments'] })
    const own = await w.email.emails.get(w.emails.gamma.emailId, { viewer: 'Cat@Fund.Example' })
    expect(own.bodyText).toContain('gammabody')
    expect(own.attachments.map((a) => a.filename)).toEqual(['gammafile.pdf'])
  })
})
