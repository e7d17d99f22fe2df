import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { EmailDatabase, SearchResult, ThreadPage } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call, expectError, messageOf, routerIntegration, type RouterIntegration } from '../helpers/http.js'
import { deliverNamed } from '../helpers/named-mail.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

// `q` on the thread list: the threads whose visible mail the search route finds, combined with
// the other filters and the cursor, on each dialect's own full-text index.

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const day = (d: number, hour = 12) => new Date(Date.UTC(2026, 5, d, hour))

describeEachDialect('q on the thread list', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let r: RouterIntegration
  const ids: Record<string, string> = {}

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const get = async (path: string) => call(r.email, 'GET', path, { as: 'user' })
  /** Every thread of the list for a query string, following the cursor (pages of `limit`). */
  const listAll = async (query: string, limit = 100): Promise<string[]> => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const suffix: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
      const answer = await get(`/api/email/threads?limit=${limit}${query === '' ? '' : `&${query}`}${suffix}`)
      expect(answer.status, answer.text).toBe(200)
      const page = answer.body as ThreadPage
      seen.push(...page.items.map((th) => th.subject))
      cursor = page.nextCursor
    } while (cursor !== null)
    return seen
  }
  /** The subjects of the threads of the search's hits for the same query (read as the search route reads it). */
  const searchedThreads = async (query: string): Promise<string[]> => {
    const params = new URLSearchParams(query)
    const option = (name: string) => params.get(name) ?? undefined
    const found: SearchResult = await r.email.search(params.get('q') ?? '', {
      identity: option('identity') ?? option('investor_id'),
      from: option('from'),
      to: option('to'),
      limit: 100,
    })
    const subjects = new Map<string, string>()
    for (const item of found.items) {
      const thread = await db().selectFrom('email_threads').select('subject').where('id', '=', Number(item.email.threadId)).executeTakeFirstOrThrow()
      subjects.set(item.email.threadId, thread.subject)
    }
    return [...subjects.values()].sort()
  }
  const emailId = async (name: string): Promise<number> =>
    (await db().selectFrom('emails').select('id').where('message_id', '=', ids[name] ?? '').executeTakeFirstOrThrow()).id

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    const add = deliverNamed(w.emu, ids)
    // Threads that hold the word, in a subject, a body or only in a reply.
    const term = mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Term sheet', date: day(1), body: 'The zebra clause is in section 4.' })
    add('term', term, ANN)
    add('termReply', mail({ from: ANN, to: ['partner@acme.vc'], subject: 'Re: Term sheet', date: day(2), inReplyTo: term.messageId, body: 'Agreed.' }), ANN)
    const intro = mail({ from: 'ceo@globex.example', to: [BOB], subject: 'Globex intro', date: day(3), body: 'Nice to meet you.' })
    add('intro', intro, BOB)
    add('introReply', mail({ from: 'ceo@globex.example', to: [BOB], subject: 'Re: Globex intro', date: day(4), inReplyTo: intro.messageId, body: 'Our mascot is a zebra.' }), BOB)
    add('zebraSubject', mail({ from: 'dana@gmail.com', to: [ANN], subject: 'Zebra crossing', date: day(5), body: 'See you there.' }), ANN)
    for (let i = 0; i < 5; i++) {
      add(`herd${i}`, mail({ from: `ops${i}@acme.vc`, to: [BOB], subject: `Herd ${i}`, date: day(6 + i), body: `Zebras and a zebra number ${i}.` }), BOB)
    }
    // Threads without it.
    add('lion', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Lion update', date: day(12), body: 'The lion sleeps tonight.' }), ANN)
    add('other', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Quarterly numbers', date: day(13), body: 'Revenue is up; zebu herds are not.' }), ANN)
    // A thread whose only email with the word will be hidden.
    const secret = mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Coffee', date: day(14), body: 'Nothing here.' })
    add('secret', secret, BOB)
    add('secretReply', mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Re: Coffee', date: day(15), inReplyTo: secret.messageId, body: 'A zebra walked in.' }), BOB)
    await w.email.sync.runAll()
    r = routerIntegration(t, w)
  })

  afterEach(async () => {
    expect(r.errors).toEqual([])
    await r.email.close()
    await w.close()
    await t.close()
  })

  it('lists only the threads with mail that holds the word, where the old list answered every thread', async () => {
    const all = await listAll('')
    expect(all).toHaveLength(11)
    const zebra = await listAll('q=zebra')
    expect(zebra.sort()).toEqual(['Coffee', 'Globex intro', 'Herd 0', 'Herd 1', 'Herd 2', 'Herd 3', 'Herd 4', 'Term sheet', 'Zebra crossing'])
    expect(zebra).not.toContain('Lion update')
    expect(zebra).not.toContain('Quarterly numbers')
    expect(await listAll('q=giraffe')).toEqual([])
    // The programmatic list reads the same option.
    const page = await r.email.threads.list({ q: 'lion', limit: 10 })
    expect(page.items.map((th) => th.subject)).toEqual(['Lion update'])
  })

  it('matches as the search route does: its threads, for words, prefixes, case, several words and query syntax', async () => {
    for (const q of ['zebra', 'ZEBRA', 'zeb', 'zebras', 'zebra clause', 'clause zebra', 'lion', 'herds', 'acme', 'globex zebra', '"zebra"', 'zebra OR lion', 'zebra*', 'NEAR(zebra lion)', 'zebu']) {
      const query = `q=${encodeURIComponent(q)}`
      expect((await listAll(query)).sort(), q).toEqual(await searchedThreads(query))
    }
    expect((await listAll('q=zebra%20clause')).sort()).toEqual(['Term sheet'])
    expect((await listAll('q=zebra%20OR%20lion')).sort()).toEqual([])
  })

  it('combines q with identity, dates and the cursor: the same email meets every filter', async () => {
    for (const filter of ['identity=fund:7', 'identity=org:o-1', 'investor_id=7', 'identity=contact:c-1', 'from=2026-06-04', 'to=2026-06-07', 'from=2026-06-02&to=2026-06-08']) {
      const query = `q=zebra&${filter}`
      expect((await listAll(query)).sort(), filter).toEqual(await searchedThreads(query))
    }
    // The Globex thread's word is in the reply of day 4: a range that leaves that email out leaves the thread out.
    expect(await listAll('q=zebra&identity=org:o-1')).toEqual(['Globex intro'])
    expect(await listAll('q=zebra&identity=org:o-1&to=2026-06-03')).toEqual([])
    // The term sheet's word is in the fund's email, not in Ann's reply (which is also linked to the fund).
    expect(await listAll('q=agreed&identity=fund:7')).toEqual(['Term sheet'])
    expect(await listAll('q=agreed&identity=org:o-1')).toEqual([])
    // Pages of two follow the same order as one page, with no thread twice or left out.
    const whole = await listAll('q=zebra')
    const paged = await listAll('q=zebra', 2)
    expect(paged).toEqual(whole)
    expect(new Set(paged).size).toBe(paged.length)
    const herds = await listAll('q=zebra&identity=fund:7', 1)
    expect(herds).toEqual(['Herd 4', 'Herd 3', 'Herd 2', 'Herd 1', 'Herd 0', 'Term sheet'])
  })

  it('never matches hidden mail: a thread whose only matching email is hidden drops out until restored', async () => {
    expect(await listAll('q=zebra')).toContain('Coffee')
    await r.email.emails.hide(await emailId('secretReply'), ANN)
    expect(await listAll('q=zebra')).not.toContain('Coffee')
    expect((await listAll('q=zebra')).sort()).toEqual(await searchedThreads('q=zebra'))
    expect(await listAll('q=coffee')).toEqual(['Coffee'])
    await r.email.emails.restore(await emailId('secretReply'))
    expect(await listAll('q=zebra')).toContain('Coffee')
  })

  it('takes an empty q as no filter; refuses a q too long or too wordy, and a q given twice, with 400 naming it', async () => {
    expect(await listAll('q=')).toHaveLength(11)
    expect(await listAll('q=%20%20')).toHaveLength(11)
    // Punctuation only: the search route finds nothing for it, and neither does the list.
    expect(await listAll('q=%21%21%21')).toEqual([])
    for (const [query, message] of [
      [`q=${'z'.repeat(501)}`, /^q: at most 500 characters$/],
      [`q=${Array.from({ length: 21 }, (_, i) => `w${i}`).join('+')}`, /^q: at most 20 words$/],
      ['q=zebra&q=lion', /^q: given more than once$/],
    ] as const) {
      const answer = await get(`/api/email/threads?${query}`)
      expectError(answer, 400, 'validation_failed')
      expect(messageOf(answer)).toMatch(message)
    }
    await expect(r.email.threads.list({ q: 7 as unknown as string })).rejects.toThrow(/^q: expected text/)
  })
})
