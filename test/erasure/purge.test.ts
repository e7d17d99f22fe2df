import { afterEach, beforeEach, expect, it } from 'vitest'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { ANN } from '../helpers/team.js'
import { DANA_GMAIL, KEPT_WORDS, MESSAGE_IDS, PURGED_IDS, PURGED_WORDS, purgeWorld, type PurgeWorld } from './purge-world.js'
import { databaseResidue, filesUnder, storeResidue } from './residue.js'

describeEachDialect('email.purge', (open) => {
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

  it('leaves no byte of the address or its emails in the database, the index or the attachment store', async () => {
    // The world holds them before: the probe would see them.
    expect(await databaseResidue(t, [DANA_GMAIL, 'zetasubj', 'kappabody'])).not.toEqual([])
    expect(storeResidue(w.attachmentsDir, [w.zetaFile])).not.toEqual([])

    const result = await w.email.purge({ address: 'Dana@Gmail.com' }, { actor: 'eve@fund.example' })

    expect(result).toMatchObject({ emails: 3, attachments: 2, blobsRemoved: 1, addresses: 1 })
    expect(result.bytesFreed).toBe(w.zetaFile.byteLength)
    expect(await databaseResidue(t, [DANA_GMAIL, ...PURGED_WORDS])).toEqual([])
    expect(storeResidue(w.attachmentsDir, [w.zetaFile, ...PURGED_WORDS])).toEqual([])
    for (const word of PURGED_WORDS) expect((await w.email.search(word)).items, word).toEqual([])
  })

  it('keeps the mail that does not involve the address whole and findable, its thread included', async () => {
    await w.email.purge({ address: DANA_GMAIL })
    expect(await w.storedMessageIds()).toEqual([MESSAGE_IDS.iota, MESSAGE_IDS.theta].sort())
    for (const word of KEPT_WORDS) expect((await w.email.search(word)).items, word).toHaveLength(1)
    // The shared file stays for theta; zeta's own file is gone.
    expect(storeResidue(w.attachmentsDir, [w.sharedFile])).toHaveLength(1)
    expect(filesUnder(w.attachmentsDir)).toHaveLength(1)
    const theta = (await w.email.search('thetabody')).items[0]
    const email = await w.email.emails.get(theta?.email.id ?? '')
    expect(email.attachments.map((a) => a.filename)).toEqual(['terms.pdf'])
    // Kim's reply stays in zeta's thread, which now reads as the reply.
    const { items } = await w.email.threads.list({ viewer: ANN })
    expect(items.map((thread) => [thread.subject, thread.messageCount])).toEqual([
      ['Re: Lunch', 1],
      ['Deal thetasubj', 1],
    ])
  })

  it('records mail.purged with its counts, never the address', async () => {
    const result = await w.email.purge({ address: DANA_GMAIL }, { actor: 'eve@fund.example' })
    const { items } = await w.email.auditLog.list({ action: 'mail.purged' })
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ actor: 'eve@fund.example', target: { kind: 'address' }, details: { ...result } })
    expect(items[0]?.target?.id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(JSON.stringify(items).toLowerCase()).not.toContain('dana')
  })

  it('never captures the address again, until it is taken off the suppression list', async () => {
    await w.email.purge({ address: DANA_GMAIL })
    // New mail from her arrives, and the sync runs over a mailbox that still holds the old.
    w.emu.addMessage(ANN, buildLate())
    await w.email.sync.runAll()
    expect(await w.storedMessageIds()).toEqual([MESSAGE_IDS.iota, MESSAGE_IDS.theta].sort())
    expect(await databaseResidue(t, [DANA_GMAIL, 'lambdasubj'])).toEqual([])

    const [entry] = await w.email.suppressions.list()
    expect(entry?.hash).toMatch(/^sha256:/)
    await w.email.suppressions.remove('DANA@gmail.com', { actor: 'eve@fund.example' })
    expect(await w.email.suppressions.list()).toEqual([])
    await w.email.sync.runAll()
    expect(await w.storedMessageIds()).toEqual([...PURGED_IDS, MESSAGE_IDS.iota, MESSAGE_IDS.theta, 'lambda-1@mail.example'].sort())
    const { items } = await w.email.auditLog.list({ action: 'suppression.removed' })
    expect(items.map((e) => [e.actor, e.target?.id])).toEqual([['eve@fund.example', entry?.hash]])
  })

  it('is a no-op the second time, the address staying suppressed once', async () => {
    await w.email.purge({ address: DANA_GMAIL })
    expect(await w.email.purge({ address: DANA_GMAIL })).toEqual({ emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0, addresses: 1 })
    expect(await w.email.suppressions.list()).toHaveLength(1)
  })
})

function buildLate(): string {
  return [
    `From: Dana Diaz <${DANA_GMAIL}>`,
    `To: ${ANN}`,
    'Subject: Again lambdasubj',
    'Date: Mon, 08 Jun 2026 12:00:00 +0000',
    'Message-ID: <lambda-1@mail.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The lambdabody note.',
  ].join('\r\n')
}
