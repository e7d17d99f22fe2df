import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GmailMessage, GmailMessageListPage } from '../../../src/gmail/types.js'
import { startGmailEmulator } from '../../../src/testing/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'
import { accessToken, gmailGet, reasonOf } from '../../helpers/emulator-auth.js'
import type { ErrorBody } from '../../helpers/emulator-auth.js'
import { buildMessage } from '../../helpers/message.js'

const ANN = 'ann@fund.example'
const DAY = 24 * 3600 * 1000
const START = Date.UTC(2026, 0, 1, 12)

let emu: GmailEmulator
let token: string
/** Ids of the 23 plain messages, newest first. */
let newestFirst: string[] = []
const labelled: Record<string, string> = {}

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 'messages', quota: Infinity })
  const added = Array.from({ length: 23 }, (_, i) =>
    emu.addMessage(ANN, buildMessage({ subject: `Plain ${i}`, date: new Date(START + i * DAY) })).id)
  newestFirst = added.reverse()
  labelled.sent = emu.addMessage(ANN, buildMessage({ subject: 'Sent one' }), { labelIds: ['SENT'], internalDate: START - DAY }).id
  labelled.spam = emu.addMessage(ANN, buildMessage({ subject: 'Spam' }), { labelIds: ['SPAM'], internalDate: START - 2 * DAY }).id
  labelled.trash = emu.addMessage(ANN, buildMessage({ subject: 'Trash' }), { labelIds: ['TRASH'], internalDate: START - 3 * DAY }).id
  labelled.both = emu.addMessage(ANN, buildMessage({ subject: 'Both' }), { labelIds: ['INBOX', 'Label_7', 'IMPORTANT'], internalDate: START - 4 * DAY }).id
  token = await accessToken(emu, ANN)
})
afterAll(() => emu.close())

async function list(query: string): Promise<GmailMessageListPage> {
  const answer = await gmailGet<GmailMessageListPage>(emu, token, `users/me/messages?${query}`)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

async function listAll(query: string): Promise<string[]> {
  const ids: string[] = []
  let pageToken: string | undefined
  do {
    const page = await list(`${query}${pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`}`)
    ids.push(...(page.messages ?? []).map((m) => m.id))
    pageToken = page.nextPageToken
  } while (pageToken !== undefined)
  return ids
}

describe('messages.list', () => {
  const allInbox = (): string[] => [...newestFirst, labelled.both ?? '']

  it.each([1, 5, 7, 24, 100, 500])('pages to the end with maxResults=%i, newest first', async (maxResults) => {
    const ids = await listAll(`labelIds=INBOX&maxResults=${maxResults}`)
    expect(ids).toEqual(allInbox())
    const first = await list(`labelIds=INBOX&maxResults=${maxResults}`)
    expect(first.resultSizeEstimate).toBe(24)
    expect(first.messages?.[0]).toEqual({ id: newestFirst[0], threadId: newestFirst[0] })
  })

  it('gives ids as 16 lowercase hex digits', () => {
    for (const id of allInbox()) expect(id).toMatch(/^[1-9a-f][0-9a-f]{15}$/)
  })

  it('caps maxResults at 500 as Gmail does', async () => {
    const big = await startGmailEmulator({ quota: Infinity })
    try {
      for (let i = 0; i < 501; i++) big.addMessage(ANN, `Subject: m${i}\r\n\r\nx`, { internalDate: START + i })
      const answer = await gmailGet<GmailMessageListPage>(big, await accessToken(big, ANN), 'users/me/messages?maxResults=1000')
      expect(answer.body.messages).toHaveLength(500)
      expect(answer.body.nextPageToken).toBeDefined()
    } finally {
      await big.close()
    }
  })

  it('leaves SPAM and TRASH out unless asked', async () => {
    const all = await listAll('maxResults=500')
    expect(all).toContain(labelled.sent)
    expect(all).not.toContain(labelled.spam)
    expect(all).not.toContain(labelled.trash)
    const everything = await listAll('includeSpamTrash=true')
    expect(everything).toEqual(expect.arrayContaining([labelled.spam, labelled.trash]))
    expect(await listAll('labelIds=SPAM')).toEqual([labelled.spam])
    expect(await listAll('q=in:trash')).toEqual([labelled.trash])
  })

  it('requires every label of labelIds', async () => {
    expect(await listAll('labelIds=INBOX&labelIds=Label_7')).toEqual([labelled.both])
    expect(await listAll('labelIds=INBOX&labelIds=Label_7&labelIds=STARRED')).toEqual([])
    const empty = await list('labelIds=STARRED')
    expect(empty).toEqual({ resultSizeEstimate: 0 })
  })

  it('filters with the q subset', async () => {
    // 2026-01-05 12:00 UTC is 04:00 in Los Angeles, so after:2026/01/05 includes it.
    expect(await listAll(`q=${encodeURIComponent('after:2026/01/05 before:2026/01/08')}`)).toEqual(newestFirst.slice(-7, -4))
    const seconds = Math.floor((START + 20 * DAY) / 1000)
    expect(await listAll(`q=after:${seconds}`)).toEqual(newestFirst.slice(0, 3))
    expect(await listAll('q=in:sent')).toEqual([labelled.sent])
    expect(await listAll(`q=${encodeURIComponent('-in:inbox')}`)).toEqual([labelled.sent])
    expect(await listAll('q=label:label_7')).toEqual([labelled.both])
    expect(await listAll(`q=${encodeURIComponent('in:anywhere -in:inbox -in:sent')}`)).toEqual([labelled.spam, labelled.trash])
  })

  it('reads q dates as midnight in Los Angeles', async () => {
    const la = await startGmailEmulator()
    try {
      const before = la.addMessage(ANN, 'Subject: a\r\n\r\nx', { internalDate: Date.UTC(2026, 6, 10, 6, 59) }).id
      const after = la.addMessage(ANN, 'Subject: b\r\n\r\nx', { internalDate: Date.UTC(2026, 6, 10, 7, 0) }).id
      const t = await accessToken(la, ANN)
      const answer = await gmailGet<GmailMessageListPage>(la, t, 'users/me/messages?q=after:2026/07/10')
      expect(answer.body.messages?.map((m) => m.id)).toEqual([after])
      const older = await gmailGet<GmailMessageListPage>(la, t, 'users/me/messages?q=before:2026-07-10')
      expect(older.body.messages?.map((m) => m.id)).toEqual([before])
    } finally {
      await la.close()
    }
  })

  it.each([
    ['an unsupported q term', 'q=from:bo', 'invalidArgument'],
    ['a bad date', 'q=after:2026/13/45', 'invalidArgument'],
    ['a bad maxResults', 'maxResults=ten', 'invalid'],
    ['a bad pageToken', 'pageToken=nonsense', 'invalidArgument'],
    ['an unknown parameter', 'maxResult=5', 'invalid'],
  ])('answers 400 for %s', async (_name, query, reason) => {
    const answer = await gmailGet<ErrorBody>(emu, token, `users/me/messages?${query}`)
    expect(answer.status).toBe(400)
    expect(answer.body.error.status).toBe('INVALID_ARGUMENT')
    expect(reasonOf(answer.body)).toBe(reason)
  })
})

const PDF = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256))
const NESTED = buildMessage({
  subject: '=?UTF-8?B?VMOpcm1pbm8gc2hlZXQ=?=',
  text: "Here's  the\r\n  term   sheet.",
  html: '<p>Here&#39;s the <b>term</b> sheet.</p>',
  attachments: [{ filename: 'terms.pdf', contentType: 'application/pdf', content: PDF }],
})

describe('messages.get', () => {
  let id = ''
  beforeAll(() => {
    id = emu.addMessage(ANN, NESTED, { labelIds: ['INBOX', 'UNREAD'] }).id
  })
  const get = (query: string): Promise<{ status: number; body: GmailMessage }> =>
    gmailGet<GmailMessage>(emu, token, `users/me/messages/${id}?${query}`)

  it('gives the full MIME tree as Gmail numbers it', async () => {
    const { status, body } = await get('format=full')
    expect(status).toBe(200)
    const p = body.payload!
    expect(p).toMatchObject({ partId: '', mimeType: 'multipart/mixed', filename: '', body: { size: 0 } })
    expect(p.headers?.find((h) => h.name === 'Subject')?.value).toBe('Término sheet')
    const [alternative, pdf] = p.parts ?? []
    expect(alternative).toMatchObject({ partId: '0', mimeType: 'multipart/alternative', filename: '' })
    const [plain, html] = alternative?.parts ?? []
    expect(plain).toMatchObject({ partId: '0.0', mimeType: 'text/plain', filename: '' })
    expect(Buffer.from(plain?.body?.data ?? '', 'base64url').toString()).toBe("Here's  the\r\n  term   sheet.")
    expect(plain?.headers).toEqual([{ name: 'Content-Type', value: 'text/plain; charset=UTF-8' }, { name: 'Content-Transfer-Encoding', value: '8bit' }])
    expect(html).toMatchObject({ partId: '0.1', mimeType: 'text/html' })
    expect(pdf).toMatchObject({ partId: '1', mimeType: 'application/pdf', filename: 'terms.pdf', body: { size: PDF.length } })
    expect(pdf?.body?.data).toBeUndefined()
    expect(body).toMatchObject({ id, threadId: id, labelIds: ['INBOX', 'UNREAD'], sizeEstimate: Buffer.byteLength(NESTED) })
    expect(body.snippet).toBe('Here&#39;s the term sheet.')
    expect(body.historyId).toMatch(/^\d+$/)
    expect(body.internalDate).toBe(String(START))

    const attachmentId = pdf?.body?.attachmentId ?? ''
    const attachment = await gmailGet<{ size: number; data: string }>(emu, token, `users/me/messages/${id}/attachments/${attachmentId}`)
    expect(attachment.status).toBe(200)
    expect(attachment.body.size).toBe(PDF.length)
    expect(Buffer.from(attachment.body.data, 'base64url').equals(PDF)).toBe(true)
  })

  it('gives the stored bytes for format=raw', async () => {
    const { body } = await get('format=raw')
    expect(Buffer.from(body.raw ?? '', 'base64url').toString()).toBe(NESTED)
    expect(body.payload).toBeUndefined()
  })

  it('gives headers only for format=metadata, filtered by metadataHeaders', async () => {
    const all = (await get('format=metadata')).body
    expect(all.payload?.parts).toBeUndefined()
    expect(all.payload?.body).toBeUndefined()
    expect(all.payload?.headers?.map((h) => h.name)).toEqual(['From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'Content-Type'])
    const some = (await get('format=metadata&metadataHeaders=subject&metadataHeaders=From')).body
    expect(some.payload?.headers).toEqual([{ name: 'From', value: 'Bo Partner <bo@lp.example>' }, { name: 'Subject', value: 'Término sheet' }])
  })

  it('gives ids, labels and sizes only for format=minimal', async () => {
    const { body } = await get('format=minimal')
    expect(Object.keys(body).sort()).toEqual(['historyId', 'id', 'internalDate', 'labelIds', 'sizeEstimate', 'snippet', 'threadId'])
  })

  it('answers 404 for an unknown id and 400 for a malformed one or a bad format', async () => {
    const missing = await gmailGet<ErrorBody>(emu, token, 'users/me/messages/ffffffffffffffff')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({ error: { code: 404, message: 'Requested entity was not found.', errors: [{ message: 'Requested entity was not found.', domain: 'global', reason: 'notFound' }], status: 'NOT_FOUND' } })
    expect((await gmailGet(emu, token, 'users/me/messages/not-an-id')).status).toBe(400)
    expect((await get('format=html')).status).toBe(400)
    expect((await gmailGet(emu, token, `users/me/messages/${id}/attachments/ANGjdJbogus`)).status).toBe(400)
  })

  it('gives large bodies as attachmentId past inlineBodyLimit', async () => {
    const small = await startGmailEmulator({ inlineBodyLimit: 100 })
    try {
      const big = small.addMessage(ANN, buildMessage({ text: 'x'.repeat(500) })).id
      const t = await accessToken(small, ANN)
      const full = await gmailGet<GmailMessage>(small, t, `users/me/messages/${big}`)
      const part = full.body.payload!
      expect(part.body).toEqual({ attachmentId: expect.any(String) as unknown, size: 500 })
      const bytes = await gmailGet<{ data: string }>(small, t, `users/me/messages/${big}/attachments/${part.body?.attachmentId ?? ''}`)
      expect(Buffer.from(bytes.body.data, 'base64url').toString()).toBe('x'.repeat(500))
    } finally {
      await small.close()
    }
  })
})

describe('threads', () => {
  it('threads replies whose subject matches, and names a thread after its first message', () => {
    const root = emu.addMessage(ANN, buildMessage({ subject: 'Series A', messageId: 'root@lp.example' }))
    expect(root.threadId).toBe(root.id)
    const reply = emu.addMessage(ANN, buildMessage({ subject: 'RE: Series A', messageId: 'r1@lp.example', inReplyTo: 'root@lp.example' }))
    expect(reply.threadId).toBe(root.threadId)
    const deep = emu.addMessage(ANN, buildMessage({ subject: 'Re: Fwd: Series A', references: ['root@lp.example', 'r1@lp.example'] }))
    expect(deep.threadId).toBe(root.threadId)
    const offTopic = emu.addMessage(ANN, buildMessage({ subject: 'Lunch?', inReplyTo: 'root@lp.example' }))
    expect(offTopic.threadId).toBe(offTopic.id)
    const forced = emu.addMessage(ANN, buildMessage({ subject: 'Other' }), { threadId: root.threadId })
    expect(forced.threadId).toBe(root.threadId)
  })
})
