import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IntegrationContext } from '../../src/context.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { DisabledError, ValidationError } from '../../src/errors.js'
import { createRouter } from '../../src/http/router.js'
import { searchRoutes } from '../../src/http/routes/search-routes.js'
import { createSearchApi, parseSearchMode, SEMANTIC_NOT_CONFIGURED, type SearchApi, type SearchResult } from '../../src/search/api.js'
import type { SearchHit } from '../../src/search/backend.js'
import { fuseRankings, RRF_K } from '../../src/search/fusion.js'
import { NOT_CONFIGURED_REASON } from '../../src/search/hybrid.js'
import { startEmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import type { VectorSetup } from '../../src/vectors/types.js'
import { directoryCacheOf, testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { expectError, read, request } from '../helpers/http.js'
import { deliverNamed } from '../helpers/named-mail.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'
import { fillStore } from '../helpers/vector-fill.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const day = (d: number) => new Date(Date.UTC(2026, 5, d, 12))
const hit = (emailId: number, extra: Partial<SearchHit> = {}): SearchHit => ({ emailId, score: 1, highlight: `h${emailId}`, ...extra })

describe('reciprocal rank fusion', () => {
  it('ranks an email both rankings hold above emails only one holds', () => {
    const fused = fuseRankings([hit(1), hit(2)], [hit(3), hit(1)], 10)
    expect(fused.map((h) => h.emailId)).toEqual([1, 3, 2])
    expect(fused[0]?.score).toBeCloseTo(1 / (RRF_K + 1) + 1 / (RRF_K + 2))
    // The same place in either list scores the same; the better single place goes first.
    expect(fused[1]?.score).toBeCloseTo(1 / (RRF_K + 1))
    expect(fuseRankings([hit(1), hit(2)], [hit(3), hit(1)], 2).map((h) => h.emailId)).toEqual([1, 3])
  })

  it('keeps the keyword highlight of an email both found, unless only the semantic side names an attachment', () => {
    const file = { id: 9, filename: 'deck.pdf' }
    expect(fuseRankings([hit(1, { highlight: 'the «deck»' })], [hit(1, { highlight: 'snippet' })], 5)[0]?.highlight).toBe('the «deck»')
    const named = fuseRankings([hit(1, { highlight: 'the «deck»' })], [hit(1, { highlight: 'Slide one', attachment: file })], 5)[0]
    expect(named).toMatchObject({ highlight: 'Slide one', attachment: file })
    const both = fuseRankings([hit(1, { highlight: '«deck» p. 2', attachment: { id: 8, filename: 'a.pdf' } })], [hit(1, { attachment: file })], 5)[0]
    expect(both).toMatchObject({ highlight: '«deck» p. 2', attachment: { id: 8 } })
  })

  it('reads a mode: one of three, the default when left out, a 400 naming mode otherwise', () => {
    expect(parseSearchMode(undefined)).toBeUndefined()
    expect(parseSearchMode('')).toBeUndefined()
    expect(parseSearchMode('semantic')).toBe('semantic')
    for (const bad of ['KEYWORD', 'vector', ' hybrid', 'semantic ', 'all', 1, null]) {
      expect(() => parseSearchMode(bad)).toThrow(ValidationError)
      expect(() => parseSearchMode(bad)).toThrow(/^mode: expected one of keyword, semantic, hybrid/)
    }
  })
})

describeEachDialect('search modes over the embedded store', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let context: IntegrationContext
  let standin: Awaited<ReturnType<typeof startEmbeddingsStandin>>
  let vectors: VectorSetup
  let api: SearchApi
  const ids: Record<string, string> = {}

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const idOf = async (name: string): Promise<number> =>
    (await db().selectFrom('emails').select('id').where('message_id', '=', ids[name] ?? '').executeTakeFirstOrThrow()).id
  const subjects = (result: SearchResult) => result.items.map((i) => i.email.subject)
  const keywordName = () => (t.dialect === 'postgres' ? 'postgres' : 'fts5')

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    const add = deliverNamed(w.emu, ids)
    add('fund', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Fund update', date: day(1), body: 'Quarterly numbers attached. The zebra crossing is closed.' }), ANN)
    add('call', mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: day(6), body: 'Please wire the capital call by Friday.' }), BOB)
    add('globex', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', date: day(3), body: 'Happy to introduce our team; the wire details follow.' }), ANN)
    add('dana', mail({ from: 'Dana Diaz <dana@gmail.com>', to: [BOB], subject: 'Coffee?', date: day(4), body: 'Coffee next week? The zebra crossing near the café.' }), BOB)
    add('giraffe', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Giraffe memo', date: day(5), body: 'Notes on the portfolio; the zebra crossing again.' }), ANN)
    await w.email.sync.runAll()
    context = { ...testContext(t.db), directory: () => Promise.resolve(DIRECTORY) }
    standin = await startEmbeddingsStandin({ dimension: 64 })
    vectors = { embeddings: createEmbeddingsClient({ url: standin.url, model: 'standin' }), store: createEmbeddedStore(db()) }
    await fillStore(db(), vectors)
    api = createSearchApi(context, directoryCacheOf(context), vectors)
  })

  afterEach(async () => {
    await standin.close()
    await w.close()
    await t.close()
  })

  it('answers hybrid by default when vectors are configured, keyword otherwise, and names the backends', async () => {
    const hybrid = await api.search('zebra')
    expect(hybrid).toMatchObject({ mode: 'hybrid', backend: 'hybrid', backends: [keywordName(), 'embedded'] })
    expect(hybrid.degraded).toBeUndefined()
    expect(hybrid.reason).toBeUndefined()
    const keyword = await api.search('zebra', { mode: 'keyword' })
    expect(keyword).toMatchObject({ mode: 'keyword', backend: keywordName(), backends: [keywordName()] })
    expect(subjects(keyword).sort()).toEqual(['Coffee?', 'Fund update', 'Giraffe memo'])
    const semantic = await api.search('zebra', { mode: 'semantic' })
    expect(semantic).toMatchObject({ mode: 'semantic', backend: 'embedded', backends: ['embedded'] })
    const plain = createSearchApi(context, directoryCacheOf(context), null)
    expect(await plain.search('zebra')).toMatchObject({ mode: 'keyword', backend: keywordName(), backends: [keywordName()] })
    await expect(api.search('zebra', { mode: 'fuzzy' as 'keyword' })).rejects.toThrow(/^mode: /)
  })

  it('finds by meaning what no keyword search finds, with the snippet as the highlight', async () => {
    // Every word must match in keyword search: no email holds both.
    expect(subjects(await api.search('zebra friday', { mode: 'keyword' }))).toEqual([])
    const semantic = await api.search('wire capital friday', { mode: 'semantic' })
    expect(subjects(semantic)[0]).toBe('Capital call')
    const [first] = semantic.items
    expect(first?.highlight).toBe(first?.email.snippet)
    expect(first?.score).toBeGreaterThan(0)
    expect(first?.attachment).toBeUndefined()
    // Filters apply to vector hits as to keyword ones (nearest first; every email is somewhat near).
    expect(subjects(await api.search('wire capital friday', { mode: 'semantic', identity: 'fund:7', from: '2026-06-05' }))).toEqual(['Capital call', 'Giraffe memo'])
    expect(subjects(await api.search('wire capital friday', { mode: 'semantic', to: '2026-06-02' }))).toEqual(['Fund update'])
    expect(subjects(await api.search('wire capital friday', { mode: 'semantic', identity: 'addr:dana@gmail.com' }))).toEqual(['Coffee?'])
    expect(subjects(await api.search('wire capital friday', { mode: 'semantic', identity: 'fund:999' }))).toEqual([])
  })

  it('fuses both rankings: an email both sides find ranks above those only one finds', async () => {
    // Keyword: only Globex intro holds both words. Semantic: Globex intro and Capital call are near.
    const result = await api.search('wire introduce', { mode: 'hybrid' })
    expect(subjects(result)[0]).toBe('Globex intro')
    expect(result.items[0]?.highlight).toMatch(/«wire»|«introduce»/)
    expect(subjects(result)).toContain('Capital call')
    const semanticOnly = result.items.find((i) => i.email.subject === 'Capital call')
    expect(semanticOnly?.highlight).toBe(semanticOnly?.email.snippet)
    expect(semanticOnly?.score ?? 1).toBeLessThan(result.items[0]?.score ?? 0)
  })

  it('never shows hidden mail whose vectors the store still holds', async () => {
    const fund = await idOf('fund')
    await w.email.emails.hide(String(fund), 'admin@fund.example')
    expect(await vectors.store.countByEmail()).toContainEqual([fund, 1])
    for (const mode of ['semantic', 'hybrid'] as const) {
      const result = await api.search('zebra crossing closed quarterly', { mode })
      expect(result.items.map((i) => Number(i.email.id))).not.toContain(fund)
      expect(result.items.length).toBeGreaterThan(0)
    }
  })

  it('names the attachment whose text matched and quotes its start', async () => {
    w.emu.addMessage(ANN, mailWithAttachments({
      to: ANN,
      messageId: 'deck@acme.vc',
      date: day(7),
      subject: 'Deck',
      text: 'See attached.',
      files: [{ name: 'pitch-deck.pdf', bytes: Buffer.from('%PDF-1.4 deck'), type: 'application/pdf' }],
    }))
    await w.email.sync.runAll()
    const attachment = await db().selectFrom('email_attachments').select(['id', 'email_id']).where('filename', '=', 'pitch-deck.pdf').executeTakeFirstOrThrow()
    const text = `Runway and burn multiple. ${'Revenue grew in every quarter of the year. '.repeat(10)}`
    await db().insertInto('email_attachment_texts').values({ attachment_id: attachment.id, email_id: attachment.email_id, status: 'extracted', text, error: null, extracted_at: new Date().toISOString() }).execute()
    await fillStore(db(), vectors, [attachment.email_id])
    const result = await api.search('runway burn multiple revenue', { mode: 'semantic' })
    const [first] = result.items
    expect(first?.email.subject).toBe('Deck')
    expect(first?.attachment).toEqual({ id: attachment.id, filename: 'pitch-deck.pdf' })
    expect(first?.highlight.startsWith('Runway and burn multiple. Revenue grew')).toBe(true)
    expect(first?.highlight.length).toBeLessThanOrEqual(201)
  })

  it('answers semantic 503 and hybrid degraded keyword results while the embeddings endpoint is down', async () => {
    standin.setDown(true)
    const error: unknown = await api.search('zebra', { mode: 'semantic' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DisabledError)
    expect(error).toMatchObject({ code: 'backend_unavailable', status: 503 })
    expect((error as Error).message).toMatch(/embeddings endpoint/)
    expect((error as Error).message).not.toContain('127.0.0.1')
    const hybrid = await api.search('zebra')
    expect(hybrid).toMatchObject({ mode: 'hybrid', backend: 'hybrid', backends: [keywordName()], degraded: true })
    expect(hybrid.reason).toMatch(/^the embeddings endpoint /)
    expect(hybrid.reason).not.toMatch(/127\.0\.0\.1|http/)
    expect(subjects(hybrid).sort()).toEqual(['Coffee?', 'Fund update', 'Giraffe memo'])
    expect(hybrid.items.every((i) => i.highlight.includes('«zebra»'))).toBe(true)
    // A search box does not wait on an endpoint that never answers.
    standin.setDown('slow')
    await expect(api.search('zebra', { mode: 'semantic' })).rejects.toThrow('semantic search is unavailable: the embeddings endpoint did not answer within 3 s')
    expect(await api.search('zebra')).toMatchObject({ degraded: true, reason: 'the embeddings endpoint did not answer within 3 s' })
    standin.setDown(false)
    expect((await api.search('zebra')).degraded).toBeUndefined()
  })

  it('without vectors: semantic is 503 naming the setting, hybrid is keyword results marked degraded', async () => {
    const plain = createSearchApi(context, directoryCacheOf(context), null)
    const error: unknown = await plain.search('zebra', { mode: 'semantic' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'backend_unavailable', status: 503, message: SEMANTIC_NOT_CONFIGURED })
    const hybrid = await plain.search('zebra', { mode: 'hybrid' })
    expect(hybrid).toMatchObject({ mode: 'hybrid', backend: 'hybrid', backends: [keywordName()], degraded: true, reason: NOT_CONFIGURED_REASON })
    expect(subjects(hybrid)).toHaveLength(3)
  })

  it('takes the mode on the route: 400 for a bad one, 503 for semantic while down, the answer otherwise', async () => {
    const errors: unknown[] = []
    const router = createRouter({
      routes: searchRoutes(api),
      enabled: true,
      authenticate: () => Promise.resolve({ userId: 'u', email: BOB, isAdmin: false }),
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => errors.push(args) },
    })
    const get = async (path: string) => {
      const response = await router(request('GET', path, { as: 'user' }))
      if (response === null) throw new Error('router answered null')
      return read(response, [keywordName()])
    }
    const semantic = await get('/api/email/search?q=wire%20capital%20friday&mode=semantic')
    expect(semantic.status).toBe(200)
    expect(semantic.body).toMatchObject({ mode: 'semantic', backend: 'embedded', backends: ['embedded'] })
    expect(subjects(semantic.body as SearchResult)[0]).toBe('Capital call')
    const hybrid = await get('/api/email/search?q=zebra')
    expect(hybrid.body).toMatchObject({ mode: 'hybrid', backends: [keywordName(), 'embedded'] })
    expect(Object.keys(hybrid.body as object).sort()).toEqual(['backend', 'backends', 'items', 'mode'])
    expectError(await get('/api/email/search?q=zebra&mode=vector'), 400, 'validation_failed')
    expectError(await get('/api/email/search?q=zebra&mode=keyword&mode=semantic'), 400, 'validation_failed')
    expect(errors).toEqual([])
    standin.setDown(true)
    expectError(await get('/api/email/search?q=zebra&mode=semantic'), 503, 'backend_unavailable')
    // The router logs a 5xx; the degraded hybrid answer below is a 200 and logs none.
    expect(errors).toHaveLength(1)
    const degraded = await get('/api/email/search?q=zebra&mode=hybrid')
    expect(degraded.status).toBe(200)
    expect(degraded.body).toMatchObject({ degraded: true, backends: [keywordName()] })
    expect(errors).toHaveLength(1)
  })
})
