import { describe, expect, it } from 'vitest'
import { UpstreamError, ValidationError } from '../../src/errors.js'
import type { GmailHistoryPage, GmailMessageListPage } from '../../src/gmail/types.js'
import { CACHED_TOKEN, FRESH_TOKEN, USER_PATH, clientFor, recordingTokens, scriptedServer } from '../helpers/gmail-client-setup.js'
import { errorReply } from '../helpers/scripted-server.js'

describe('Gmail client: reads', () => {
  it('gets the profile with the bearer token and counts its units', async () => {
    const server = await scriptedServer(() => ({ status: 200, body: { emailAddress: 'ann@fund.example', messagesTotal: 3, historyId: '9001' } }))
    const gmail = clientFor(server)
    await expect(gmail.getProfile()).resolves.toEqual({ emailAddress: 'ann@fund.example', messagesTotal: 3, historyId: '9001' })
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: `${USER_PATH}/profile` })
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${CACHED_TOKEN}`)
    expect(gmail.unitsSpent).toBe(1)
    expect(gmail.requests).toBe(1)
  })

  it('lists message pages to the end, with repeated labelIds, and resumes from a page token', async () => {
    const pages: Record<string, GmailMessageListPage> = {
      '': { messages: [{ id: 'm1', threadId: 't1' }], nextPageToken: 'p2', resultSizeEstimate: 3 },
      p2: { messages: [{ id: 'm2', threadId: 't1' }], nextPageToken: 'p3' },
      p3: { messages: [{ id: 'm3', threadId: 't3' }] },
    }
    const server = await scriptedServer((req) => ({ status: 200, body: pages[req.query.get('pageToken') ?? ''] }))
    const gmail = clientFor(server)
    const ids: string[] = []
    for await (const page of gmail.listMessagePages({ q: 'after:2026/01/01 -in:chats', labelIds: ['INBOX', 'IMPORTANT'], maxResults: 2 })) {
      ids.push(...(page.messages ?? []).map((m) => m.id))
    }
    expect(ids).toEqual(['m1', 'm2', 'm3'])
    const first = server.requests[0]!
    expect(first.path).toBe(`${USER_PATH}/messages`)
    expect(first.query.getAll('labelIds')).toEqual(['INBOX', 'IMPORTANT'])
    expect(first.query.get('q')).toBe('after:2026/01/01 -in:chats')
    expect(first.query.get('maxResults')).toBe('2')
    expect(first.query.has('pageToken')).toBe(false)
    expect(server.requests.map((r) => r.query.get('pageToken'))).toEqual([null, 'p2', 'p3'])
    expect(gmail.unitsSpent).toBe(15)

    const resumed: string[] = []
    for await (const page of gmail.listMessagePages({ pageToken: 'p2' })) resumed.push(...(page.messages ?? []).map((m) => m.id))
    expect(resumed).toEqual(['m2', 'm3'])
  })

  it('reads one page, and stops a server that repeats its page token', async () => {
    const server = await scriptedServer(() => ({ status: 200, body: { messages: [], nextPageToken: 'same' } }))
    const gmail = clientFor(server)
    await expect(gmail.listMessages({ includeSpamTrash: true })).resolves.toEqual({ messages: [], nextPageToken: 'same' })
    expect(server.requests[0]!.query.get('includeSpamTrash')).toBe('true')
    const walk = async (): Promise<void> => {
      for await (const page of gmail.listMessagePages({ pageToken: 'same' })) expect(page).toBeDefined()
    }
    await expect(walk()).rejects.toMatchObject({ reason: 'paginationLoop' })
  })

  it('walks history pages to the end; an expired start id fails with 404 and is not retried', async () => {
    const pages: Record<string, GmailHistoryPage> = {
      '': { history: [{ id: '101', messagesAdded: [{ message: { id: 'm9', threadId: 't9' } }] }], nextPageToken: 'h2', historyId: '120' },
      h2: { history: [{ id: '110', labelsRemoved: [{ message: { id: 'm9', threadId: 't9' }, labelIds: ['UNREAD'] }] }], historyId: '120' },
    }
    const server = await scriptedServer((req) =>
      req.query.get('startHistoryId') === '1'
        ? errorReply(404, 'notFound', 'Requested entity was not found.')
        : { status: 200, body: pages[req.query.get('pageToken') ?? ''] },
    )
    const gmail = clientFor(server)
    const ids: string[] = []
    for await (const page of gmail.historyPages({ startHistoryId: '100', historyTypes: ['messageAdded', 'labelRemoved'], labelId: 'INBOX' })) {
      ids.push(...(page.history ?? []).map((h) => h.id))
    }
    expect(ids).toEqual(['101', '110'])
    expect(server.requests[0]!.path).toBe(`${USER_PATH}/history`)
    expect(server.requests[0]!.query.getAll('historyTypes')).toEqual(['messageAdded', 'labelRemoved'])
    expect(server.requests[0]!.query.get('labelId')).toBe('INBOX')
    expect(gmail.unitsSpent).toBe(4)

    const before = server.requests.length
    await expect(gmail.listHistory({ startHistoryId: '1' })).rejects.toMatchObject({ upstreamStatus: 404, reason: 'notFound', retryable: false })
    expect(server.requests.length).toBe(before + 1)
  })

  it('gets a message with repeated metadataHeaders, and an attachment decoded from base64url', async () => {
    const bytes = Buffer.from([0xfb, 0xff, 0x00, 0x3e, 0x3f])
    const server = await scriptedServer((req) =>
      req.path.includes('/attachments/')
        ? { status: 200, body: { size: bytes.length, data: bytes.toString('base64url') } }
        : { status: 200, body: { id: 'm/1', threadId: 't1', payload: { headers: [{ name: 'From', value: 'a@b.example' }] } } },
    )
    const gmail = clientFor(server)
    const message = await gmail.getMessage('m/1', { format: 'metadata', metadataHeaders: ['From', 'Message-ID'] })
    expect(message.payload?.headers).toEqual([{ name: 'From', value: 'a@b.example' }])
    expect(server.requests[0]!.path).toBe(`${USER_PATH}/messages/m%2F1`)
    expect(server.requests[0]!.query.get('format')).toBe('metadata')
    expect(server.requests[0]!.query.getAll('metadataHeaders')).toEqual(['From', 'Message-ID'])
    const attachment = await gmail.getAttachment('m1', 'ANGjdJ8')
    expect(attachment).toEqual({ size: 5, data: bytes })
    expect(server.requests[1]!.path).toBe(`${USER_PATH}/messages/m1/attachments/ANGjdJ8`)
    expect(gmail.unitsSpent).toBe(40)
  })

  it('refuses bad parameters before sending anything', async () => {
    const server = await scriptedServer(() => ({ status: 200, body: {} }))
    const gmail = clientFor(server)
    await expect(gmail.listMessages({ maxResults: 0 })).rejects.toThrow(ValidationError)
    await expect(gmail.listMessages({ maxResults: 501 })).rejects.toThrow(/maxResults/)
    await expect(gmail.getMessage('', { format: 'raw' })).rejects.toThrow(/id/)
    await expect(gmail.getMessage('m1', { format: 'html' as 'raw' })).rejects.toThrow(/format/)
    await expect(gmail.listHistory({ startHistoryId: '' })).rejects.toThrow(/startHistoryId/)
    expect(server.requests).toHaveLength(0)
    expect(() => clientFor(server, { baseUrl: 'ftp://x' })).toThrow(/baseUrl/)
    expect(() => clientFor(server, { retryMax: -1 })).toThrow(/retryMax/)
    expect(() => clientFor(server, { timeoutMs: 0 })).toThrow(/timeoutMs/)
    expect(() => clientFor(server, { batchSize: 51 })).toThrow(/batchSize/)
  })
})

describe('Gmail client: failures', () => {
  it('retries 5xx answers and connection resets to success', async () => {
    const server = await scriptedServer((_req, index) =>
      index === 0 ? errorReply(503, 'backendError', 'Backend Error') : index === 1 ? { reset: true } : { status: 200, body: { id: 'm1', threadId: 't' } },
    )
    const gmail = clientFor(server)
    await expect(gmail.getMessage('m1', { format: 'minimal' })).resolves.toMatchObject({ id: 'm1' })
    expect(server.requests).toHaveLength(3)
    expect(gmail.retries).toBe(2)
    expect(gmail.unitsSpent).toBe(60)
  })

  it('abandons a request that takes longer than the timeout and retries it', async () => {
    const server = await scriptedServer((_req, index) => (index === 0 ? { hang: true } : { status: 200, body: { id: 'm1', threadId: 't' } }))
    const gmail = clientFor(server, { timeoutMs: 150 })
    await expect(gmail.getMessage('m1', { format: 'minimal' })).resolves.toMatchObject({ id: 'm1' })
    expect(server.requests).toHaveLength(2)
  })

  it.each([
    [400, 'invalidArgument', 'Invalid id value'],
    [404, 'notFound', 'Requested entity was not found.'],
    [403, 'forbidden', 'Delegation denied for ann@fund.example'],
    [403, 'insufficientPermissions', 'Request had insufficient authentication scopes.'],
  ])('does not retry %i %s, and surfaces it with its reason', async (status, reason, message) => {
    const server = await scriptedServer(() => errorReply(status, reason, message))
    const gmail = clientFor(server)
    const error = await gmail.getMessage('m1', { format: 'raw' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error).toMatchObject({ upstreamStatus: status, reason, retryable: false, code: 'upstream_failed' })
    expect((error as Error).message).toContain(message)
    expect((error as Error).message).not.toContain(CACHED_TOKEN)
    expect(JSON.stringify(error)).not.toContain(CACHED_TOKEN)
    expect(server.requests).toHaveLength(1)
  })

  it('gives up after retryMax retries with the last retryable error', async () => {
    const server = await scriptedServer(() => errorReply(429, 'rateLimitExceeded', 'Too many concurrent requests for user'))
    const gmail = clientFor(server, { retryMax: 2 })
    await expect(gmail.getProfile()).rejects.toMatchObject({ upstreamStatus: 429, reason: 'rateLimitExceeded', retryable: true })
    expect(server.requests).toHaveLength(3)
  })

  it('answers a 401 by refreshing the token once and retrying, then fails on a second 401', async () => {
    const tokens = recordingTokens()
    const server = await scriptedServer((req) =>
      req.headers.authorization === `Bearer ${FRESH_TOKEN}` && req.path.endsWith('/profile')
        ? { status: 200, body: { emailAddress: 'ann@fund.example', historyId: '1' } }
        : errorReply(401, 'authError', 'Invalid Credentials'),
    )
    const gmail = clientFor(server, { credentials: tokens.provider })
    await expect(gmail.getProfile()).resolves.toMatchObject({ historyId: '1' })
    expect(tokens.calls).toEqual([{}, { forceRefresh: true }])

    tokens.calls.length = 0
    const before = server.requests.length
    const error = await gmail.listMessages().catch((e: unknown) => e)
    expect(error).toMatchObject({ upstreamStatus: 401, reason: 'authError', retryable: false })
    expect(server.requests.length - before).toBe(2)
    expect(tokens.calls).toEqual([{}, { forceRefresh: true }])
    expect((error as Error).message).not.toContain(FRESH_TOKEN)
  })

  it('passes token errors through unchanged, without calling Gmail', async () => {
    const server = await scriptedServer(() => ({ status: 200, body: {} }))
    const tokenError = new UpstreamError('invalid_grant: account needs attention', { reason: 'invalid_grant', retryable: true })
    const gmail = clientFor(server, { credentials: { getAccessToken: () => Promise.reject(tokenError) } })
    await expect(gmail.getProfile()).rejects.toBe(tokenError)
    expect(server.requests).toHaveLength(0)
    expect(gmail.unitsSpent).toBe(0)
  })

  it('stops when the signal aborts, with the signal reason', async () => {
    const server = await scriptedServer(() => ({ hang: true }))
    const gmail = clientFor(server)
    const controller = new AbortController()
    const call = gmail.getProfile({ signal: controller.signal })
    setTimeout(() => {
      controller.abort(new Error('sync stopped'))
    }, 20)
    await expect(call).rejects.toThrow('sync stopped')
    expect(server.requests).toHaveLength(1)
  })

  it('fails (without retrying) on a 200 answer that is not the documented JSON', async () => {
    const server = await scriptedServer(() => ({ status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html>captive portal</html>' }))
    const gmail = clientFor(server)
    await expect(gmail.getMessage('m1', { format: 'raw' })).rejects.toMatchObject({ reason: 'malformedResponse', retryable: false })
    expect(server.requests).toHaveLength(1)
  })
})

describe('Gmail client: credentials in a configured base URL', () => {
  it('never quotes them in the error of a request that cannot be sent', async () => {
    const server = await scriptedServer(() => ({ status: 200, body: {} }))
    const base = new URL(server.url)
    base.username = 'operator'
    base.password = 'S3cretBasePassw0rd'
    const gmail = clientFor(server, { baseUrl: base.toString().replace(/\/$/, ''), retryMax: 0 })
    const error: unknown = await gmail.getProfile().then(
      () => null,
      (failure: unknown) => failure,
    )
    expect(error).toBeInstanceOf(UpstreamError)
    expect((error as Error).message).not.toContain('S3cretBasePassw0rd')
    expect((error as Error).message).not.toContain('operator:')
  })
})
