import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { storeMessage } from '../../src/capture/store.js'
import type { IntegrationContext } from '../../src/context.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { DisabledError, ValidationError } from '../../src/errors.js'
import { createRouter } from '../../src/http/router.js'
import { searchRoutes } from '../../src/http/routes/search-routes.js'
import { createSearchApi, type SearchApi, type SearchResult } from '../../src/search/api.js'
import type { SearchBackend } from '../../src/search/backend.js'
import { fts5Match, highlightText, pgTsQuery, queryWords } from '../../src/search/text.js'
import { directoryCacheOf, testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { expectError, read, request } from '../helpers/http.js'
import { deliverNamed } from '../helpers/named-mail.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const day = (d: number) => new Date(Date.UTC(2026, 5, d, 12))

/** The characters and operators of FTS5 and tsquery syntax, as a user might type them. */
const SYNTAX_QUERIES = [
  '"',
  '""',
  'zebra"',
  'zebra OR giraffe',
  'OR',
  'AND NOT',
  '*',
  'zeb*',
  'NEAR(zebra wire)',
  'NEAR(',
  '(',
  ')',
  '(zebra',
  '-zebra',
  'zebra -wire',
  'subject:zebra',
  ':',
  '^zebra',
  '^',
  "'",
  "zebra' | 'x",
  '!zebra & wire',
  '<->',
  'zebra:*',
  '\\',
  '{subject}: zebra',
  '+',
  '@',
  '%_',
]

describe('query text', () => {
  it('splits input into words and quotes each, so no operator survives', () => {
    expect(queryWords('NEAR(a b) OR "x" -y:z ^w *')).toEqual(['near', 'a', 'b', 'or', 'x', 'y', 'z', 'w'])
    expect(queryWords('dana@acme.vc Café')).toEqual(['dana', 'acme', 'vc', 'café'])
    expect(fts5Match(['near', 'or', 'x'])).toBe('"near" "or" "x"*')
    expect(pgTsQuery(['near', 'or', 'x'])).toBe("'near' & 'or' & 'x':*")
    // Restricted to fields: an FTS5 column filter; tsquery weight labels (subject A, participants B).
    expect(fts5Match(['term', 'she'], ['participants'])).toBe('{participants} : ("term" "she"*)')
    expect(fts5Match(['term', 'she'], ['subject', 'participants'])).toBe('{subject participants} : ("term" "she"*)')
    expect(fts5Match(['term'], ['body'], false)).toBe('{body} : ("term")')
    expect(fts5Match(['term', 'she'], ['subject', 'participants', 'body', 'attachments'])).toBe('"term" "she"*')
    expect(pgTsQuery(['term', 'she'], ['subject', 'participants', 'body'])).toBe("'term':ABD & 'she':*ABD")
    expect(pgTsQuery(['term', 'she'], ['participants'])).toBe("'term':B & 'she':*B")
    expect(pgTsQuery(['term', 'she'], ['subject', 'participants'])).toBe("'term':AB & 'she':*AB")
    expect(queryWords('"*()-:^')).toEqual([])
  })

  it('marks matches with guillemets, and never confuses the mail own guillemets with marks', () => {
    expect(highlightText('a \uE000deck\uE001 «quoted»\n\tend')).toBe('a «deck» ‹quoted› end')
  })
})

describeEachDialect('content search', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let context: IntegrationContext
  let api: SearchApi
  const ids: Record<string, string> = {}

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const idOf = async (name: string): Promise<string> => {
    const row = await db().selectFrom('emails').select('id').where('message_id', '=', ids[name] ?? '').executeTakeFirstOrThrow()
    return String(row.id)
  }
  const found = async (q: string, options: Parameters<SearchApi['search']>[1] = {}): Promise<string[]> =>
    (await api.search(q, options)).items.map((i) => i.email.subject)

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    const add = deliverNamed(w.emu, ids)
    add('fund', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Fund update', date: day(1), body: 'Quarterly numbers attached. The zebra crossing is closed.' }), ANN)
    add('call', mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: day(6), body: 'Please wire the capital call by Friday.' }), BOB)
    add('globex', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', date: day(3), body: 'Happy to introduce our team; the wire details follow.' }), ANN)
    add('dana', mail({ from: 'Dana Diaz <dana@gmail.com>', to: [BOB], subject: 'Coffee?', date: day(4), body: 'Coffee next week? «Café» at noon.' }), BOB)
    add('giraffe', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Giraffe memo', date: day(5), body: 'Notes on the portfolio, nothing more.' }), ANN)
    add('giraffeBody', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Misc', date: day(2), body: 'A long note. It mentions a giraffe once among many other words about the portfolio and the weather.' }), ANN)
    await w.email.sync.runAll()
    context = { ...testContext(t.db), directory: () => Promise.resolve(DIRECTORY) }
    api = createSearchApi(context, directoryCacheOf(context))
  })

  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('finds a word that only one email body holds, first, with the email hydrated and the word marked', async () => {
    const result = await api.search('zebra')
    expect(result.backend).toBe(t.dialect === 'postgres' ? 'postgres' : 'fts5')
    expect(result.items.map((i) => i.email.subject)).toEqual(['Fund update'])
    const [item] = result.items
    expect(item?.email.id).toBe(await idOf('fund'))
    expect(item?.email.identities.map((i) => i.key)).toEqual(['fund:7'])
    expect(item?.email.mailboxes).toEqual([ANN])
    expect(item?.highlight).toContain('«zebra»')
    expect(item?.score).toBeGreaterThan(0)
  })

  it('ranks a word in the subject above the same word in a body, and matches every word', async () => {
    expect(await found('giraffe')).toEqual(['Giraffe memo', 'Misc'])
    const [first, second] = (await api.search('giraffe')).items
    expect(first?.score ?? 0).toBeGreaterThan(second?.score ?? 0)
    expect(await found('wire capital')).toEqual(['Capital call'])
    expect((await found('wire')).sort()).toEqual(['Capital call', 'Globex intro'])
    // The last word is also a prefix: results while the user is still typing.
    expect(await found('capital ca')).toEqual(['Capital call'])
    expect(await found('nothingmatcheshere')).toEqual([])
  })

  it('searches participants by address parts and names, and folds case', async () => {
    expect(await found('globex')).toContain('Globex intro')
    expect(await found('DIAZ')).toEqual(['Coffee?'])
    expect(await found('dana gmail')).toEqual(['Coffee?'])
  })

  it('filters by typed identity (and the bare id) and by date range', async () => {
    expect((await found('portfolio')).sort()).toEqual(['Giraffe memo', 'Misc'])
    expect(await found('portfolio', { identity: 'fund:7' })).toEqual(['Giraffe memo'])
    expect(await found('portfolio', { identity: '7' })).toEqual(['Giraffe memo'])
    expect(await found('portfolio', { identity: 'org:o-1' })).toEqual(['Misc'])
    expect(await found('portfolio', { identity: 'nope:1' })).toEqual([])
    expect(await found('wire', { from: '2026-06-05' })).toEqual(['Capital call'])
    expect(await found('wire', { to: '2026-06-03' })).toEqual(['Globex intro'])
    expect(await found('wire', { from: '2026-06-04', to: '2026-06-05' })).toEqual([])
    await expect(api.search('wire', { from: 'yesterday' })).rejects.toBeInstanceOf(ValidationError)
    await expect(api.search('wire', { limit: 0 })).rejects.toBeInstanceOf(ValidationError)
    expect(await found('wire', { limit: 1 })).toHaveLength(1)
  })

  it('never finds hidden mail, and finds it again once restored', async () => {
    const id = await idOf('fund')
    await w.email.emails.hide(id, 'admin@fund.example')
    expect(await found('zebra')).toEqual([])
    expect(await found('fund update')).toEqual([])
    await w.email.emails.restore(id)
    expect(await found('zebra')).toEqual(['Fund update'])
  })

  it('hydrates from the SQL tables: a hit for a hidden email from any backend is dropped', async () => {
    const id = Number(await idOf('fund'))
    // Hidden behind the index's back: the join and the hydration still keep it out.
    await db().updateTable('emails').set({ hidden_at: new Date().toISOString(), hidden_by: 'x' }).where('id', '=', id).execute()
    expect(await found('zebra')).toEqual([])
  })

  it('treats FTS and tsquery syntax in the query as plain words, never as an error', async () => {
    for (const q of SYNTAX_QUERIES) {
      const result = await api.search(q)
      expect(Array.isArray(result.items), q).toBe(true)
    }
    expect(await found('zebra OR giraffe')).toEqual([])
    expect(await found('NEAR(zebra crossing)')).toEqual([])
    expect(await found('"zebra"')).toEqual(['Fund update'])
    expect(await found('-zebra')).toEqual(['Fund update'])
    expect(await found('(zebra)')).toEqual(['Fund update'])
    expect(await found('zebra:')).toEqual(['Fund update'])
    expect(await found('^zebra*')).toEqual(['Fund update'])
    expect(await found('café')).toEqual(['Coffee?'])
  })

  it('refuses an empty or whitespace-only query, and one too long', async () => {
    for (const q of ['', ' ', '\t\n ']) await expect(api.search(q), JSON.stringify(q)).rejects.toBeInstanceOf(ValidationError)
    await expect(api.search('x'.repeat(501))).rejects.toBeInstanceOf(ValidationError)
    await expect(api.search(Array.from({ length: 21 }, (_, i) => `w${i}`).join(' '))).rejects.toBeInstanceOf(ValidationError)
  })

  it('finds a new email right after capture, inside the capture transaction', async () => {
    const account = await db().selectFrom('email_accounts').select('id').where('address', '=', ANN).executeTakeFirstOrThrow()
    const date = '2026-06-09T10:00:00.000Z'
    await db().transaction().execute(async (trx) => {
      await storeMessage(
        trx,
        {
          accountId: account.id,
          gmailId: 'fresh-1',
          gmailThreadId: 'fresh-1',
          labelIds: ['INBOX'],
          internalDate: date,
          email: {
            messageId: 'fresh@mail.example',
            messageIdSynthetic: false,
            inReplyTo: null,
            references: [],
            date,
            headerDate: date,
            from: { address: 'quinn@okapi.example', name: 'Quinn Okapi' },
            sender: null,
            replyTo: [],
            to: [{ address: ANN, name: null }],
            cc: [],
            bcc: [],
            subject: 'Fresh news',
            text: 'The narwhal report.',
            html: null,
            snippet: 'The narwhal report.',
            attachments: [],
            sizeBytes: 100,
          },
          fingerprint: 'fresh',
          isDraft: false,
          links: [],
          attachments: [],
        },
        date,
      )
      // Searchable inside the transaction that stored it ...
      expect((await createFts5OrPg(trx).search({ text: 'narwhal', filter: {}, limit: 5, scope: { viewer: null, defaultLevel: 'everything' } })).length).toBe(1)
    })
    // ... and after it committed.
    expect(await found('narwhal')).toEqual(['Fresh news'])
    expect(await found('okapi')).toEqual(['Fresh news'])
  })

  /** The keyword backend of the dialect over a transaction. */
  function createFts5OrPg(trx: Kysely<EmailDatabase>): SearchBackend {
    const api = createSearchApi({ ...context, db: trx }, directoryCacheOf(context))
    return {
      name: 'api',
      search: async (query) =>
        (await api.search(query.text, { limit: query.limit })).items.map((i) => ({ emailId: Number(i.email.id), score: i.score, highlight: i.highlight })),
    }
  }

  it('answers GET /api/email/search through the router: 200 with the shape, 400 for an empty or missing q', async () => {
    const errors: string[] = []
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_f: unknown, m: string) => void errors.push(m) }
    const router = createRouter({
      routes: searchRoutes(api),
      enabled: true,
      authenticate: (req) => Promise.resolve(req.headers.has('x-test-user') ? { userId: 'u', email: BOB, isAdmin: false } : null),
      logger,
    })
    const get = async (path: string, as: 'user' | 'anon' = 'user') => {
      const response = await router(request('GET', path, { as }))
      if (response === null) throw new Error('router answered null')
      // The backend's name `postgres` is an answer field, not a leaked driver detail.
      return read(response, ['postgres'])
    }
    const ok = await get('/api/email/search?q=zebra')
    expect(ok.status, ok.text).toBe(200)
    const body = ok.body as SearchResult
    expect(Object.keys(body).sort()).toEqual(['backend', 'backends', 'items', 'mode'])
    expect(body.items.map((i) => [i.email.subject, Object.keys(i).sort()])).toEqual([['Fund update', ['email', 'highlight', 'score']]])
    const filtered = await get('/api/email/search?q=portfolio&investor_id=7&from=2026-06-01&to=2026-06-30&limit=5')
    expect((filtered.body as SearchResult).items.map((i) => i.email.subject)).toEqual(['Giraffe memo'])
    expect((await get(`/api/email/search?q=${encodeURIComponent('NEAR( "x" OR *')}`)).status).toBe(200)
    expectError(await get('/api/email/search?q='), 400, 'validation_failed')
    expectError(await get('/api/email/search?q=%20%20'), 400, 'validation_failed')
    expectError(await get('/api/email/search'), 400, 'validation_failed')
    expectError(await get('/api/email/search?q=a&q=b'), 400, 'validation_failed')
    expectError(await get('/api/email/search?q=a&limit=x'), 400, 'validation_failed')
    expectError(await get('/api/email/search?q=a&from=nope'), 400, 'validation_failed')
    expectError(await get('/api/email/search?q=a', 'anon'), 401, 'unauthenticated')
    expect(errors).toEqual([])
  })

  describe('modes without vectors configured', () => {
    it('answers keyword by default, hybrid as keyword results marked degraded, semantic 503 naming the setting', async () => {
      const keywordName = t.dialect === 'postgres' ? 'postgres' : 'fts5'
      expect(await api.search('zebra')).toMatchObject({ mode: 'keyword', backend: keywordName, backends: [keywordName] })
      const hybrid = await api.search('zebra', { mode: 'hybrid' })
      expect(hybrid).toMatchObject({ mode: 'hybrid', backend: 'hybrid', backends: [keywordName], degraded: true, reason: 'semantic search is not configured' })
      expect(hybrid.items.map((i) => i.email.subject)).toEqual(['Fund update'])
      expect(hybrid.items[0]?.highlight).toContain('«zebra»')
      const semantic: unknown = await api.search('zebra', { mode: 'semantic' }).catch((e: unknown) => e)
      expect(semantic).toBeInstanceOf(DisabledError)
      expect(semantic).toMatchObject({ code: 'backend_unavailable', status: 503, message: 'semantic search is not configured (CRM_GMAIL_EMBEDDINGS_URL)' })
      await expect(api.search('zebra', { mode: 'Semantic' as 'semantic' })).rejects.toThrow(/^mode: expected one of keyword, semantic, hybrid, got "Semantic"$/)

      const router = createRouter({
        routes: searchRoutes(api),
        enabled: true,
        authenticate: () => Promise.resolve({ userId: 'u', email: BOB, isAdmin: false }),
        logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      })
      const get = async (path: string) => {
        const response = await router(request('GET', path, { as: 'user' }))
        if (response === null) throw new Error('router answered null')
        return read(response, ['postgres'])
      }
      expectError(await get('/api/email/search?q=zebra&mode=semantic'), 503, 'backend_unavailable')
      expectError(await get('/api/email/search?q=zebra&mode=nope'), 400, 'validation_failed')
      expect((await get('/api/email/search?q=zebra&mode=hybrid')).body).toMatchObject({ degraded: true, reason: 'semantic search is not configured' })
      expect((await get('/api/email/search?q=zebra&mode=')).body).toMatchObject({ mode: 'keyword' })
    })
  })
})
