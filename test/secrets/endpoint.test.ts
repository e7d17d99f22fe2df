import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/index.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { createChatSummarizer } from '../../src/digest/summarizer.js'
import { endpointRequest } from '../../src/secrets/endpoint.js'
import { DisabledError } from '../../src/errors.js'
import { createHybridSearch } from '../../src/search/hybrid.js'
import { createSemanticSearch } from '../../src/search/semantic.js'
import { createEmbeddedStore } from '../../src/vectors/embedded-store.js'
import { createEmbeddingsClient } from '../../src/vectors/embeddings.js'
import type { SearchBackend } from '../../src/search/backend.js'
import { openSqlite, type TestDatabase } from '../helpers/databases.js'
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js'

const PASSWORD = 'S3cr3t-Pa55word'
const TOKEN = 'tok-9Kq2xLm7Zp'
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

/** `base` with `user:password@` put in front of its host. */
const withUserinfo = (base: string, user: string, password: string) => base.replace('http://', `http://${user}:${password}@`)

/** Everything a host could print of an error, its causes included. */
const printedError = (error: unknown): string =>
  [String(error), inspect(error, { depth: Infinity }), JSON.stringify(error), (error as Error).stack ?? ''].join('\n')

async function closedPort(): Promise<string> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => { resolve() }))
  return `http://127.0.0.1:${port}`
}

let server: ScriptedServer | null = null
let database: TestDatabase | null = null
afterEach(async () => {
  await server?.close()
  await database?.close()
  server = null
  database = null
})

describe('endpointRequest', () => {
  it('moves userinfo into Basic authentication and appends the path before the query', () => {
    expect(endpointRequest('https://crm%40bot:p%3Ass@llm.example/v1/?api_key=abc&x=1', '/chat/completions')).toEqual({
      url: 'https://llm.example/v1/chat/completions?api_key=abc&x=1',
      headers: { authorization: basic('crm@bot', 'p:ss') },
    })
    expect(endpointRequest('http://127.0.0.1:6333', '/collections/c/points/search')).toEqual({
      url: 'http://127.0.0.1:6333/collections/c/points/search',
      headers: {},
    })
  })
})

describe('the summarizer at a URL with credentials', () => {
  const input = { threads: [{ subject: 'Term sheet', lastAt: '2026-06-01T09:00:00Z', messageCount: 2, participants: [] }], excerpts: ['Please sign.'] }

  it('sends the password as Basic authentication and keeps the api_key, through a config that prints them redacted', async () => {
    server = await startScriptedServer(() => ({ status: 200, body: { choices: [{ message: { content: 'Dana asks for a signature.' } }] } }))
    const config = loadConfig({
      CRM_GMAIL_SUMMARIZER_URL: `${withUserinfo(server.url, 'crm-bot', PASSWORD)}/v1?api_key=${TOKEN}`,
      CRM_GMAIL_SUMMARIZER_MODEL: 'llama3',
    })
    expect(JSON.stringify(config)).not.toContain(PASSWORD)
    expect(JSON.stringify(config)).not.toContain(TOKEN)
    if (config.summarizer === null) throw new Error('summarizer not configured')

    expect(await createChatSummarizer(config.summarizer).summarize(input)).toBe('Dana asks for a signature.')
    const [request] = server.requests
    expect(request?.path).toBe('/v1/chat/completions')
    expect(request?.query.get('api_key')).toBe(TOKEN)
    expect(request?.headers.authorization).toBe(basic('crm-bot', PASSWORD))
  })

  it('fails without the credentials in the error, its causes or its stack', async () => {
    server = await startScriptedServer(() => ({ status: 500, body: { error: 'down' } }))
    const answered500 = await createChatSummarizer({ url: `${withUserinfo(server.url, 'crm-bot', PASSWORD)}/v1?api_key=${TOKEN}`, model: 'm' })
      .summarize(input)
      .catch((e: unknown) => e)
    expect((answered500 as Error).message).toBe('summarizer answered 500')

    const down = await closedPort()
    const unreachable = await createChatSummarizer({ url: `${withUserinfo(down, 'crm-bot', PASSWORD)}/v1?api_key=${TOKEN}`, model: 'm' })
      .summarize(input)
      .catch((e: unknown) => e)
    expect(unreachable).toBeInstanceOf(Error)
    for (const error of [answered500, unreachable]) {
      expect(printedError(error)).not.toContain(PASSWORD)
      expect(printedError(error)).not.toContain(TOKEN)
    }
  })
})

describe('semantic and hybrid search at URLs with credentials', () => {
  const keyword: SearchBackend = { name: 'keyword', search: () => Promise.resolve([{ emailId: 1, score: 1, highlight: 'zebra' }]) }
  const query = { text: 'zebra', filter: {}, limit: 5, scope: { viewer: null, defaultLevel: 'everything' as const } }
  const open = async () => {
    database = await openSqlite()
    return database.db as unknown as Kysely<EmailDatabase>
  }
  const semanticAt = async (url: string) => {
    const db = await open()
    const embeddings = createEmbeddingsClient({ url, model: 'e' }, { retries: 0, backoffMs: 1 })
    return createSemanticSearch(db, { embeddings, store: createEmbeddedStore(db) })
  }

  it('authenticates to the embeddings endpoint with the credentials of its URL', async () => {
    server = await startScriptedServer(() => ({ status: 200, body: { data: [{ index: 0, embedding: [0.1, 0.2] }], model: 'e' } }))
    const semantic = await semanticAt(`${withUserinfo(server.url, 'embed', PASSWORD)}/v1?access_token=${TOKEN}`)
    await semantic.search(query).catch(() => undefined)
    const [embeddings] = server.requests
    expect(embeddings?.path).toBe('/v1/embeddings')
    expect(embeddings?.headers.authorization).toBe(basic('embed', PASSWORD))
    expect(embeddings?.query.get('access_token')).toBe(TOKEN)
  })

  it('answers backend_unavailable, or a degraded hybrid answer, without the credentials in the error, its causes or the reason', async () => {
    const down = await closedPort()
    const semantic = await semanticAt(`${withUserinfo(down, 'embed', PASSWORD)}/v1?access_token=${TOKEN}`)
    const error = await semantic.search(query).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DisabledError)
    expect(error).toMatchObject({ code: 'backend_unavailable', message: 'semantic search is unavailable: the embeddings endpoint is not reachable' })
    expect(printedError(error)).not.toContain(PASSWORD)
    expect(printedError(error)).not.toContain(TOKEN)
    const answer = await createHybridSearch(keyword, semantic).search(query)
    expect(answer).toEqual({ hits: [{ emailId: 1, score: 1, highlight: 'zebra' }], backends: ['keyword'], reason: 'the embeddings endpoint is not reachable' })
  })
})
