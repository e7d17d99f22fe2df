import { existsSync, statSync } from 'node:fs'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createBlobStore } from '../../src/db/blob-store.js'
import { createEmailIntegration, NotFoundError, type EmailConfigInput, type EmailIntegration } from '../../src/index.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call, expectError, routerIntegration } from '../helpers/http.js'
import { sharingWorld, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { ANN, CAT, EVE } from '../helpers/team.js'
import { dbOf, halfDeleted, lifecycleSnapshot } from './lifecycle-checks.js'

// Retention on both dialects: exactly the mail sent before the cutoff goes, everywhere; what is
// kept stays whole and searchable, with the files it shares; the audit entry; 0 keeps all; the
// scheduler runs it after a sync, once a day; the admin route.

/** The sharing world's mail is sent June 1 to 5 at noon: ten days before this, the cutoff is gamma's instant. */
const NOW = new Date('2026-06-13T12:00:00.000Z')
const CUTOFF = '2026-06-03T12:00:00.000Z'

/** An old email (May 1) in Ann's mailbox whose attachment is byte for byte epsilon's. */
const ZETA = 'zeta@acme.vc'

describeEachDialect('email.retention', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  const made: EmailIntegration[] = []

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
    w.emu.addMessage(
      ANN,
      mailWithAttachments({
        to: ANN,
        messageId: ZETA,
        date: new Date(Date.UTC(2026, 4, 1, 12)),
        subject: 'Old zetasubj',
        text: 'zetabody',
        files: [{ name: 'epsilon-again.pdf', bytes: Buffer.from('%PDF-1.4 epsilon bytes'), type: 'application/pdf' }],
      }),
    )
    await w.email.sync.runAll()
    await w.email.attachments.downloadPending()
  })
  afterEach(async () => {
    for (const email of made.splice(0)) await email.close()
    await w.close()
    await t.close()
  })

  /** An integration on the world's database and store, at {@link NOW}, with this retention. */
  const at = (config: EmailConfigInput, logged: string[] = []) => {
    const email = createEmailIntegration({
      db: t.db,
      config: { attachmentsDir: w.attachmentsDir, ...config },
      directory: () => Promise.resolve([]),
      clock: { now: () => NOW },
      logger: { info: (_fields, message) => logged.push(message) },
    })
    made.push(email)
    return email
  }
  const fileOf = async (name: SharedName) => {
    const row = await dbOf(t).selectFrom('email_attachments').select('sha256').where('email_id', '=', Number(w.emails[name].emailId)).executeTakeFirstOrThrow()
    return createBlobStore(w.attachmentsDir).pathOf(row.sha256 ?? '')
  }
  const messageIds = async () => (await dbOf(t).selectFrom('emails').select('message_id').orderBy('message_id').execute()).map((e) => e.message_id)

  it('erases exactly the mail sent before the cutoff, everywhere; the rest stays whole and searchable, with the files it shares', async () => {
    const gone = [await fileOf('alpha'), await fileOf('beta')]
    const kept = await Promise.all((['gamma', 'delta', 'epsilon'] as const).map(fileOf))
    const freed = gone.reduce((sum, path) => sum + statSync(path).size, 0)

    const report = await at({ retentionDays: 10 }).retention.run({ actor: EVE })

    expect(report).toEqual({ retentionDays: 10, cutoff: CUTOFF, emails: 3, attachments: 3, blobsRemoved: 2, bytesFreed: freed })
    // Gamma was sent at the cutoff itself: not before it, so kept.
    expect(await messageIds()).toEqual(['delta@acme.vc', 'epsilon@acme.vc', 'gamma@acme.vc'])
    for (const name of ['alpha', 'beta'] as const) await expect(w.email.emails.get(w.emails[name].emailId)).rejects.toBeInstanceOf(NotFoundError)
    for (const path of gone) expect(existsSync(path)).toBe(false)
    for (const path of kept) expect(existsSync(path)).toBe(true)
    expect((await w.email.emails.get(w.emails.epsilon.emailId)).attachments.map((a) => a.status)).toEqual(['stored'])
    for (const word of ['alphabody', 'betasubj', 'zetabody']) expect([word, (await w.email.search(word, { viewer: ANN })).items]).toEqual([word, []])
    expect((await w.email.search('gammabody', { viewer: CAT })).items.map((i) => i.email.id)).toEqual([w.emails.gamma.emailId])
    expect((await w.email.search('epsilonbody')).items.map((i) => i.email.id)).toEqual([w.emails.epsilon.emailId])
    expect((await w.email.threads.list({ limit: 50 })).items.map((th) => th.subject).sort()).toEqual(['Update deltasubj', 'Update epsilonsubj', '(private)'].sort())
    expect(await halfDeleted(t, w.attachmentsDir)).toEqual([])

    const entries = (await w.email.auditLog.list({ action: 'mail.expired' })).items
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actor: EVE, target: null, details: { ...report } })
  })

  it('runs again with nothing to erase: an entry only when a principal asked', async () => {
    const email = at({ retentionDays: 10 })
    await email.retention.run()
    expect(await email.retention.run({ actor: EVE })).toEqual({ retentionDays: 10, cutoff: CUTOFF, emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0 })
    await email.retention.run()
    const entries = (await w.email.auditLog.list({ action: 'mail.expired' })).items
    expect(entries.map((e) => [e.actor, e.details.emails])).toEqual([
      [EVE, 0],
      [null, 3],
    ])
  })

  it('keeps everything with 0 and says so', async () => {
    const logged: string[] = []
    const before = await lifecycleSnapshot(t, w.attachmentsDir)
    const report = await at({ retentionDays: 0 }, logged).retention.run({ actor: EVE })
    expect(report).toEqual({ retentionDays: 0, cutoff: null, emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0 })
    expect(logged).toContainEqual(expect.stringMatching(/retention is off/))
    expect(await lifecycleSnapshot(t, w.attachmentsDir)).toEqual(before)
    expect((await w.email.auditLog.list({ action: 'mail.expired' })).items).toEqual([])
  })

  it('is run by the scheduler after a sync, at most once a day', async () => {
    // The system clock: the world's June mail is all older than 30 days.
    const email = w.integration({ retentionDays: 30 })
    made.push(email)
    await email.scheduler.runNow().reports
    expect(await messageIds()).toEqual([])
    expect((await w.email.auditLog.list({ action: 'mail.expired' })).items.map((e) => [e.actor, e.details.emails])).toEqual([[null, 6]])

    w.emu.addMessage(ANN, mailWithAttachments({ to: ANN, messageId: 'late@acme.vc', date: new Date(Date.UTC(2026, 5, 7, 12)), files: [] }))
    await email.scheduler.runNow().reports
    // Synced, and left to the next day's run.
    expect(await messageIds()).toEqual(['late@acme.vc'])
    expect((await w.email.auditLog.list({ action: 'mail.expired' })).items).toHaveLength(1)
  })

  it('a backfill with retention on does not capture mail older than the cutoff', async () => {
    const fay = 'fay@fund.example'
    const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 60 * 60 * 1000)
    w.emu.addMailbox(fay)
    w.emu.addMessage(fay, mailWithAttachments({ to: fay, messageId: 'old@acme.vc', date: daysAgo(40), files: [] }))
    w.emu.addMessage(fay, mailWithAttachments({ to: fay, messageId: 'recent@acme.vc', date: daysAgo(20), files: [] }))
    const email = w.integration({ retentionDays: 30 })
    made.push(email)
    await email.accounts.enroll(fay)
    const report = await email.sync.run({ account: fay })
    expect(report).toMatchObject({ kind: 'backfill', status: 'ok', captured: 1 })
    expect(await messageIds()).toContain('recent@acme.vc')
    expect(await messageIds()).not.toContain('old@acme.vc')
  })

  it('POST /api/email/retention/run: admins only; the signed-in admin is the actor', async () => {
    const { email } = routerIntegration(t, w, { config: { retentionDays: 30 } })
    made.push(email)
    expectError(await call(email, 'POST', '/api/email/retention/run', { as: 'user' }), 403, 'forbidden')
    expectError(await call(email, 'POST', '/api/email/retention/run', { as: 'anon' }), 401)
    expectError(await call(email, 'POST', '/api/email/retention/run', { as: 'admin', json: { days: 1 } }), 400, 'validation_failed')
    expect(await messageIds()).toHaveLength(6)
    const answer = await call(email, 'POST', '/api/email/retention/run', { as: 'admin' })
    expect(answer.status, answer.text).toBe(200)
    expect(answer.body).toMatchObject({ retentionDays: 30, emails: 6, attachments: 6, blobsRemoved: 5 })
    expect(await messageIds()).toEqual([])
    expect((await email.auditLog.list({ action: 'mail.expired' })).items[0]?.actor).toBe(ANN)
  })
})
