/**
 * Drives the emulator with Google's own Node client (`@googleapis/gmail` over
 * google-auth-library's JWT client), so the emulator is held to what Google's client sends
 * and expects, not to what our client happens to do.
 */
import { auth, gmail } from '@googleapis/gmail'
import type { gmail_v1 } from '@googleapis/gmail'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGmailEmulator } from '../../../src/testing/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'
import { READONLY } from '../../helpers/emulator-auth.js'
import { parseBatchAnswer } from '../../helpers/emulator-batch.js'
import { buildMessage } from '../../helpers/message.js'

const ANN = 'ann@fund.example'
/** gtoken (inside google-auth-library) always posts here; the test routes it to the emulator. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token'
const ATTACHMENT = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 13) % 256))

let emu: GmailEmulator
let jwt: InstanceType<typeof auth.JWT>
let api: gmail_v1.Gmail
const ids: string[] = []
let withAttachment = ''

function toEmulator(input: string | URL | Request): string | URL | Request {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  return url === GOOGLE_TOKEN_URL ? emu.tokenUrl : input
}

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 'conformance', quota: Infinity })
  for (let i = 0; i < 7; i++) {
    ids.unshift(emu.addMessage(ANN, buildMessage({ subject: `Conformance ${i}`, date: new Date(Date.UTC(2026, 1, 1 + i, 12)) })).id)
  }
  withAttachment = emu.addMessage(ANN, buildMessage({
    subject: 'Deck', html: '<p>See the deck</p>', date: new Date(Date.UTC(2026, 1, 20)),
    attachments: [{ filename: 'deck.bin', contentType: 'application/octet-stream', content: ATTACHMENT }],
  })).id
  ids.unshift(withAttachment)
  jwt = new auth.JWT({
    email: emu.serviceAccountKey.client_email,
    key: emu.serviceAccountKey.private_key,
    scopes: [READONLY],
    subject: ANN,
    // gtoken signs for Google's audience; the emulator insists on its own token URL.
    additionalClaims: { aud: emu.tokenUrl },
    transporterOptions: { fetchImplementation: (input, init) => fetch(toEmulator(input), init) },
  })
  api = gmail({ version: 'v1', rootUrl: `${emu.url}/`, auth: jwt })
})
afterAll(() => emu.close())

/** The status and Gmail reason of a rejected call. */
async function failure(call: Promise<unknown>): Promise<{ status: number | undefined; reason: string | undefined }> {
  try {
    await call
  } catch (error) {
    const e = error as { status?: number; response?: { status?: number; data?: { error?: { errors?: { reason?: string }[] } } } }
    return { status: e.status ?? e.response?.status, reason: e.response?.data?.error?.errors?.[0]?.reason }
  }
  throw new Error('expected the call to fail')
}

describe("Google's client against the emulator", () => {
  it('reads the profile with a token from the jwt-bearer grant', async () => {
    const { data } = await api.users.getProfile({ userId: 'me' })
    expect(data.emailAddress).toBe(ANN)
    expect(data.messagesTotal).toBe(8)
    expect(data.historyId).toBe(emu.historyId(ANN))
  })

  it('pages messages.list to the end', async () => {
    const seen: string[] = []
    let pageToken: string | undefined
    do {
      const { data } = await api.users.messages.list({ userId: 'me', maxResults: 3, ...(pageToken === undefined ? {} : { pageToken }) })
      seen.push(...(data.messages ?? []).map((m) => m.id ?? ''))
      pageToken = data.nextPageToken ?? undefined
    } while (pageToken !== undefined)
    expect(seen).toEqual(ids)
    const { data } = await api.users.messages.list({ userId: 'me', labelIds: ['INBOX'], q: 'after:2026/02/05', includeSpamTrash: false })
    expect(data.messages?.map((m) => m.id)).toEqual(ids.slice(0, 4))
  })

  it('gets a message in every format and downloads its attachment', async () => {
    const full = (await api.users.messages.get({ userId: 'me', id: withAttachment, format: 'full' })).data
    expect(full.payload?.mimeType).toBe('multipart/mixed')
    expect(full.payload?.parts?.map((p) => p.partId)).toEqual(['0', '1'])
    expect(full.payload?.parts?.[0]?.parts?.map((p) => [p.partId, p.mimeType])).toEqual([['0.0', 'text/plain'], ['0.1', 'text/html']])
    const file = full.payload?.parts?.[1]
    expect(file?.filename).toBe('deck.bin')
    const attachment = await api.users.messages.attachments.get({ userId: 'me', messageId: withAttachment, id: file?.body?.attachmentId ?? '' })
    expect(attachment.data.size).toBe(ATTACHMENT.length)
    expect(Buffer.from(attachment.data.data ?? '', 'base64url').equals(ATTACHMENT)).toBe(true)

    const metadata = (await api.users.messages.get({ userId: 'me', id: withAttachment, format: 'metadata', metadataHeaders: ['Subject', 'Date'] })).data
    expect(metadata.payload?.headers?.map((h) => h.name)).toEqual(['Subject', 'Date'])
    const raw = (await api.users.messages.get({ userId: 'me', id: withAttachment, format: 'raw' })).data
    expect(Buffer.from(raw.raw ?? '', 'base64url').toString()).toContain('Subject: Deck')
    const minimal = (await api.users.messages.get({ userId: 'me', id: withAttachment, format: 'minimal' })).data
    expect(minimal.payload).toBeUndefined()
    expect(minimal.labelIds).toEqual(['INBOX'])
    expect(emu.stats.downloads[withAttachment]).toBe(3)
  })

  it('lists history with types and paging', async () => {
    const start = (await api.users.getProfile({ userId: 'me' })).data.historyId ?? ''
    const added = emu.addMessage(ANN, buildMessage({ subject: 'Later' })).id
    emu.modifyLabels(ANN, added, ['STARRED'], [])
    emu.deleteMessage(ANN, ids[1] ?? '')
    const first = await api.users.history.list({ userId: 'me', startHistoryId: start, maxResults: 2 })
    expect(first.data.history).toHaveLength(2)
    const second = await api.users.history.list({ userId: 'me', startHistoryId: start, pageToken: first.data.nextPageToken ?? '' })
    expect(second.data.history?.[0]?.messagesDeleted?.[0]?.message?.id).toBe(ids[1])
    expect(second.data.nextPageToken).toBeUndefined()
    const typed = await api.users.history.list({ userId: 'me', startHistoryId: start, historyTypes: ['labelAdded'] })
    expect(typed.data.history?.[0]?.labelsAdded?.[0]?.labelIds).toEqual(['STARRED'])
    expect(typed.data.historyId).toBe(emu.historyId(ANN))
  })

  it('surfaces 404 and 400 with Google reasons', async () => {
    expect(await failure(api.users.messages.get({ userId: 'me', id: 'ffffffffffffffff' }))).toEqual({ status: 404, reason: 'notFound' })
    expect(await failure(api.users.messages.list({ userId: 'me', q: 'has:drive' }))).toEqual({ status: 400, reason: 'invalidArgument' })
    expect(await failure(api.users.history.list({ userId: 'me' }))).toEqual({ status: 400, reason: 'required' })
    emu.expireHistory(ANN)
    expect(await failure(api.users.history.list({ userId: 'me', startHistoryId: '1' }))).toEqual({ status: 404, reason: 'notFound' })
  })

  it('asked the token endpoint once for all those calls', () => {
    expect(emu.stats.tokensIssued).toEqual({ [ANN]: 1 })
  })

  it('answers a batch written as in Google’s batching guide', async () => {
    const token = (await jwt.getAccessToken()).token ?? ''
    const body = [
      '--batch_foobarbaz',
      'Content-Type: application/http',
      'Content-ID: <item1:12930812@barnyard.example.com>',
      '',
      `GET /gmail/v1/users/me/messages/${ids[0] ?? ''}?format=metadata&metadataHeaders=Subject`,
      '',
      '--batch_foobarbaz',
      'Content-Type: application/http',
      'Content-ID: <item2:12930812@barnyard.example.com>',
      '',
      'GET /gmail/v1/users/me/messages/ffffffffffffffff',
      '',
      '--batch_foobarbaz',
      'Content-Type: application/http',
      'Content-ID: <item3:12930812@barnyard.example.com>',
      '',
      `GET https://gmail.googleapis.com/gmail/v1/users/me/messages/${ids[2] ?? ''}?format=minimal HTTP/1.1`,
      '',
      '--batch_foobarbaz--',
      '',
    ].join('\r\n')
    const res = await fetch(`${emu.url}/batch/gmail/v1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/mixed; boundary=batch_foobarbaz' },
      body,
    })
    expect(res.status).toBe(200)
    const parts = parseBatchAnswer(res.headers.get('content-type') ?? '', await res.text())
    expect(parts.map((p) => [p.contentId, p.status])).toEqual([
      ['response-item1:12930812@barnyard.example.com', 200],
      ['response-item2:12930812@barnyard.example.com', 404],
      ['response-item3:12930812@barnyard.example.com', 200],
    ])
    expect((parts[0]?.body as gmail_v1.Schema$Message).payload?.headers?.[0]?.name).toBe('Subject')
    expect((parts[2]?.body as gmail_v1.Schema$Message).id).toBe(ids[2])
  })
})
