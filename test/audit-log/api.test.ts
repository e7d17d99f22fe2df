import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { MAX_ACTOR_LENGTH, NotFoundError, ValidationError, createEmailIntegration, type AuditAction, type AuditLogEntry, type EmailDatabase } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

// email.auditLog (src/audit-log/): each privileged action writes one entry with who did it,
// in the action's transaction where the action is one; entries hold ids and counts, never the
// mail's content; the log reads newest first, a page at a time, whole or by action.

const [ANN] = TEAM as [string, ...string[]]
const ADMIN = 'root@fund.example'
/** Words that occur only in the hidden email's subject, body and sender. */
const SUBJECT_WORD = 'Quokkabrief'
const BODY_WORD = 'Zanzibarite'
const SENDER = 'wombat.partner@acme.vc'

describeEachDialect('the audit log (email.auditLog)', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let secretId = ''

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const entries = async (action?: AuditLogEntry['action']) => (await w.email.auditLog.list({ limit: 100, action })).items
  const rows = () => db().selectFrom('email_audit_log').selectAll().orderBy('id').execute()

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    const secret = mail({ from: SENDER, to: [ANN], subject: `${SUBJECT_WORD} term sheet`, body: `The ${BODY_WORD} valuation cap is final.` })
    w.emu.addMessage(ANN, secret.raw)
    await w.email.sync.runAll()
    const row = await db().selectFrom('emails').select('id').where('message_id', '=', secret.messageId).executeTakeFirstOrThrow()
    secretId = String(row.id)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('writes one entry per enrolment, and one per enrollAll call with its counts', async () => {
    // The world enrolled the team from the host's code: no actor.
    const team = await entries('account.enrolled')
    expect(team.map((e) => e.target?.id).sort()).toEqual([...TEAM].sort())
    for (const e of team) expect(e).toMatchObject({ actor: null, target: { kind: 'account' }, details: { enrolled: 1, created: 1, skipped: 0 } })

    await w.email.accounts.enroll('fay@fund.example', { actor: ADMIN })
    await w.email.accounts.enroll('FAY@fund.example')
    const [again, first] = await entries('account.enrolled')
    expect(first).toMatchObject({ actor: ADMIN, action: 'account.enrolled', target: { kind: 'account', id: 'fay@fund.example' }, details: { enrolled: 1, created: 1, skipped: 0 } })
    expect(again).toMatchObject({ actor: null, target: { kind: 'account', id: 'fay@fund.example' }, details: { created: 0 } })

    const before = (await rows()).length
    await w.email.accounts.enrollAll(['gus@fund.example', 'fay@fund.example', 'x@elsewhere.example', 'not an address'], { actor: ADMIN })
    const after = await rows()
    expect(after.length).toBe(before + 1)
    const [batch] = await entries('account.enrolled')
    expect(batch).toMatchObject({ actor: ADMIN, target: null, details: { enrolled: 2, created: 1, skipped: 2 } })
    // A refused call wrote nothing.
    await expect(w.email.accounts.enroll('x@elsewhere.example', { actor: ADMIN })).rejects.toBeInstanceOf(ValidationError)
    await expect(w.email.accounts.enrollAll([1] as unknown as string[], { actor: ADMIN })).rejects.toBeInstanceOf(ValidationError)
    expect((await rows()).length).toBe(before + 1)
  })

  it('writes an entry when a search fallback is cleared, none for an unknown account', async () => {
    await db().updateTable('email_accounts').set({ search_fallback_at: new Date().toISOString(), search_fallback_reason: 'missed 1' }).where('address', '=', ANN).execute()
    await w.email.accounts.clearSearchFallback(ANN, { actor: ADMIN })
    await w.email.accounts.clearSearchFallback(ANN)
    const cleared = await entries('search_fallback.cleared')
    expect(cleared.map((e) => [e.actor, e.target])).toEqual([
      [null, { kind: 'account', id: ANN }],
      [ADMIN, { kind: 'account', id: ANN }],
    ])
    await expect(w.email.accounts.clearSearchFallback('nobody@fund.example', { actor: ADMIN })).rejects.toBeInstanceOf(NotFoundError)
    expect(await entries('search_fallback.cleared')).toHaveLength(2)
  })

  it('writes an entry per hide and restore: the actor given, else hide\'s by, restore\'s none', async () => {
    const thread = await db().selectFrom('emails').select('thread_id').where('id', '=', Number(secretId)).executeTakeFirstOrThrow()
    await w.email.emails.hide(secretId, ANN)
    await w.email.emails.restore(secretId)
    await w.email.emails.hide(secretId, ANN, { actor: ADMIN })
    await w.email.emails.restore(secretId, { actor: ADMIN })
    const log = (await entries()).filter((e) => e.action.startsWith('email.'))
    expect(log.map((e) => [e.action, e.actor])).toEqual([
      ['email.restored', ADMIN],
      ['email.hidden', ADMIN],
      ['email.restored', null],
      ['email.hidden', ANN],
    ])
    for (const e of log) expect(e).toMatchObject({ target: { kind: 'email', id: secretId }, details: { threadId: String(thread.thread_id) } })
    // Nothing done, nothing written: an unknown email, or a bad actor (checked before the write).
    await expect(w.email.emails.hide('999999', ANN, { actor: ADMIN })).rejects.toBeInstanceOf(NotFoundError)
    for (const actor of ['', '   ', 'x'.repeat(MAX_ACTOR_LENGTH + 1), 7 as unknown as string]) {
      await expect(w.email.emails.hide(secretId, ANN, { actor })).rejects.toBeInstanceOf(ValidationError)
      await expect(w.email.accounts.enroll('hal@fund.example', { actor })).rejects.toBeInstanceOf(ValidationError)
    }
    expect((await w.email.threads.list({ limit: 100 })).items.some((th) => th.subject.includes(SUBJECT_WORD))).toBe(true)
    expect((await entries()).filter((e) => e.action.startsWith('email.'))).toHaveLength(4)
    expect((await w.email.accounts.list()).some((a) => a.address === 'hal@fund.example')).toBe(false)
  })

  it('hides nothing when its entry cannot be written: the hide and its entry share one transaction', async () => {
    await db().schema.alterTable('email_audit_log').renameTo('email_audit_log_away').execute()
    await expect(w.email.emails.hide(secretId, ANN)).rejects.toThrow()
    await expect(w.email.accounts.clearSearchFallback(ANN)).rejects.toThrow()
    await db().schema.alterTable('email_audit_log_away').renameTo('email_audit_log').execute()
    const row = await db().selectFrom('emails').select(['hidden_at', 'hidden_by']).where('id', '=', Number(secretId)).executeTakeFirstOrThrow()
    expect(row).toEqual({ hidden_at: null, hidden_by: null })
    expect((await w.email.search(SUBJECT_WORD)).items).toHaveLength(1)
    expect(await entries('email.hidden')).toEqual([])
  })

  it('keeps no subject, body or participant address in any entry', async () => {
    await w.email.emails.hide(secretId, ANN, { actor: ADMIN })
    await w.email.emails.restore(secretId, { actor: ADMIN })
    await w.email.emails.hide(secretId, ANN)
    const stored = JSON.stringify(await rows())
    expect(stored).toContain(`"${secretId}"`)
    for (const word of [SUBJECT_WORD, BODY_WORD, SENDER, 'term sheet', 'valuation']) expect(stored.toLowerCase()).not.toContain(word.toLowerCase())
  })

  it('reads newest first, a page at a time across entries of one instant, whole or by action', async () => {
    const at = new Date('2099-07-01T09:00:00.000Z')
    const fixed = createEmailIntegration({ db: t.db, config: { workspaceDomains: ['fund.example'] }, directory: () => Promise.resolve([]), clock: { now: () => at } })
    try {
      for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) await fixed.accounts.enroll(`${name}@fund.example`, { actor: ADMIN })
      await fixed.emails.hide(secretId, ANN)
      at.setTime(at.getTime() + 1000)
      await fixed.emails.restore(secretId)
      const all = await rows()
      const expected = [...all].sort((a, b) => (a.at === b.at ? b.id - a.id : a.at < b.at ? 1 : -1)).map((r) => String(r.id))
      const walked: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await fixed.auditLog.list({ limit: 2, cursor })
        expect(page.items.length).toBeLessThanOrEqual(2)
        walked.push(...page.items.map((e) => e.id))
        cursor = page.nextCursor ?? undefined
        pages += 1
      } while (cursor !== undefined)
      expect(walked).toEqual(expected)
      expect(pages).toBe(Math.ceil(all.length / 2))
      expect((await fixed.auditLog.list({ limit: 1 })).items[0]).toMatchObject({ action: 'email.restored', at: at.toISOString() })

      const enrolled = await fixed.auditLog.list({ action: 'account.enrolled', limit: 3 })
      expect(enrolled.items.map((e) => e.target?.id)).toEqual(['p5@fund.example', 'p4@fund.example', 'p3@fund.example'])
      const rest = await fixed.auditLog.list({ action: 'account.enrolled', limit: 100, cursor: enrolled.nextCursor ?? '' })
      expect(rest.items.map((e) => e.target?.id).slice(0, 2)).toEqual(['p2@fund.example', 'p1@fund.example'])
      expect(rest.items.every((e) => e.action === 'account.enrolled')).toBe(true)
      expect(rest.nextCursor).toBeNull()
      expect((await fixed.auditLog.list({ action: 'search_fallback.cleared' })).items).toEqual([])

      const forged = `${enrolled.nextCursor?.slice(0, -2) ?? ''}xx`
      await expect(fixed.auditLog.list({ cursor: forged })).rejects.toBeInstanceOf(ValidationError)
      await expect(fixed.auditLog.list({ cursor: 5 as unknown as string })).rejects.toBeInstanceOf(ValidationError)
      await expect(fixed.auditLog.list({ limit: 0 })).rejects.toBeInstanceOf(ValidationError)
      await expect(fixed.auditLog.list({ limit: 101 })).rejects.toBeInstanceOf(ValidationError)
      await expect(fixed.auditLog.list({ action: 'email.deleted' as AuditAction })).rejects.toThrow(/^action: expected one of email\.hidden, /)
    } finally {
      await fixed.close()
    }
  })
})
