import { afterEach, beforeEach, expect, it, describe } from 'vitest'
import { createDigestTimer } from '../../src/digest/timer.js'
import { createEmailIntegration, type Digest } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

describe('the digest timer', () => {
  it('checks periodically, never overlapping, survives failures, and stops cleanly', async () => {
    let calls = 0
    let inFlight = 0
    let maxInFlight = 0
    const timer = createDigestTimer({
      everyMs: 5,
      logger: silent,
      runScheduled: async () => {
        calls += 1
        inFlight += 1
        maxInFlight = Math.max(maxInFlight, inFlight)
        await new Promise((r) => setTimeout(r, 15))
        inFlight -= 1
        if (calls === 2) throw new Error('model down')
        return { sent: false, reason: 'before digest hour', period: '2026-06-01' }
      },
    })
    timer.start()
    timer.start()
    await new Promise((r) => setTimeout(r, 120))
    await timer.stop()
    const after = calls
    await new Promise((r) => setTimeout(r, 30))
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(calls).toBe(after)
    expect(maxInFlight).toBe(1)
  })
})

describeEachDialect('the digest through the integration', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    w.emu.addMessage(TEAM[0]!, mail({ from: 'partner@acme.vc', to: [TEAM[0]!], subject: 'Quarterly letter', date: new Date() }).raw)
    await w.email.sync.runAll()
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('previews over the routes and sends through the host hook', async () => {
    const delivered: Digest[] = []
    const email = createEmailIntegration({
      db: t.db,
      config: { ...w.email.config, attachmentsDir: w.attachmentsDir },
      directory: () => Promise.resolve(DIRECTORY),
      authenticate: (req) => Promise.resolve(req.headers.has('x-admin') ? { userId: 'a', email: TEAM[0]!, isAdmin: true } : null),
      deliverDigest: (digest) => {
        delivered.push(digest)
        return Promise.resolve()
      },
    })
    const response = await email.tryHandle(
      new Request('http://crm.local/api/admin/digest/preview', { method: 'POST', headers: { 'x-admin': '1', 'content-type': 'application/json' }, body: '{"hours":24}' }),
    )
    expect(response?.status).toBe(200)
    const preview = (await response?.json()) as Digest
    expect(preview.groups.map((g) => g.identity.key)).toEqual(['fund:7'])
    expect(preview.groups[0]?.threads[0]?.subject).toBe('Quarterly letter')
    expect(preview.summarizer).toBe('extractive')
    await email.digest.send({ hours: 24 })
    expect(delivered).toHaveLength(1)
    await email.close()
  })
})
