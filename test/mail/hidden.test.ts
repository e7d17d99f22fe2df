import { expect, it } from 'vitest'
import type { HiddenPage, ThreadDetail } from '../../src/index.js'
import { describeEachDialect } from '../helpers/databases.js'
import { expectError } from '../helpers/http.js'
import { day, routerWorld } from '../helpers/router-world.js'

// The list of hidden mail: `email.emails.listHidden` and `GET /api/email/hidden` (admin), most
// recently hidden first, paged with a cursor, so an admin can find what to restore.

const ADMIN = 'ann@fund.example'

describeEachDialect('hidden mail: GET /api/email/hidden and email.emails.listHidden', (open) => {
  const world = routerWorld(open)
  const { db, get, post, emailId, page } = world

  /** Hides emails through the route, then dates their hiding as given (two share an instant). */
  async function hideAll(hiddenAt: Record<string, string>): Promise<Record<string, string>> {
    const ids: Record<string, string> = {}
    for (const [name, at] of Object.entries(hiddenAt)) {
      ids[name] = await emailId(name)
      expect((await post(`/api/email/${ids[name]}/hide`)).status).toBe(200)
      await db().updateTable('emails').set({ hidden_at: at }).where('id', '=', Number(ids[name])).execute()
    }
    return ids
  }

  async function walk(limit: number): Promise<string[]> {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const answer = await get(`/api/email/hidden?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      expect(answer.status, answer.text).toBe(200)
      const body = answer.body as HiddenPage
      expect(body.items.length).toBeLessThanOrEqual(limit)
      seen.push(...body.items.map((i) => i.id))
      cursor = body.nextCursor
      pages += 1
      expect(pages).toBeLessThan(20)
    } while (cursor !== null)
    return seen
  }

  it('lists hidden mail most recently hidden first, with who hid it, and pages through it without a gap or a repeat', async () => {
    expect(await get('/api/email/hidden')).toMatchObject({ status: 200, body: { items: [], nextCursor: null } })
    const ids = await hideAll({
      fund: '2026-07-01T10:00:00.000Z',
      org: '2026-07-03T10:00:00.000Z',
      contact: '2026-07-02T10:00:00.000Z',
      late: '2026-07-02T10:00:00.000Z',
    })
    await db().updateTable('emails').set({ hidden_by: null }).where('id', '=', Number(ids.fund)).execute()
    // Ties in hidden_at come newest id first.
    const [tieFirst, tieSecond] = [ids.contact, ids.late].sort((a, b) => Number(b) - Number(a))
    const expected = [ids.org, tieFirst, tieSecond, ids.fund]

    const all = (await get('/api/email/hidden')).body as HiddenPage
    expect(all.nextCursor).toBeNull()
    expect(all.items.map((i) => i.id)).toEqual(expected)
    const org = all.items[0]
    expect(org).toEqual({
      id: ids.org,
      threadId: expect.any(String) as string,
      subject: 'Globex intro',
      withheld: [],
      from: { address: 'ceo@globex.example', name: null },
      date: day(3).toISOString(),
      hiddenAt: '2026-07-03T10:00:00.000Z',
      hiddenBy: ADMIN,
    })
    expect(all.items.at(-1)).toMatchObject({ subject: 'Fund update', hiddenBy: null })
    for (const limit of [1, 2, 3]) expect(await walk(limit), `limit ${limit}`).toEqual(expected)

    // The programmatic API answers the same pages.
    const first = await world.http.emails.listHidden({ limit: 2 })
    expect(first.items.map((i) => i.id)).toEqual(expected.slice(0, 2))
    const rest = await world.http.emails.listHidden({ limit: 2, cursor: first.nextCursor ?? '' })
    expect(rest).toEqual({ items: all.items.slice(2), nextCursor: null })
  })

  it('a restored email leaves the list and comes back to its thread', async () => {
    const ids = await hideAll({ late: '2026-07-01T10:00:00.000Z', org: '2026-07-02T10:00:00.000Z' })
    expect((await page('?limit=100')).items.map((t) => t.subject)).not.toContain('Capital call')
    expect((await post(`/api/email/${ids.late}/restore`)).status).toBe(200)
    const listed = (await get('/api/email/hidden')).body as HiddenPage
    expect(listed.items.map((i) => i.id)).toEqual([ids.org])
    const thread = (await page('?limit=100')).items.find((t) => t.subject === 'Capital call')
    expect(((await get(`/api/email/threads/${thread?.id ?? ''}`)).body as ThreadDetail).emails.map((e) => e.id)).toEqual([ids.late])
  })

  it('is for admins only, and refuses bad or undeclared parameters', async () => {
    await hideAll({ org: '2026-07-02T10:00:00.000Z' })
    expectError(await get('/api/email/hidden', 'user'), 403)
    expectError(await get('/api/email/hidden', 'anon'), 401)
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'cursor=not-a-cursor', 'cursor=', 'offset=2', 'id=1']) {
      const answer = await get(`/api/email/hidden?${query}`)
      if (query === 'cursor=') expect(answer.status, query).toBe(200)
      else expectError(answer, 400)
    }
    // A cursor changed by one character is refused.
    await hideAll({ late: '2026-07-01T10:00:00.000Z' })
    const cursor = ((await get('/api/email/hidden?limit=1')).body as HiddenPage).nextCursor ?? ''
    expect(cursor).not.toBe('')
    expect((await get(`/api/email/hidden?cursor=${encodeURIComponent(cursor)}`)).status).toBe(200)
    const forged = `${cursor.slice(0, -1)}${cursor.endsWith('A') ? 'B' : 'A'}`
    expectError(await get(`/api/email/hidden?cursor=${encodeURIComponent(forged)}`), 400)
  })
})
