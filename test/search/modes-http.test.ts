import { afterEach, beforeEach, expect, it } from 'vitest'
import type { SearchResult } from '../../src/search/api.js'
import { startEmbeddingsStandin, type EmbeddingsStandin } from '../../src/testing/embeddings-standin.js'
import { nodeHost, type MountedHost } from '../helpers/adapter-hosts.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { routerIntegration, schedulerIdle, type RouterIntegration } from '../helpers/http.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]

// The search route on a real HTTP server (node:http and the node adapter), over an integration
// configured with an embeddings endpoint (the stand-in) and the embedded store, indexed by
// `email.search.index()` as the scheduler would.
describeEachDialect('GET /api/email/search?mode= on a real server', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let standin: EmbeddingsStandin
  let r: RouterIntegration
  let host: MountedHost

  const get = async (query: string, as = BOB) => {
    const response = await fetch(`${host.url}/api/email/search?${query}`, { headers: { 'x-test-user': as } })
    return { status: response.status, body: (await response.json()) as SearchResult & { error?: { code: string; message: string } } }
  }
  const subjects = (result: SearchResult) => result.items.map((i) => i.email.subject)

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    w.emu.addMessage(ANN, mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Fund update', date: new Date(Date.UTC(2026, 5, 1, 9)), body: 'The zebra crossing is closed.' }).raw)
    w.emu.addMessage(BOB, mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: new Date(Date.UTC(2026, 5, 2, 9)), body: 'Please wire the capital call by Friday.' }).raw)
    await w.email.sync.runAll()
    standin = await startEmbeddingsStandin({ dimension: 64 })
    r = routerIntegration(t, w, { config: { embeddings: { url: standin.url, model: 'standin' } } })
    const report = await r.email.search.index()
    expect(report).toMatchObject({ embedded: 2, pending: 0, error: null })
    host = await nodeHost(r.email)
  })
  afterEach(async () => {
    await host.close()
    await schedulerIdle(r.email)
    await r.email.close()
    await standin.close()
    await w.close()
    await t.close()
  })

  it('answers each mode with its mode and backends, hybrid by default, and refuses an unknown mode with 400', async () => {
    const keywordName = t.dialect === 'postgres' ? 'postgres' : 'fts5'
    const hybrid = await get('q=zebra')
    expect(hybrid.status).toBe(200)
    expect(hybrid.body).toMatchObject({ mode: 'hybrid', backend: 'hybrid', backends: [keywordName, 'embedded'] })
    expect(subjects(hybrid.body)[0]).toBe('Fund update')
    const semantic = await get('q=wire%20friday%20capital&mode=semantic')
    expect(semantic.body).toMatchObject({ mode: 'semantic', backend: 'embedded', backends: ['embedded'] })
    expect(subjects(semantic.body)[0]).toBe('Capital call')
    expect(await get('q=zebra&mode=keyword')).toMatchObject({ status: 200, body: { mode: 'keyword', backends: [keywordName] } })
    const bad = await get('q=zebra&mode=vectors')
    expect(bad).toEqual({ status: 400, body: { error: { code: 'validation_failed', message: 'mode: expected one of keyword, semantic, hybrid, got "vectors"' } } })
  })

  it('answers 503 for semantic and a degraded 200 for hybrid while the embeddings endpoint is down, naming no URL', async () => {
    standin.setDown(true)
    const semantic = await get('q=zebra&mode=semantic')
    expect(semantic.status).toBe(503)
    expect(semantic.body.error).toEqual({ code: 'backend_unavailable', message: 'semantic search is unavailable: the embeddings endpoint is not reachable' })
    const hybrid = await get('q=zebra')
    expect(hybrid.status).toBe(200)
    expect(hybrid.body).toMatchObject({ mode: 'hybrid', degraded: true, reason: 'the embeddings endpoint is not reachable' })
    expect(subjects(hybrid.body)).toEqual(['Fund update'])
    expect(JSON.stringify(hybrid.body)).not.toContain('127.0.0.1')
  })
})
