import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GmailHistoryPage, GmailHistoryRecord, GmailProfile } from '../../../src/gmail/types.js'
import { startGmailEmulator } from '../../../src/testing/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'
import { accessToken, gmailGet, reasonOf } from '../../helpers/emulator-auth.js'
import type { ErrorBody } from '../../helpers/emulator-auth.js'
import { buildMessage } from '../../helpers/message.js'

const ANN = 'ann@fund.example'

let emu: GmailEmulator
let token: string
let now = Date.UTC(2026, 2, 1)

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 'history', quota: Infinity, historyTtl: 7 * 24 * 3600 * 1000, clock: { now: () => now } })
  emu.addMessage(ANN, buildMessage({ subject: 'Before the cursor' }))
  token = await accessToken(emu, ANN, Math.floor(now / 1000))
})
afterAll(() => emu.close())

async function history(query: string): Promise<{ status: number; body: GmailHistoryPage }> {
  return gmailGet<GmailHistoryPage>(emu, token, `users/me/history?${query}`)
}

async function allHistory(query: string): Promise<GmailHistoryRecord[]> {
  const records: GmailHistoryRecord[] = []
  let pageToken: string | undefined
  do {
    const { status, body } = await history(`${query}${pageToken === undefined ? '' : `&pageToken=${pageToken}`}`)
    expect(status).toBe(200)
    records.push(...(body.history ?? []))
    pageToken = body.nextPageToken
  } while (pageToken !== undefined)
  return records
}

describe('history.list', () => {
  let start = ''
  let first = ''
  let second = ''
  beforeAll(async () => {
    start = (await gmailGet<GmailProfile>(emu, token, 'users/me/profile')).body.historyId
    first = emu.addMessage(ANN, buildMessage({ subject: 'First' })).id
    second = emu.addMessage(ANN, buildMessage({ subject: 'Second' }), { labelIds: ['INBOX', 'UNREAD'] }).id
    emu.modifyLabels(ANN, first, ['Label_1', 'STARRED'], ['INBOX'])
    emu.modifyLabels(ANN, second, ['UNREAD'], [])
    emu.deleteMessage(ANN, second)
  })

  it('gives every change after startHistoryId, in order, with increasing ids', async () => {
    const { body } = await history(`startHistoryId=${start}`)
    expect(body.historyId).toBe(emu.historyId(ANN))
    expect(body.nextPageToken).toBeUndefined()
    const records = body.history ?? []
    expect(records.map((r) => Object.keys(r).filter((k) => k !== 'id' && k !== 'messages'))).toEqual([
      ['messagesAdded'], ['messagesAdded'], ['labelsAdded'], ['labelsRemoved'], ['messagesDeleted'],
    ])
    const ids = records.map((r) => BigInt(r.id))
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true)
    expect(ids[0]).toBeGreaterThan(BigInt(start))
    expect(records.at(-1)?.id).toBe(body.historyId)
    expect(records[0]).toEqual({ id: records[0]?.id, messages: [{ id: first, threadId: first }], messagesAdded: [{ message: { id: first, threadId: first, labelIds: ['INBOX'] } }] })
    expect(records[2]?.labelsAdded).toEqual([{ message: { id: first, threadId: first, labelIds: ['Label_1', 'STARRED'] }, labelIds: ['Label_1', 'STARRED'] }])
    expect(records[3]?.labelsRemoved).toEqual([{ message: { id: first, threadId: first, labelIds: ['Label_1', 'STARRED'] }, labelIds: ['INBOX'] }])
    expect(records[4]?.messagesDeleted?.[0]?.message.id).toBe(second)
  })

  it('filters by historyTypes and labelId', async () => {
    const labels = await allHistory(`startHistoryId=${start}&historyTypes=labelAdded&historyTypes=labelRemoved`)
    expect(labels.map((r) => (r.labelsAdded === undefined ? 'removed' : 'added'))).toEqual(['added', 'removed'])
    const deleted = await allHistory(`startHistoryId=${start}&historyTypes=MESSAGE_DELETED`)
    expect(deleted).toHaveLength(1)
    const unread = await allHistory(`startHistoryId=${start}&labelId=UNREAD`)
    expect(unread.map((r) => r.messages?.[0]?.id)).toEqual([second, second])
  })

  it('pages with maxResults and gives the same records', async () => {
    const whole = await allHistory(`startHistoryId=${start}`)
    expect(await allHistory(`startHistoryId=${start}&maxResults=1`)).toEqual(whole)
    expect(await allHistory(`startHistoryId=${start}&maxResults=2`)).toEqual(whole)
    const firstPage = await history(`startHistoryId=${start}&maxResults=2`)
    expect(firstPage.body.history).toHaveLength(2)
    expect(firstPage.body.nextPageToken).toEqual(expect.any(String))
  })

  it('gives no records, only the historyId, from the current id', async () => {
    const { status, body } = await history(`startHistoryId=${emu.historyId(ANN)}`)
    expect(status).toBe(200)
    expect(body).toEqual({ historyId: emu.historyId(ANN) })
  })

  it('answers 400 without a valid startHistoryId or with a bad type', async () => {
    const missing = await gmailGet<ErrorBody>(emu, token, 'users/me/history')
    expect(missing.status).toBe(400)
    expect(missing.body.error.message).toBe('Required parameter: startHistoryId')
    expect((await history('startHistoryId=abc')).status).toBe(400)
    expect((await history(`startHistoryId=${start}&historyTypes=messageMoved`)).status).toBe(400)
  })
})

describe('history expiry', () => {
  it('answers 404 for any earlier start after expireHistory', async () => {
    const old = emu.historyId(ANN)
    emu.addMessage(ANN, buildMessage())
    emu.expireHistory(ANN)
    const expired = await gmailGet<ErrorBody>(emu, token, `users/me/history?startHistoryId=${old}`)
    expect(expired.status).toBe(404)
    expect(reasonOf(expired.body)).toBe('notFound')
    const floor = emu.historyId(ANN)
    const next = emu.addMessage(ANN, buildMessage()).id
    const fromFloor = await history(`startHistoryId=${floor}`)
    expect(fromFloor.status).toBe(200)
    expect(fromFloor.body.history?.map((r) => r.messages?.[0]?.id)).toEqual([next])
    expect((await history(`startHistoryId=${BigInt(floor) - 1n}`)).status).toBe(404)
  })

  it('drops records older than historyTtl', async () => {
    const before = emu.historyId(ANN)
    emu.addMessage(ANN, buildMessage())
    now += 8 * 24 * 3600 * 1000
    const kept = emu.historyId(ANN)
    const fresh = emu.addMessage(ANN, buildMessage()).id
    token = await accessToken(emu, ANN, Math.floor(now / 1000))
    expect((await history(`startHistoryId=${before}`)).status).toBe(404)
    const { status, body } = await history(`startHistoryId=${kept}`)
    expect(status).toBe(200)
    expect(body.history?.map((r) => r.messages?.[0]?.id)).toEqual([fresh])
  })
})
