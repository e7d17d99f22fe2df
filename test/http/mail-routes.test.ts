import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { EmailDetail, IdentityFacet, ThreadDetail, ThreadPage } from '../../src/index.js'
import { describeEachDialect } from '../helpers/databases.js'
import { call, expectError, messageOf, read, request } from '../helpers/http.js'
import { ANN, BOB, day, DECK_BYTES, NEWEST_FIRST_AFTER_TIES, routerWorld, TIES } from '../helpers/router-world.js'

// The mail routes of the router (src/http/routes/mail-routes.ts) without a server: the thread
// list and its cursors and filters, one thread, the identity facet, an email's detail, attachment
// downloads, and hiding mail. Every answer goes through `read`, which fails on SQL, stack frames
// or key material in any JSON answer.

/** Asserts a `Content-Disposition` value is an attachment with a name safe to save. */
function expectSafeDisposition(value: string | null): string {
  expect(value).toMatch(/^attachment; filename="[^"\\/\p{Cc}]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/u)
  const name = /filename="([^"]*)"/.exec(value ?? '')?.[1] ?? ''
  expect(name).not.toMatch(/^\.*$/)
  const extended = decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(value ?? '')?.[1] ?? '')
  expect(extended).not.toMatch(/[\\/"\p{Cc}]/u)
  expect(extended).not.toMatch(/^\.*$/)
  return name
}

describeEachDialect('the mail routes (tryHandle without a server)', (open) => {
  const world = routerWorld(open)
  const { db, get, post, another, emailId, page, subjects, threadOf, facet, messageIds } = world

  it('lists threads newest first and pages through them with the cursor to the end', async () => {
    const all = await page('?limit=100')
    expect(all.nextCursor).toBeNull()
    expect(all.items).toHaveLength(TIES.length + NEWEST_FIRST_AFTER_TIES.length)
    expect(all.items.slice(0, 4).map((th) => th.subject).sort()).toEqual(TIES)
    expect(all.items.slice(4).map((th) => th.subject)).toEqual(NEWEST_FIRST_AFTER_TIES)
    for (const [i, th] of all.items.entries()) {
      const next = all.items[i + 1]
      if (next === undefined) continue
      expect(th.lastAt >= next.lastAt).toBe(true)
      if (th.lastAt === next.lastAt) expect(Number(th.id)).toBeGreaterThan(Number(next.id))
    }
    const fundThread = all.items.find((th) => th.subject === 'Fund update')
    expect(fundThread).toMatchObject({ messageCount: 2, firstAt: day(1).toISOString(), lastAt: day(2).toISOString() })
    expect(fundThread?.identities).toEqual([{ key: 'fund:7', type: 'fund', id: '7', name: 'Acme Ventures' }])
    expect(Object.keys(fundThread ?? {}).sort()).toEqual(['firstAt', 'id', 'identities', 'lastAt', 'messageCount', 'participants', 'private', 'snippet', 'subject', 'withheld'])
    expect(fundThread).toMatchObject({ withheld: [], private: false })

    // Every page size walks the same list, through ties, without a repeat or a gap.
    for (const limit of [1, 2, 3, 4, 10]) {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
        const p = await page(query)
        expect(p.items.length).toBeLessThanOrEqual(limit)
        seen.push(...p.items.map((th) => th.id))
        cursor = p.nextCursor
        pages += 1
        expect(pages).toBeLessThan(50)
      } while (cursor !== null)
      expect(seen, `limit ${limit}`).toEqual(all.items.map((th) => th.id))
      expect(pages).toBe(Math.ceil(all.items.length / limit))
    }
    // The default page is 25; an empty cursor is the first page.
    expect((await page('?cursor=')).items.map((th) => th.id)).toEqual(all.items.map((th) => th.id))
    // A filtered list pages too.
    const first = await page('?identity=org:o-1&limit=2')
    const second = await page(`?identity=org:o-1&limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`)
    const third = await page(`?identity=org:o-1&limit=2&cursor=${encodeURIComponent(second.nextCursor ?? '')}`)
    expect([...first.items, ...second.items, ...third.items].map((th) => th.subject).sort()).toEqual(['Globex intro', ...TIES])
    expect(third.nextCursor).toBeNull()
  })

  it('refuses tampered, foreign and malformed cursors with 400; a cursor survives a restart with the same key', async () => {
    const first = await page('?limit=2')
    const cursor = first.nextCursor ?? ''
    const [body = '', tag = ''] = cursor.split('.')
    const [lastAt, id] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string, number]
    const reencoded = (value: unknown) => `${Buffer.from(JSON.stringify(value)).toString('base64url')}.${tag}`
    const flip = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`
    // The last character of a 16-byte base64url MAC carries 4 unused bits: this one decodes
    // to the same bytes, yet it is not the cursor the list gave out.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sameBytes = `${tag.slice(0, -1)}${alphabet[alphabet.indexOf(tag.at(-1) ?? 'A') ^ 1] ?? ''}`
    expect(Buffer.from(sameBytes, 'base64url').equals(Buffer.from(tag, 'base64url'))).toBe(true)
    const bad = [
      reencoded([lastAt, id + 1]),
      reencoded([lastAt, id - 1]),
      reencoded(['9999-12-31T00:00:00.000Z', id]),
      reencoded({ lastAt, id }),
      `${body}.${flip(tag)}`,
      `${body}.${sameBytes}`,
      `${body}.${tag}=`,
      `${body}.${tag.toUpperCase()}`,
      `${flip(body)}.${tag}`,
      `${body}.`,
      `.${tag}`,
      body,
      `${cursor}.x`,
      'abc',
      '.',
      '..',
      `${cursor}${'A'.repeat(300)}`,
      '%00',
      '💥',
    ]
    for (const value of bad) {
      const answer = await get(`/api/email/threads?cursor=${encodeURIComponent(value)}`, 'user')
      expectError(answer, 400, 'validation_failed')
      expect(messageOf(answer)).toMatch(/^cursor:/)
    }
    // Another key's cursor is not one this list gave out.
    const other = another({ config: { secretKey: randomBytes(32).toString('base64') } })
    const foreign = ((await call(other.email, 'GET', '/api/email/threads?limit=2', { as: 'user' })).body as ThreadPage).nextCursor ?? ''
    expectError(await get(`/api/email/threads?cursor=${encodeURIComponent(foreign)}`, 'user'), 400, 'validation_failed')
    // The same key in another integration object (a restarted process) reads it.
    const restarted = another()
    const next = await call(restarted.email, 'GET', `/api/email/threads?limit=2&cursor=${encodeURIComponent(cursor)}`, { as: 'user' })
    expect(next.status).toBe(200)
    expect((next.body as ThreadPage).items.map((th) => th.id)).toEqual((await page(`?limit=2&cursor=${encodeURIComponent(cursor)}`)).items.map((th) => th.id))
  })

  it('filters by typed identity: investor_id is an alias, a bare id means fund:, an unknown prefix gives an empty list', async () => {
    const fund = ['Capital call', 'Deck', 'Fund update']
    expect(await subjects('identity=fund:7')).toEqual(fund)
    expect(await subjects('identity=7')).toEqual(fund)
    expect(await subjects('identity=FUND:7')).toEqual(fund)
    expect(await subjects('identity=%20fund:7%20')).toEqual(fund)
    expect(await subjects('investor_id=7')).toEqual(fund)
    expect(await subjects('investor_id=fund:7')).toEqual(fund)
    expect(await subjects('identity=fund:7&investor_id=fund:7')).toEqual(fund)
    expect(await subjects('identity=org:o-1')).toEqual(['Globex intro', ...TIES])
    expect(await subjects('identity=contact:c-1')).toEqual(['Coffee?', 'Dana and Acme'])
    expect(await subjects('identity=addr:ceo@globex.example')).toEqual(['Globex intro'])
    expect(await subjects('identity=addr:CEO@Globex.Example')).toEqual(['Globex intro'])
    expect(await subjects('identity=')).toHaveLength(10)
    // Keys that name nothing: an empty list, never an error.
    for (const key of ['grid:7', 'investor:7', 'fund:8', 'org:nope', 'addr:nobody@nowhere.example', 'addr:not-an-address', 'fund:', ':7', '%00',
      'fund:7%00', 'x'.repeat(600), '%F0%9F%92%A5:1', 'fund:7%27%20OR%201=1--']) {
      const answer = await get(`/api/email/threads?identity=${key}`, 'user')
      expect(answer.status, key).toBe(200)
      expect(answer.body, key).toEqual({ items: [], nextCursor: null })
      const asFacet = await get(`/api/email/identities?identity=${key}`, 'user')
      expect(asFacet.status, key).toBe(200)
      expect(asFacet.body).toEqual({ items: [] })
    }
    const both = await get('/api/email/threads?identity=fund:7&investor_id=org:o-1', 'user')
    expectError(both, 400, 'validation_failed')
    expect(messageOf(both)).toMatch(/identity/)
  })

  it('validates dates, limits and repeated parameters with a 400 that names the parameter', async () => {
    expect(await subjects('from=2026-06-03&to=2026-06-04')).toEqual(['Coffee?', 'Globex intro'])
    expect(await subjects('to=2026-06-04T12:00:00Z')).toEqual(['Fund update', 'Globex intro'])
    expect(await subjects('from=2026-06-08T11:00:00%2B00:00')).toEqual(TIES)
    expect(await subjects('from=2026-06-07T12:00:00.000Z&to=2026-06-07T12:00:00.001Z')).toEqual(['Deck'])
    expect(await subjects('from=2026-06-07&to=2026-06-07')).toEqual(['Deck'])
    expect(await subjects('from=&to=')).toHaveLength(10)
    // Far bounds are no bounds: every thread lies between them.
    expect(await subjects('from=0000-01-01&to=9999-12-31')).toHaveLength(10)
    expect(await subjects('to=9999-12-31')).toHaveLength(10)
    expect(await subjects('to=9999-12-31T23:00:00-05:00')).toHaveLength(10)
    expect(await subjects('from=1970-01-01T00:00:00%2B14:00')).toHaveLength(10)

    const bad: [string, string][] = [
      ['from=2026-13-01', 'from'],
      ['from=2026-02-30', 'from'],
      ['to=2026-6-1', 'to'],
      ['to=yesterday', 'to'],
      ['from=2026-06-01T12:00', 'from'],
      ['from=2026-06-01T25:00:00Z', 'from'],
      ['from=2026-06-01T12:00:00%2B99:00', 'from'],
      ['from=1717243200000', 'from'],
      ['from=2026-06-05&to=2026-06-01', 'from'],
      [`to=${'9'.repeat(5000)}`, 'to'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=%20%205', 'limit'],
      ['limit=9999999999999999999999', 'limit'],
      ['limit=Infinity', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['identity=fund:7&identity=fund:7', 'identity'],
      ['investor_id=7&investor_id=7', 'investor_id'],
      ['from=2026-06-01&from=2026-06-02', 'from'],
      ['to=2026-06-01&to=2026-06-02', 'to'],
      ['cursor=a&cursor=b', 'cursor'],
    ]
    for (const [query, name] of bad) {
      for (const route of ['threads', 'identities']) {
        if (route === 'identities' && /limit|cursor/.test(name)) continue
        const answer = await get(`/api/email/${route}?${query}`, 'user')
        expectError(answer, 400, 'validation_failed')
        expect(messageOf(answer), query).toMatch(new RegExp(`^${name}:`))
        expect(messageOf(answer).length).toBeLessThan(200)
      }
    }
    expect((await page('?limit=100')).items).toHaveLength(10)
    expect((await page('?limit=1')).items).toHaveLength(1)
    expect((await page('?limit=007')).items).toHaveLength(7)
  })

  it('shows one thread with its emails, oldest first; a bad id is 400, an unknown one 404', async () => {
    const id = await threadOf('Fund update')
    const answer = await get(`/api/email/threads/${id}`, 'user')
    expect(answer.status).toBe(200)
    const thread = answer.body as ThreadDetail
    expect(thread.id).toBe(id)
    expect(thread.subject).toBe('Fund update')
    expect(thread.emails.map((e) => e.messageId)).toEqual([messageIds.fund, messageIds.fundReply])
    expect(thread.emails[0]?.mailboxes).toEqual([ANN, BOB])
    expect(thread.emails[0]?.from).toEqual({ address: 'partner@acme.vc', name: null })
    expect(thread.emails[0]?.identities.map((i) => i.key)).toEqual(['fund:7'])
    for (const e of thread.emails) expect(Object.keys(e).sort()).toEqual(
      ['access', 'attachments', 'cc', 'date', 'from', 'id', 'identities', 'mailboxes', 'messageId', 'snippet', 'subject', 'threadId', 'to', 'withheld'],
    )
    expect(thread).toMatchObject({ withheld: [], private: false })
    expect(answer.text).not.toMatch(/bodyText|body_text|html/i)
    // Ids are matched as decoded path segments: %31 is 1.
    expect((await get(`/api/email/threads/${encodeURIComponent(id).replace(/\d/g, (d) => `%3${d}`)}`, 'user')).status).toBe(200)

    for (const bad of ['abc', '0', '-1', '1.5', '1e3', '99999999999', '2147483648', '%20', 'null', '%00', '0x10', '1%2F2']) {
      expectError(await get(`/api/email/threads/${bad}`, 'user'), 400, 'validation_failed')
    }
    expectError(await get('/api/email/threads/999999', 'user'), 404, 'not_found')
    expectError(await get('/api/email/threads/2147483647', 'user'), 404, 'not_found')
  })

  it('gives the identity facet of the current filter, with counts, consistent with the list', async () => {
    expect(await facet()).toEqual([
      ['fund:7', 4],
      ['org:o-1', 5],
      ['contact:c-1', 2],
    ])
    const items = ((await get('/api/email/identities', 'user')).body as IdentityFacet).items
    expect(items[0]).toEqual({ key: 'fund:7', type: 'fund', id: '7', name: 'Acme Ventures', count: 4 })
    expect(await facet('?from=2026-06-05')).toEqual([
      ['fund:7', 2],
      ['org:o-1', 4],
      ['contact:c-1', 1],
    ])
    expect(await facet('?identity=org:o-1')).toEqual([['org:o-1', 5]])
    expect(await facet('?investor_id=7')).toEqual([['fund:7', 4]])
    expect(await facet('?identity=addr:ceo@globex.example')).toEqual([['org:o-1', 1]])
    expect(await facet('?to=2026-06-01')).toEqual([['fund:7', 1]])
    expect(await facet('?from=2026-07-01')).toEqual([])
    // The facet's counts are what the filtered list holds.
    expect(await subjects('identity=contact:c-1&from=2026-06-05')).toEqual(['Dana and Acme'])
  })

  it('gives an email with its text body to admins only; missing or bad ids are 400, unknown 404', async () => {
    const id = await emailId('late')
    const answer = await get(`/api/email/detail?id=${id}`)
    expect(answer.status).toBe(200)
    const detail = answer.body as EmailDetail
    expect(detail).toMatchObject({ id, subject: 'Capital call', messageId: messageIds.late, bodyText: 'Please wire the capital call by Friday.' })
    expect(detail.mailboxes).toEqual([BOB])
    expect(Object.keys(detail).filter((k) => /html|raw/i.test(k))).toEqual([])
    expectError(await get(`/api/email/detail?id=${id}`, 'user'), 403, 'forbidden')
    expectError(await get(`/api/email/detail?id=${id}`, 'anon'), 401, 'unauthenticated')

    const missing = await get('/api/email/detail')
    expectError(missing, 400, 'validation_failed')
    expect(messageOf(missing)).toMatch(/^id:/)
    for (const bad of ['', 'abc', '0', '-5', '1.0', '99999999999', `${id}&id=${id}`, '%00', ' 1']) {
      expectError(await get(`/api/email/detail?id=${bad}`), 400, 'validation_failed')
    }
    expectError(await get('/api/email/detail?id=999999'), 404, 'not_found')
    // The deck email lists its attachment.
    const deck = (await get(`/api/email/detail?id=${await emailId('deck')}`)).body as EmailDetail
    expect(deck.bodyText).toBe('The deck is attached.')
    expect(deck.attachments).toEqual([
      expect.objectContaining({ filename: '../../etc/passwd', mimeType: 'application/pdf', size: DECK_BYTES.length, status: 'stored' }),
    ])
  })

  it('streams a stored attachment to admins with a safe file name, nosniff, and 404/409 for unknown and unstored ones', async () => {
    const deck = (await get(`/api/email/detail?id=${await emailId('deck')}`)).body as EmailDetail
    const attachmentId = deck.attachments[0]?.id ?? ''
    const response = await world.http.tryHandle(request('GET', `/api/email/attachments/${attachmentId}`))
    expect(response).not.toBeNull()
    expect(response?.body).toBeInstanceOf(ReadableStream)
    const file = await read(response!)
    expect(file.status).toBe(200)
    expect(file.bytes.equals(DECK_BYTES)).toBe(true)
    expect(file.headers.get('content-length')).toBe(String(DECK_BYTES.length))
    expect(file.headers.get('content-type')).toBe('application/octet-stream')
    expect(file.headers.get('x-content-type-options')).toBe('nosniff')
    expect(file.headers.get('cache-control')).toMatch(/no-store/)
    expect(expectSafeDisposition(file.headers.get('content-disposition'))).toBe('passwd')

    // Whatever a sender named the file, the header carries a harmless name and nothing else.
    const hostile: [string, string | RegExp][] = [
      ['../../etc/passwd', 'passwd'],
      ['..\\..\\Windows\\system32\\evil.exe', 'evil.exe'],
      ['C:\\Users\\x\\report.pdf', 'report.pdf'],
      ['evil".pdf\r\nSet-Cookie: session=1', /^evil\.pdfSet-Cookie: session=1$/],
      ['"; filename="other.exe', /^; filename=other\.exe$/],
      ['a\u0001b\u001fc\u007fd.txt', 'abcd.txt'],
      ['résumé ☃ 📎.pdf', /^r_sum_ _ _+\.pdf$/],
      ["it's (final)*.pdf", "it's (final)*.pdf"],
      ['100% done;.txt', '100% done;.txt'],
      ['', 'attachment'],
      ['/', 'attachment'],
      ['   ', 'attachment'],
      ['..', /.+/],
      ['../../..', /.+/],
      ['x'.repeat(1000), /^x{1,255}$/],
    ]
    for (const [filename, expected] of hostile) {
      await db().updateTable('email_attachments').set({ filename }).where('id', '=', Number(attachmentId)).execute()
      const answer = await get(`/api/email/attachments/${attachmentId}`)
      expect(answer.status, JSON.stringify(filename)).toBe(200)
      const header = answer.headers.get('content-disposition')
      const name = expectSafeDisposition(header)
      if (typeof expected === 'string') expect(name, JSON.stringify(filename)).toBe(expected)
      else expect(name, JSON.stringify(filename)).toMatch(expected)
      expect(header).not.toMatch(/[\r\n]/)
      expect(answer.bytes.equals(DECK_BYTES)).toBe(true)
    }
    // The UTF-8 form keeps the real name, percent-encoded.
    await db().updateTable('email_attachments').set({ filename: 'résumé.pdf' }).where('id', '=', Number(attachmentId)).execute()
    expect((await get(`/api/email/attachments/${attachmentId}`)).headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    )

    expectError(await get(`/api/email/attachments/${attachmentId}`, 'user'), 403, 'forbidden')
    expectError(await get(`/api/email/attachments/${attachmentId}`, 'anon'), 401, 'unauthenticated')
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999', '%00']) {
      expectError(await get(`/api/email/attachments/${bad}`), 400, 'validation_failed')
    }
    expectError(await get('/api/email/attachments/999999'), 404, 'not_found')
    for (const status of ['pending', 'skipped', 'failed'] as const) {
      await db().updateTable('email_attachments').set({ status, sha256: null }).where('id', '=', Number(attachmentId)).execute()
      const answer = await get(`/api/email/attachments/${attachmentId}`)
      expectError(answer, 409, 'conflict')
      expect(messageOf(answer)).toMatch(status)
    }
  })

  it('hides mail from every route until restored: never counted, listed, paged or shown', async () => {
    const fundThread = await threadOf('Fund update')
    const globexThread = await threadOf('Globex intro')
    const reply = await emailId('fundReply')
    const org = await emailId('org')
    const deck = await emailId('deck')
    const deckDetail = (await get(`/api/email/detail?id=${deck}`)).body as EmailDetail
    const attachmentId = deckDetail.attachments[0]?.id ?? ''
    const before = await page('?limit=100')

    // Refused writes hide nothing.
    expectError(await post(`/api/email/${reply}/hide`, undefined, 'user'), 403, 'forbidden')
    expectError(await post(`/api/email/${reply}/hide`, undefined, 'anon'), 401, 'unauthenticated')
    expect((await get(`/api/email/detail?id=${reply}`)).status).toBe(200)

    for (const id of [reply, org, deck]) {
      const hidden = await post(`/api/email/${id}/hide`)
      expect(hidden.status).toBe(200)
      expect(hidden.body).toEqual({ id, hidden: true })
    }
    // Hiding twice is harmless.
    expect((await post(`/api/email/${org}/hide`)).status).toBe(200)

    // The list: the reply is not counted, the thread whose only email is hidden is gone.
    const all = await page('?limit=100')
    expect(all.items.map((th) => th.subject)).not.toContain('Globex intro')
    expect(all.items.map((th) => th.subject)).not.toContain('Deck')
    expect(all.items).toHaveLength(8)
    expect(all.items.find((th) => th.id === fundThread)).toMatchObject({ messageCount: 1, firstAt: day(1).toISOString(), lastAt: day(1).toISOString() })
    expect(await subjects('identity=addr:ceo@globex.example')).toEqual([])
    expect(await subjects('identity=org:o-1')).toEqual(TIES)
    expect(await subjects('from=2026-06-02&to=2026-06-03')).toEqual([])
    expect(await subjects('identity=fund:7')).toEqual(['Capital call', 'Fund update'])
    // Paging never shows them either.
    const paged: string[] = []
    let cursor: string | null = null
    do {
      const p: ThreadPage = await page(`?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      paged.push(...p.items.map((th) => th.id))
      cursor = p.nextCursor
    } while (cursor !== null)
    expect(paged).toEqual(all.items.map((th) => th.id))
    expect(paged).not.toContain(globexThread)

    // The thread, the facet, the detail and the attachment.
    const thread = (await get(`/api/email/threads/${fundThread}`, 'user')).body as ThreadDetail
    expect(thread.emails.map((e) => e.messageId)).toEqual([messageIds.fund])
    expectError(await get(`/api/email/threads/${globexThread}`, 'user'), 404, 'not_found')
    expect(await facet()).toEqual([
      ['fund:7', 2],
      ['org:o-1', 4],
      ['contact:c-1', 2],
    ])
    expect(await facet('?identity=addr:ceo@globex.example')).toEqual([])
    for (const id of [reply, org, deck]) expectError(await get(`/api/email/detail?id=${id}`), 404, 'not_found')
    expectError(await get(`/api/email/attachments/${attachmentId}`), 404, 'not_found')
    // No route answer mentions the hidden mail at all.
    for (const path of ['/api/email/threads?limit=100', '/api/email/identities', `/api/email/threads/${fundThread}`]) {
      const text = (await get(path)).text
      expect(text).not.toContain(messageIds.fundReply)
      expect(text).not.toContain('Globex intro')
      expect(text).not.toContain('passwd')
    }

    // Restore: everything is back as it was.
    expectError(await post(`/api/email/${reply}/restore`, undefined, 'user'), 403, 'forbidden')
    for (const id of [reply, org, deck]) {
      const restored = await post(`/api/email/${id}/restore`)
      expect(restored.status).toBe(200)
      expect(restored.body).toEqual({ id, hidden: false })
    }
    expect((await post(`/api/email/${org}/restore`)).status).toBe(200)
    expect(await page('?limit=100')).toEqual(before)
    expect(await facet()).toEqual([
      ['fund:7', 4],
      ['org:o-1', 5],
      ['contact:c-1', 2],
    ])
    expect((await get(`/api/email/detail?id=${reply}`)).status).toBe(200)
    expect((await get(`/api/email/attachments/${attachmentId}`)).bytes.equals(DECK_BYTES)).toBe(true)

    for (const action of ['hide', 'restore']) {
      for (const bad of ['abc', '0', '-1', '1.5', '99999999999', '%00']) {
        expectError(await post(`/api/email/${bad}/${action}`), 400, 'validation_failed')
      }
      expectError(await post(`/api/email/999999/${action}`), 404, 'not_found')
    }
  })})
