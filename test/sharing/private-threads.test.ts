import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { AuditLogEntry, EmailDatabase, EmailDetail, ThreadDetail, ThreadPage, ThreadSummary } from '../../src/index.js'
import { PRIVATE_SUBJECT } from '../../src/sharing/levels.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call, expectError, routerIntegration, type RouterIntegration } from '../helpers/http.js'
import { callAs, expectOnlyReadable, worldAccess, type ReaderName } from '../helpers/sharing-http.js'
import { sharingWorld, type SharingWorld } from '../helpers/sharing-world.js'
import { mail } from '../helpers/sync/setup.js'
import { buildMessage } from '../helpers/message.js'
import { ANN, CAT, DEE } from '../helpers/team.js'

// Private threads (SPEC §12) through their routes on both dialects: an owner of the thread's
// mailboxes marks it, everyone else reads it as metadata, its other owners still in full, and
// nobody else (an admin included) may change it.

describeEachDialect('private threads', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  let r: RouterIntegration

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const epsilon = () => w.emails.epsilon.threadId
  const mark = (reader: ReaderName, threadId: string, isPrivate = true) =>
    callAs(r.email, reader, 'POST', `/api/email/threads/${threadId}/${isPrivate ? 'private' : 'unprivate'}`)
  const summaryOf = async (reader: ReaderName, threadId: string): Promise<ThreadSummary | undefined> => {
    const answer = await callAs(r.email, reader, 'GET', '/api/email/threads?limit=100')
    expect(answer.status, answer.text).toBe(200)
    return (answer.body as ThreadPage).items.find((th) => th.id === threadId)
  }
  const detailOf = async (reader: ReaderName, threadId: string): Promise<ThreadDetail> => {
    const answer = await callAs(r.email, reader, 'GET', `/api/email/threads/${threadId}`)
    expect(answer.status, answer.text).toBe(200)
    return answer.body as ThreadDetail
  }
  const entries = async (): Promise<Pick<AuditLogEntry, 'action' | 'actor' | 'target' | 'details'>[]> => {
    const made = await w.email.auditLog.list({ limit: 100, action: 'thread.made_private' })
    const shared = await w.email.auditLog.list({ limit: 100, action: 'thread.made_shared' })
    return [...made.items, ...shared.items]
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map(({ action, actor, target, details }) => ({ action, actor, target, details }))
  }
  const privateRows = () => db().selectFrom('email_private_threads').select(['thread_id', 'marked_by']).execute()

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
    r = routerIntegration(t, w)
  })
  afterEach(async () => {
    expect(r.errors).toEqual([])
    await r.email.close()
    await w.close()
    await t.close()
  })

  it('an owner marks a thread private: a teammate and an admin see metadata, its other owner still in full; unprivate restores it', async () => {
    const marked = await mark('ann', epsilon())
    expect(marked.status, marked.text).toBe(200)
    expect(marked.body).toEqual({ id: epsilon(), private: true })

    const asMetadata = { ...worldAccess('dee'), epsilon: 'metadata' as const }
    for (const reader of ['dee', 'eve'] as const) {
      expect(await summaryOf(reader, epsilon())).toMatchObject({ subject: PRIVATE_SUBJECT, snippet: '', withheld: ['subject', 'snippet'], private: true, messageCount: 1 })
      const thread = await detailOf(reader, epsilon())
      expect(thread).toMatchObject({ subject: PRIVATE_SUBJECT, withheld: ['subject'], private: true })
      expect(thread.emails.map((e) => [e.access, e.withheld])).toEqual([['metadata', ['subject', 'snippet', 'body', 'attachments']]])
      expect(thread.emails[0]?.mailboxes).toEqual([ANN, CAT])
      expectOnlyReadable(JSON.stringify({ thread, list: await summaryOf(reader, epsilon()) }), asMetadata, w)
    }
    // The admin's detail and download follow the same access.
    const detail = await callAs(r.email, 'eve', 'GET', `/api/email/detail?id=${w.emails.epsilon.emailId}`)
    expect(detail.body).toMatchObject({ subject: PRIVATE_SUBJECT, bodyText: '', access: 'metadata' })
    expectOnlyReadable(detail.text, asMetadata, w)
    const file = await db().selectFrom('email_attachments').select('id').where('email_id', '=', Number(w.emails.epsilon.emailId)).executeTakeFirstOrThrow()
    expectError(await callAs(r.email, 'eve', 'GET', `/api/email/attachments/${file.id}`), 404, 'not_found')
    // Other threads keep their level.
    expect(await summaryOf('dee', w.emails.alpha.threadId)).toMatchObject({ subject: 'Update alphasubj', withheld: [], private: false })

    for (const owner of ['ann', 'cat'] as const) {
      expect(await summaryOf(owner, epsilon())).toMatchObject({ subject: 'Update epsilonsubj', withheld: [], private: true })
      const own = await detailOf(owner, epsilon())
      expect(own).toMatchObject({ subject: 'Update epsilonsubj', withheld: [], private: true })
      expect(own.emails[0]?.access).toBe('owner')
      expect(own.emails[0]?.snippet).toContain('epsilonbody')
    }
    expect((await w.email.emails.get(w.emails.epsilon.emailId, { viewer: CAT })).bodyText).toContain('epsilonbody')

    // The other owner shares it again.
    const shared = await mark('cat', epsilon(), false)
    expect(shared.body).toEqual({ id: epsilon(), private: false })
    expect(await summaryOf('dee', epsilon())).toMatchObject({ subject: 'Update epsilonsubj', withheld: [], private: false })
    expect((await w.email.emails.get(w.emails.epsilon.emailId, { viewer: DEE })).bodyText).toContain('epsilonbody')
    expect(await privateRows()).toEqual([])
    const target = { kind: 'thread', id: epsilon() }
    expect(await entries()).toEqual([
      { action: 'thread.made_private', actor: ANN, target, details: {} },
      { action: 'thread.made_shared', actor: CAT, target, details: {} },
    ])
  })

  it('only an owner of its mailboxes may change it: a teammate, an owner of other mailboxes and an admin who owns none get 403, and nothing changes', async () => {
    for (const reader of ['dee', 'bob', 'eve'] as const) {
      expectError(await mark(reader, epsilon()), 403, 'forbidden')
    }
    expect(await privateRows()).toEqual([])
    expect((await mark('ann', epsilon())).status).toBe(200)
    for (const reader of ['dee', 'bob', 'eve'] as const) {
      expectError(await mark(reader, epsilon(), false), 403, 'forbidden')
    }
    expect(await privateRows()).toEqual([{ thread_id: Number(epsilon()), marked_by: ANN }])
    expect((await entries()).map((e) => e.action)).toEqual(['thread.made_private'])
    // Not signed in: 401; the programmatic API wants an actor.
    expectError(await call(r.email, 'POST', `/api/email/threads/${epsilon()}/private`, { as: 'anon' }), 401, 'unauthenticated')
    await expect(w.email.threads.setPrivate(epsilon(), false, {})).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(w.email.threads.setPrivate(epsilon(), false, { actor: DEE })).rejects.toMatchObject({ code: 'forbidden' })
    await expect(w.email.threads.setPrivate(epsilon(), false, { actor: 'Cat@Fund.Example' })).resolves.toEqual({ id: epsilon(), private: false })
    // The mark and its entry share one transaction: without the log, nothing is marked.
    await db().schema.alterTable('email_audit_log').renameTo('email_audit_log_away').execute()
    await expect(w.email.threads.setPrivate(epsilon(), true, { actor: ANN })).rejects.toThrow()
    await db().schema.alterTable('email_audit_log_away').renameTo('email_audit_log').execute()
    expect(await privateRows()).toEqual([])
  })

  it('is idempotent, answers a merged thread as the thread it joined, and refuses bad and unknown ids', async () => {
    expect((await mark('ann', epsilon())).body).toEqual({ id: epsilon(), private: true })
    expect((await mark('cat', epsilon())).body).toEqual({ id: epsilon(), private: true })
    expect(await privateRows()).toEqual([{ thread_id: Number(epsilon()), marked_by: ANN }])
    expect((await mark('ann', epsilon(), false)).body).toEqual({ id: epsilon(), private: false })
    expect((await mark('ann', epsilon(), false)).body).toEqual({ id: epsilon(), private: false })
    expect((await entries()).map((e) => e.action)).toEqual(['thread.made_private', 'thread.made_shared'])

    // A thread merged into epsilon's stands for it.
    const now = new Date().toISOString()
    const redirect = await db()
      .insertInto('email_threads')
      .values({ subject: 'merged', created_at: now, updated_at: now, merged_into: Number(epsilon()) })
      .returning('id')
      .executeTakeFirstOrThrow()
    expect((await mark('cat', String(redirect.id))).body).toEqual({ id: epsilon(), private: true })
    expect(await detailOf('dee', String(redirect.id))).toMatchObject({ id: epsilon(), private: true, subject: PRIVATE_SUBJECT })
    expectError(await mark('dee', String(redirect.id)), 403, 'forbidden')

    for (const bad of ['abc', '0', '-1', '1.5', '99999999999']) expectError(await mark('ann', bad), 400, 'validation_failed')
    expectError(await mark('ann', '999999'), 404, 'not_found')
    const withBody = await call(r.email, 'POST', `/api/email/threads/${epsilon()}/private`, { as: 'anon', headers: { 'x-test-user': ANN }, json: { private: true } })
    expectError(withBody, 400, 'validation_failed')
  })

  it('an owner of one email of a thread marks the whole thread: the rest of it reads as metadata to everyone else', async () => {
    // A reply from ann's mailbox joins gamma's thread (cat's mailbox).
    const reply = mail({ from: ANN, to: ['dana@acme.vc'], subject: 'Follow-up replysubj', body: 'replybody here', date: new Date(Date.UTC(2026, 5, 20, 12)), inReplyTo: 'gamma@acme.vc' })
    w.emu.addMessage(ANN, reply.raw)
    await w.email.sync.runAll()
    expect(await summaryOf('dee', w.emails.gamma.threadId)).toMatchObject({ subject: 'Follow-up replysubj', messageCount: 2, private: false })
    expect((await mark('ann', w.emails.gamma.threadId)).status).toBe(200)

    const dee = await detailOf('dee', w.emails.gamma.threadId)
    expect(dee).toMatchObject({ subject: PRIVATE_SUBJECT, withheld: ['subject'], private: true })
    expect(dee.emails.map((e) => e.access)).toEqual(['metadata', 'metadata'])
    expect(JSON.stringify(dee)).not.toMatch(/replysubj|replybody|gammasubj|gammabody/)
    // Cat owns gamma, not the reply: gamma in full, the reply as metadata.
    const cat = await detailOf('cat', w.emails.gamma.threadId)
    expect(cat.emails.map((e) => [e.subject, e.access])).toEqual([['Update gammasubj', 'owner'], [PRIVATE_SUBJECT, 'metadata']])
    expect(await summaryOf('cat', w.emails.gamma.threadId)).toMatchObject({ subject: 'Update gammasubj', snippet: expect.stringContaining('gammabody') as string, withheld: [] })
    const ann = await detailOf('ann', w.emails.gamma.threadId)
    expect(ann.emails.map((e) => e.access)).toEqual(['metadata', 'owner'])
    // Either owner may share it again.
    expect((await mark('cat', w.emails.gamma.threadId, false)).body).toEqual({ id: w.emails.gamma.threadId, private: false })
    const detail = await callAs(r.email, 'eve', 'GET', `/api/email/detail?id=${w.emails.gamma.emailId}`)
    expect((detail.body as EmailDetail).access).toBe('metadata')
  })

  it('stays private when its thread joins another: the mark moves with the mail', async () => {
    // The older thread (the lower id) survives a merge: mark the one that joins it.
    const joining = String(Math.max(Number(w.emails.alpha.threadId), Number(epsilon())))
    expect((await mark('ann', joining)).status).toBe(200)
    // A reply in ann's mailbox refers to both alpha and epsilon: their threads merge.
    const joined = buildMessage({
      from: 'Dana <dana@acme.vc>',
      to: ANN,
      subject: 'Re: both joinedsubj',
      date: new Date(Date.UTC(2026, 5, 20, 12)),
      messageId: 'joined@acme.vc',
      inReplyTo: 'epsilon@acme.vc',
      references: ['alpha@acme.vc', 'epsilon@acme.vc'],
      text: 'joinedbody',
    })
    w.emu.addMessage(ANN, joined)
    await w.email.sync.runAll()
    const rows = await db().selectFrom('emails').select(['message_id', 'thread_id']).where('message_id', 'in', ['alpha@acme.vc', 'epsilon@acme.vc', 'joined@acme.vc']).execute()
    const threads = new Set(rows.map((row) => row.thread_id))
    expect(rows).toHaveLength(3)
    expect(threads.size).toBe(1)
    const [survivor] = [...threads].map(String)
    expect(await privateRows()).toEqual([{ thread_id: Number(survivor), marked_by: ANN }])
    const dee = await detailOf('dee', survivor ?? '')
    expect(dee.private).toBe(true)
    expect(dee.emails.map((e) => e.access)).toEqual(['metadata', 'metadata', 'metadata'])
    expect(JSON.stringify(dee)).not.toMatch(/alphasubj|alphabody|epsilonsubj|epsilonbody|joinedsubj|joinedbody/)
    expect((await detailOf('ann', survivor ?? '')).emails.map((e) => e.access)).toEqual(['owner', 'owner', 'owner'])
  })
})
