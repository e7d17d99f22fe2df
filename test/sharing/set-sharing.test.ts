import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createEmailIntegration, loadConfig, NotFoundError, ValidationError, type AuditAction, type EmailAccount, type EmailDatabase, type EmailIntegration, type IntegrationStatus, type SharingLevel } from '../../src/index.js'
import { cliEnvironment } from '../helpers/cli-process.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { expectError, messageOf, routerIntegration, type RouterIntegration } from '../helpers/http.js'
import { callAs, readersAuthenticate, sharingWorld, type ReaderName, type SharingWorld } from '../helpers/sharing-world.js'
import { DIRECTORY } from '../helpers/sync/setup.js'
import { ANN, BOB, CAT, DEE, EVE } from '../helpers/team.js'

// Choosing a mailbox's sharing level (SPEC §12) through accounts.setSharing and
// POST /api/email/accounts/sharing: who may, what is stored and audited, what the account list
// and the status show, and that the next read follows it. Pause and resume are audited here too.

const SHARING = '/api/email/accounts/sharing'

/** Each account's level as `[address, sharing, sharingIsDefault]`, by address. */
const levelsOf = (accounts: readonly EmailAccount[]) => accounts.map((a) => [a.address, a.sharing, a.sharingIsDefault])

/** The levels of the sharing world right after it is built: Dee and Eve never chose one. */
const WORLD_LEVELS = [
  [ANN, 'everything', false],
  [BOB, 'subject', false],
  [CAT, 'metadata', false],
  [DEE, 'everything', true],
  [EVE, 'everything', true],
]

describeEachDialect('choosing a sharing level', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  let routes: EmailIntegration
  let routed: RouterIntegration
  let extra: EmailIntegration | null

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const post = (as: ReaderName | 'anon', json: unknown) => callAs(routes, as, 'POST', SHARING, json)
  const accountIn = (answer: { status: number; text: string; body: unknown }): EmailAccount => {
    expect(answer.status, answer.text).toBe(200)
    return (answer.body as { account: EmailAccount }).account
  }
  /** The entries of one action, newest first, as `[actor, target, details]`. */
  const entries = async (action: AuditAction) =>
    (await w.email.auditLog.list({ action, limit: 50 })).items.map((e) => [e.actor, e.target?.id ?? null, e.details])
  const storedLevels = async () => (await db().selectFrom('email_accounts').select(['address', 'sharing']).orderBy('address').execute()).map((r) => [r.address, r.sharing])

  beforeEach(async () => {
    extra = null
    t = await open()
    w = await sharingWorld(t)
    routed = routerIntegration(t, w, { authenticate: readersAuthenticate })
    routes = routed.email
  })
  afterEach(async () => {
    // An answer of 500 logs an error: nothing these tests send may cause one.
    expect(routed.errors).toEqual([])
    await extra?.close()
    await routes.close()
    await w.close()
    await t.close()
  })

  it("lets the mailbox's owner set its level, and an admin anyone's; a teammate gets 403 and changes nothing", async () => {
    const before = await storedLevels()
    expectError(await post('dee', { address: BOB, level: 'everything' }), 403, 'forbidden')
    expectError(await post('ann', { address: BOB, level: 'everything' }), 403, 'forbidden')
    expectError(await post('anon', { address: BOB, level: 'everything' }), 401)
    expect(await storedLevels()).toEqual(before)

    const own = accountIn(await post('bob', { address: ' Bob@Fund.Example ', level: 'metadata' }))
    expect(own).toMatchObject({ address: BOB, sharing: 'metadata', sharingIsDefault: false, status: 'active' })
    const byAdmin = accountIn(await post('eve', { address: CAT, level: 'Everything' }))
    expect(byAdmin).toMatchObject({ address: CAT, sharing: 'everything', sharingIsDefault: false })
    const defaultPinned = accountIn(await post('dee', { address: DEE, level: 'everything' }))
    expect(defaultPinned).toMatchObject({ address: DEE, sharing: 'everything', sharingIsDefault: false })

    // Newest first; the world's own three choices were made by Eve through the API.
    const changes = await entries('account.sharing_changed')
    expect(changes.slice(0, 3)).toEqual([
      [DEE, DEE, { from: 'everything', to: 'everything', fromDefault: true }],
      [EVE, CAT, { from: 'metadata', to: 'everything', fromDefault: false }],
      [BOB, BOB, { from: 'subject', to: 'metadata', fromDefault: false }],
    ])
    expect(changes).toHaveLength(6)
    // Choosing the level a mailbox has is answered and writes nothing.
    expect(accountIn(await post('bob', { address: BOB, level: 'metadata' }))).toEqual(own)
    expect(await w.email.accounts.setSharing(CAT, 'everything')).toEqual(byAdmin)
    expect(await entries('account.sharing_changed')).toHaveLength(6)
    expect(await storedLevels()).toEqual([
      [ANN, 'everything'],
      [BOB, 'metadata'],
      [CAT, 'everything'],
      [DEE, 'everything'],
      [EVE, null],
    ])
  })

  it('answers 400 with the reason for a bad level or body, 404 for an address not enrolled, writing nothing', async () => {
    const before = await storedLevels()
    const bad = await post('eve', { address: BOB, level: 'public' })
    expectError(bad, 400, 'validation_failed')
    expect(messageOf(bad)).toBe('level: expected one of everything, subject, metadata, got "public"')
    expect(messageOf(await post('bob', { address: BOB }))).toBe('level: expected one of everything, subject, metadata, got a value of type undefined')
    for (const body of [{ address: BOB, level: 2 }, { address: BOB, level: null }, { level: 'subject' }, { address: 'bob', level: 'subject' }, { address: BOB, level: 'subject', actor: EVE }]) {
      expectError(await post('eve', body), 400, 'validation_failed')
    }
    expect(messageOf(await post('eve', { address: BOB, level: 'subject', actor: EVE }))).toBe('body: unknown field: actor')
    const unknown = await post('eve', { address: 'nobody@fund.example', level: 'subject' })
    expectError(unknown, 404, 'not_found')
    expect(messageOf(unknown)).toMatch(/nobody@fund\.example/)
    // A teammate learns nothing of which addresses are enrolled: 403 before any lookup.
    expectError(await post('dee', { address: 'nobody@fund.example', level: 'subject' }), 403, 'forbidden')

    await expect(w.email.accounts.setSharing(BOB, 'public' as SharingLevel)).rejects.toBeInstanceOf(ValidationError)
    await expect(w.email.accounts.setSharing('nobody@fund.example', 'subject')).rejects.toBeInstanceOf(NotFoundError)
    await expect(w.email.accounts.setSharing(BOB, 'everything', { actor: '' })).rejects.toBeInstanceOf(ValidationError)
    expect(await storedLevels()).toEqual(before)
    expect(await entries('account.sharing_changed')).toHaveLength(3)
  })

  it('changes nothing when its audit entry cannot be written: the level and its entry share one transaction', async () => {
    await db().schema.alterTable('email_audit_log').renameTo('email_audit_log_away').execute()
    await expect(w.email.accounts.setSharing(BOB, 'everything', { actor: EVE })).rejects.toThrow()
    await expect(w.email.accounts.pause(BOB, { actor: EVE })).rejects.toThrow()
    await db().schema.alterTable('email_audit_log_away').renameTo('email_audit_log').execute()
    const bob = await db().selectFrom('email_accounts').select(['sharing', 'status']).where('address', '=', BOB).executeTakeFirstOrThrow()
    expect(bob).toEqual({ sharing: 'subject', status: 'active' })
  })

  it("shows each account's level and whether it is the default in the account list and the status, for every user", async () => {
    expect(levelsOf(await w.email.accounts.list())).toEqual(WORLD_LEVELS)
    const listed = await callAs(routes, 'eve', 'GET', '/api/email/accounts')
    expect(levelsOf((listed.body as { items: EmailAccount[] }).items)).toEqual(WORLD_LEVELS)
    expectError(await callAs(routes, 'dee', 'GET', '/api/email/accounts'), 403, 'forbidden')
    const status = await callAs(routes, 'dee', 'GET', '/api/email/status')
    expect(status.status).toBe(200)
    expect(levelsOf((status.body as IntegrationStatus).accounts)).toEqual(WORLD_LEVELS)
  })

  it('shows the configured default for mailboxes without a level of their own, following CRM_GMAIL_DEFAULT_SHARING', async () => {
    const { env } = cliEnvironment(w.emu, w.attachmentsDir, DIRECTORY)
    extra = createEmailIntegration({ db: t.db, config: loadConfig({ ...env, CRM_GMAIL_DEFAULT_SHARING: 'metadata' }), directory: () => Promise.resolve(DIRECTORY) })
    expect(levelsOf((await extra.status()).accounts)).toEqual([
      [ANN, 'everything', false],
      [BOB, 'subject', false],
      [CAT, 'metadata', false],
      [DEE, 'metadata', true],
      [EVE, 'metadata', true],
    ])
    expect(levelsOf(await extra.accounts.list())).toEqual(levelsOf((await extra.status()).accounts))
    // A chosen level stays whatever the default; choosing the default's level pins it.
    expect(await extra.accounts.setSharing(EVE, 'metadata')).toMatchObject({ sharing: 'metadata', sharingIsDefault: false })
    expect((await w.email.accounts.list()).find((a) => a.address === EVE)).toMatchObject({ sharing: 'metadata', sharingIsDefault: false })
  })

  it('takes effect on the next read, whichever integration reads', async () => {
    const beta = w.emails.beta.emailId
    const asDee = () => w.email.emails.get(beta, { viewer: DEE })
    expect(await asDee()).toMatchObject({ access: 'subject', subject: 'Update betasubj', bodyText: '' })
    accountIn(await post('bob', { address: BOB, level: 'everything' }))
    const opened = await asDee()
    expect(opened.access).toBe('everything')
    expect(opened.bodyText).toContain('betabody')
    accountIn(await post('eve', { address: BOB, level: 'metadata' }))
    expect(await asDee()).toMatchObject({ access: 'metadata', subject: '(private)', bodyText: '' })
    // The owner still reads it in full.
    expect((await w.email.emails.get(beta, { viewer: BOB })).bodyText).toContain('betabody')
  })

  it('audits pause and resume with the signed-in admin as actor, once per change', async () => {
    expectError(await callAs(routes, 'dee', 'POST', '/api/email/accounts/pause', { address: ANN }), 403, 'forbidden')
    for (let i = 0; i < 2; i++) expect(accountIn(await callAs(routes, 'eve', 'POST', '/api/email/accounts/pause', { address: ANN })).status).toBe('paused')
    for (let i = 0; i < 2; i++) expect(accountIn(await callAs(routes, 'eve', 'POST', '/api/email/accounts/resume', { address: ANN })).status).toBe('active')
    await w.email.accounts.pause(BOB)
    await w.email.accounts.resume(CAT)
    expect(await entries('account.paused')).toEqual([
      [null, BOB, {}],
      [EVE, ANN, {}],
    ])
    expect(await entries('account.resumed')).toEqual([[EVE, ANN, { status: 'active' }]])
  })
})
