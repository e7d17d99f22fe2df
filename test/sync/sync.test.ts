import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]

describeEachDialect('sync', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    db = t.db as unknown as Kysely<EmailDatabase>
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('backfills, then follows history: new mail, deletions, trash and restore', async () => {
    const shared = mail({ from: 'dana@acme.vc', to: [ANN, BOB], subject: 'Term sheet' })
    const annCopy = w.emu.addMessage(ANN, shared.raw)
    w.emu.addMessage(BOB, shared.raw)
    w.emu.addMessage(ANN, mail({ from: 'news@letters.example', to: [ANN] }).raw)
    const first = await w.email.sync.run({ account: ANN })
    // Gmail's search lists only the CRM candidate: the newsletter is never listed nor read.
    expect(first).toMatchObject({ account: ANN, kind: 'backfill', status: 'ok', strategy: 'search', listed: 1, captured: 1, skipped: 0, failed: 0 })
    expect(first.unitsSpent).toBeGreaterThan(0)
    const bobRun = await w.email.sync.run({ account: BOB })
    // Content first: Bob's copy is one get, recognised as the email Ann's mailbox stored.
    expect(bobRun).toMatchObject({ kind: 'backfill', captured: 1, fetched: 1 })

    const reply = mail({ from: 'dana@acme.vc', to: [ANN], subject: 'Re: Term sheet', inReplyTo: shared.messageId })
    w.emu.addMessage(ANN, reply.raw)
    const second = await w.email.sync.run({ account: ANN })
    expect(second).toMatchObject({ kind: 'incremental', status: 'ok', captured: 1 })
    const threads = await db.selectFrom('emails').select(['message_id', 'thread_id']).execute()
    expect(new Set(threads.map((r) => r.thread_id)).size).toBe(1)

    w.emu.modifyLabels(ANN, annCopy.id, ['TRASH'], ['INBOX'])
    await w.email.sync.run({ account: ANN })
    const trashed = await db.selectFrom('email_copies').select(['deleted_at', 'label_ids']).where('gmail_id', '=', annCopy.id).executeTakeFirstOrThrow()
    expect(trashed.deleted_at).not.toBeNull()
    w.emu.modifyLabels(ANN, annCopy.id, ['INBOX'], ['TRASH'])
    await w.email.sync.run({ account: ANN })
    expect((await db.selectFrom('email_copies').select('deleted_at').where('gmail_id', '=', annCopy.id).executeTakeFirstOrThrow()).deleted_at).toBeNull()
    w.emu.deleteMessage(ANN, annCopy.id)
    await w.email.sync.run({ account: ANN })
    expect((await db.selectFrom('email_copies').select('deleted_at').where('gmail_id', '=', annCopy.id).executeTakeFirstOrThrow()).deleted_at).not.toBeNull()
    expect(await db.selectFrom('emails').select('id').execute()).toHaveLength(2)

    const runs = await db.selectFrom('email_sync_runs').select(['kind', 'status']).orderBy('id').execute()
    expect(runs.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok'])
  })

  it('catches up when history expired, recovering everything added in the gap', async () => {
    w.emu.addMessage(ANN, mail({ from: 'dana@acme.vc', to: [ANN] }).raw)
    await w.email.sync.run({ account: ANN })
    // Mail that arrives in the gap is received after the last good sync (Gmail filters `after:` by that date).
    const gap = [1, 2, 3].map(() => mail({ from: 'x@globex.example', to: [ANN], date: new Date() }))
    for (const m of gap) w.emu.addMessage(ANN, m.raw)
    w.emu.expireHistory(ANN)
    const report = await w.email.sync.run({ account: ANN })
    expect(report).toMatchObject({ kind: 'catchup', status: 'ok', captured: 3 })
    const ids = (await db.selectFrom('emails').select('message_id').execute()).map((r) => r.message_id)
    for (const m of gap) expect(ids).toContain(m.messageId)
    w.emu.addMessage(ANN, mail({ from: 'x@globex.example', to: [ANN] }).raw)
    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ kind: 'incremental', captured: 1 })
  })

  it('catches up a stale cursor without losing the deletions and label changes of the gap', async () => {
    const kept = w.emu.addMessage(ANN, mail({ from: 'dana@acme.vc', to: [ANN] }).raw)
    const trashed = w.emu.addMessage(ANN, mail({ from: 'dana@acme.vc', to: [ANN] }).raw)
    await w.email.sync.run({ account: ANN })
    w.emu.modifyLabels(ANN, trashed.id, ['TRASH'], ['INBOX'])
    w.emu.modifyLabels(ANN, kept.id, ['STARRED'], [])
    const fresh = mail({ from: 'x@globex.example', to: [ANN], date: new Date() })
    w.emu.addMessage(ANN, fresh.raw)
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString()
    await db.updateTable('email_accounts').set({ history_checked_at: monthAgo }).where('address', '=', ANN).execute()

    expect(await w.email.sync.run({ account: ANN })).toMatchObject({ kind: 'catchup', status: 'ok', captured: 1 })
    const copies = await db.selectFrom('email_copies').select(['gmail_id', 'deleted_at', 'label_ids']).execute()
    expect(copies.find((c) => c.gmail_id === trashed.id)?.deleted_at).not.toBeNull()
    expect(JSON.parse(copies.find((c) => c.gmail_id === kept.id)?.label_ids ?? '[]')).toContain('STARRED')
    expect((await db.selectFrom('emails').select('message_id').execute()).map((r) => r.message_id)).toContain(fresh.messageId)
    const account = await db.selectFrom('email_accounts').select(['history_id', 'history_checked_at']).where('address', '=', ANN).executeTakeFirstOrThrow()
    expect(account.history_id).toBe(w.emu.historyId(ANN))
    expect(account.history_checked_at).not.toBe(monthAgo)
  })

  it('syncs the whole team at once, each account once', async () => {
    for (const member of TEAM) w.emu.addMessage(member, mail({ from: 'dana@acme.vc', to: [member] }).raw)
    const reports = await w.email.sync.runAll()
    expect(reports.map((r) => r.account).sort()).toEqual([...TEAM].sort())
    expect(reports.every((r) => r.status === 'ok' && r.captured === 1)).toBe(true)
  })
})
