import { expect, it } from 'vitest'
import type { AuditLogEntry, AuditLogPage } from '../../src/index.js'
import { describeEachDialect } from '../helpers/databases.js'
import { expectError } from '../helpers/http.js'
import { ANN, routerWorld } from '../helpers/router-world.js'

// GET /api/email/audit-log (src/http/routes/admin-routes.ts) and the actor the admin routes
// record: the signed-in admin (the test `authenticate` signs admins in as ann@fund.example).

describeEachDialect('the audit log route (tryHandle without a server)', (open) => {
  const world = routerWorld(open)
  const { db, get, post, emailId } = world

  const page = async (query: string): Promise<AuditLogPage> => {
    const answer = await get(`/api/email/audit-log${query}`)
    expect(answer.status, answer.text).toBe(200)
    return answer.body as AuditLogPage
  }
  const newest = async (action: string): Promise<AuditLogEntry | undefined> => (await page(`?action=${action}&limit=1`)).items[0]

  it('records the signed-in admin as the actor of every audited route', async () => {
    const id = await emailId('org')
    expect((await post(`/api/email/${id}/hide`)).status).toBe(200)
    expect(await newest('email.hidden')).toMatchObject({ actor: ANN, target: { kind: 'email', id } })
    expect((await post(`/api/email/${id}/restore`)).status).toBe(200)
    expect(await newest('email.restored')).toMatchObject({ actor: ANN, target: { kind: 'email', id } })
    expect((await post('/api/email/accounts/enroll', { address: 'fay@fund.example' })).status).toBe(200)
    expect(await newest('account.enrolled')).toMatchObject({ actor: ANN, target: { kind: 'account', id: 'fay@fund.example' }, details: { created: 1 } })
    expect((await post('/api/email/accounts/enroll-all', { addresses: ['gus@fund.example', 'x@else.example'] })).status).toBe(200)
    expect(await newest('account.enrolled')).toMatchObject({ actor: ANN, target: null, details: { enrolled: 1, created: 1, skipped: 1 } })
    expect((await post('/api/email/accounts/clear-search-fallback', { address: ANN })).status).toBe(200)
    expect(await newest('search_fallback.cleared')).toMatchObject({ actor: ANN, target: { kind: 'account', id: ANN } })
    // A refused call records nothing.
    const entryCount = async () => (await db().selectFrom('email_audit_log').select('id').execute()).length
    const count = await entryCount()
    expectError(await post(`/api/email/${id}/hide`, undefined, 'user'), 403, 'forbidden')
    expectError(await post('/api/email/999999/hide'), 404, 'not_found')
    expectError(await post('/api/email/accounts/clear-search-fallback', { address: 'nobody@fund.example' }), 404, 'not_found')
    expect(await entryCount()).toBe(count)
  })

  it('pages the log newest first and filters it by action', async () => {
    for (const name of ['fund', 'fundReply', 'org']) {
      const id = await emailId(name)
      expect((await post(`/api/email/${id}/hide`)).status).toBe(200)
      expect((await post(`/api/email/${id}/restore`)).status).toBe(200)
    }
    const all = await db().selectFrom('email_audit_log').select(['id', 'at']).orderBy('at', 'desc').orderBy('id', 'desc').execute()
    const walked: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? '?limit=4' : `?limit=4&cursor=${encodeURIComponent(cursor)}`
      const next = await page(query)
      expect(next.items.length).toBeLessThanOrEqual(4)
      walked.push(...next.items.map((e) => e.id))
      cursor = next.nextCursor
    } while (cursor !== null)
    expect(walked).toEqual(all.map((r) => String(r.id)))

    const hidden = await page('?action=email.hidden&limit=2')
    expect(hidden.items.map((e) => e.action)).toEqual(['email.hidden', 'email.hidden'])
    expect(hidden.items.map((e) => e.target?.id)).toEqual([await emailId('org'), await emailId('fundReply')])
    const rest = await page(`?action=email.hidden&cursor=${encodeURIComponent(hidden.nextCursor ?? '')}`)
    expect(rest.items.map((e) => e.target?.id)).toEqual([await emailId('fund')])
    expect(rest.nextCursor).toBeNull()
    expect((await page('')).items.length).toBe(Math.min(25, all.length))
  })

  it('answers admins only, and 400 for a bad limit, cursor, action or an unknown parameter', async () => {
    expectError(await get('/api/email/audit-log', 'user'), 403, 'forbidden')
    expectError(await get('/api/email/audit-log', 'anon'), 401, 'unauthenticated')
    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?cursor=abc', '?cursor=eyJ.abc', '?action=email.deleted', '?action=EMAIL.HIDDEN', '?actor=ann@fund.example', '?limit=1&limit=2']) {
      expectError(await get(`/api/email/audit-log${query}`), 400, 'validation_failed')
    }
    expectError(await post('/api/email/audit-log'), 405)
  })
})
