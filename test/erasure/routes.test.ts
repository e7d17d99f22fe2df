import { expect, it } from 'vitest'
import { describeEachDialect } from '../helpers/databases.js'
import { expectError, messageOf } from '../helpers/http.js'
import { routerWorld } from '../helpers/router-world.js'

describeEachDialect('the erasure routes', (open) => {
  const world = routerWorld(open)

  it('POST /api/email/purge erases the address and answers the counts; the admin is the audit actor', async () => {
    const answer = await world.post('/api/email/purge', { address: 'dana@gmail.com' })
    expect(answer.status, answer.text).toBe(200)
    expect(answer.body).toEqual({ emails: 2, attachments: 0, blobsRemoved: 0, bytesFreed: 0, addresses: 1 })
    expect(await world.subjects('')).not.toContain('Coffee?')
    const log = await world.get('/api/email/audit-log?action=mail.purged')
    const entries = (log.body as { items: { actor: string; target: { id: string } }[] }).items
    expect(entries.map((e) => e.actor)).toEqual(['ann@fund.example'])
    // With CRM_GMAIL_SECRET_KEY set, the address is kept as an HMAC, in the log as on the list.
    expect(entries[0]?.target.id).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
    expect(log.text).not.toContain('dana')
  })

  it('purges an identity', async () => {
    const answer = await world.post('/api/email/purge', { identity: 'org:o-1' })
    expect(answer.status, answer.text).toBe(200)
    expect(answer.body).toMatchObject({ addresses: 5, emails: 5 })
    expect((await world.subjects('')).filter((s) => s.startsWith('Tie') || s === 'Globex intro')).toEqual([])
  })

  it('answers 400 with the reason for a bad body, before erasing anything', async () => {
    const bad: [unknown, RegExp][] = [
      [{}, /exactly one of address and identity/],
      [{ address: 'dana@gmail.com', identity: 'contact:c-1' }, /exactly one of address and identity/],
      [{ address: 42 }, /^address: expected an email address/],
      [{ address: 'nobody' }, /^address: expected an email address/],
      [{ identity: 7 }, /^identity: expected a typed key/],
      [{ identity: 'c-1' }, /^identity: expected a typed key/],
      [{ address: 'ann@fund.example' }, /^address: a teammate's address/],
      [{ adress: 'dana@gmail.com' }, /^body: unknown field: adress/],
    ]
    for (const [json, reason] of bad) {
      const answer = await world.post('/api/email/purge', json)
      expectError(answer, 400)
      expect(messageOf(answer), JSON.stringify(json)).toMatch(reason)
    }
    expect(await world.subjects('')).toContain('Coffee?')
  })

  it('is for admins only: 403 for a user, 401 anonymous', async () => {
    expectError(await world.post('/api/email/purge', { address: 'dana@gmail.com' }, 'user'), 403)
    expectError(await world.post('/api/email/purge', { address: 'dana@gmail.com' }, 'anon'), 401)
    expectError(await world.get('/api/email/suppressions', 'user'), 403)
    expectError(await world.post('/api/email/suppressions/remove', { address: 'dana@gmail.com' }, 'user'), 403)
    expect(await world.subjects('')).toContain('Coffee?')
  })

  it('lists the suppression list as hashes and takes an address off it', async () => {
    await world.post('/api/email/purge', { address: 'dana@gmail.com' })
    const list = await world.get('/api/email/suppressions')
    expect(list.status).toBe(200)
    const { items } = list.body as { items: { hash: string; addedAt: string; addedBy: string }[] }
    expect(items).toEqual([{ hash: expect.stringMatching(/^hmac-sha256:/) as unknown, addedAt: expect.any(String) as unknown, addedBy: 'ann@fund.example' }])
    expect(list.text).not.toContain('dana')

    expectError(await world.post('/api/email/suppressions/remove', {}), 400)
    expectError(await world.post('/api/email/suppressions/remove', { address: 'nobody' }), 400)
    expectError(await world.post('/api/email/suppressions/remove', { address: 'kim@acme.vc' }), 404)
    const removed = await world.post('/api/email/suppressions/remove', { address: 'Dana@Gmail.com' })
    expect(removed.status, removed.text).toBe(200)
    expect(removed.body).toEqual({ removed: true })
    expect((await world.get('/api/email/suppressions')).body).toEqual({ items: [] })
    expectError(await world.post('/api/email/suppressions/remove', { address: 'dana@gmail.com' }), 404)
  })
})
