import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGmailEmulator } from '../../../src/testing/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'
import { accessToken, reasonOf } from '../../helpers/emulator-auth.js'
import type { ErrorBody } from '../../helpers/emulator-auth.js'
import { batchBody, parseBatchAnswer } from '../../helpers/emulator-batch.js'
import type { BatchAnswerPart, BatchCall } from '../../helpers/emulator-batch.js'
import { buildMessage } from '../../helpers/message.js'

const ANN = 'ann@fund.example'
const BO = 'bo@fund.example'
/** A stopped clock, so quota refill cannot blur which parts run out. */
const FROZEN = Date.UTC(2026, 0, 1)

let emu: GmailEmulator
let ann: string
let bo: string
const ids: string[] = []

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 'batch', quota: Infinity })
  for (let i = 0; i < 3; i++) ids.push(emu.addMessage(ANN, buildMessage({ subject: `Batch ${i}` })).id)
  emu.addMessage(BO, buildMessage({ subject: 'For Bo' }))
  ann = await accessToken(emu, ANN)
  bo = await accessToken(emu, BO)
})
afterAll(() => emu.close())

async function sendBatch(target: GmailEmulator, calls: readonly BatchCall[], outerToken: string | null): Promise<{ status: number; contentType: string; parts: BatchAnswerPart[]; text: string }> {
  const boundary = 'batch_foobarbaz'
  const res = await fetch(`${target.url}/batch/gmail/v1`, {
    method: 'POST',
    headers: { 'content-type': `multipart/mixed; boundary=${boundary}`, ...(outerToken === null ? {} : { authorization: `Bearer ${outerToken}` }) },
    body: batchBody(boundary, calls),
  })
  const text = await res.text()
  const contentType = res.headers.get('content-type') ?? ''
  return { status: res.status, contentType, text, parts: res.status === 200 ? parseBatchAnswer(contentType, text) : [] }
}

describe('batch', () => {
  it('answers each part with its own status and echoes Content-ID as response-ID', async () => {
    const calls = [
      { id: 'item1', path: `/gmail/v1/users/me/messages/${ids[0] ?? ''}?format=metadata` },
      { id: 'item2:12930812@barnyard.example.com', path: '/gmail/v1/users/me/messages/ffffffffffffffff' },
      { id: 'item3', path: `/gmail/v1/users/me/messages/${ids[2] ?? ''}?format=minimal` },
    ]
    const answer = await sendBatch(emu, calls, ann)
    expect(answer.status).toBe(200)
    expect(answer.contentType).toMatch(/^multipart\/mixed; boundary=batch_[\w-]+$/)
    expect(answer.contentType).not.toContain('batch_foobarbaz')
    expect(answer.parts.map((p) => [p.contentId, p.status])).toEqual([
      ['response-item1', 200], ['response-item2:12930812@barnyard.example.com', 404], ['response-item3', 200],
    ])
    expect(answer.parts[0]?.body).toMatchObject({ id: ids[0], payload: { mimeType: 'text/plain' } })
    expect(reasonOf(answer.parts[1]?.body)).toBe('notFound')
    expect(answer.parts[0]?.headers['content-type']).toBe('application/json; charset=UTF-8')
    expect(answer.text).toMatch(/Content-Type: application\/http\r\nContent-ID: <response-item1>\r\n\r\nHTTP\/1\.1 200 OK\r\n/)
    expect(emu.stats.requests).toMatchObject({ batch: 1, 'messages.get': 3 })
  })

  it('authorizes each part by its own Authorization header, else the outer one', async () => {
    const calls = [
      { id: 'a', path: '/gmail/v1/users/me/profile' },
      { id: 'b', path: '/gmail/v1/users/me/profile', authorization: `Bearer ${bo}` },
      { id: 'c', path: '/gmail/v1/users/me/profile', authorization: 'Bearer ya29.forged' },
      { id: 'd', path: `/gmail/v1/users/${BO}/profile` },
    ]
    const answer = await sendBatch(emu, calls, ann)
    expect(answer.parts.map((p) => p.status)).toEqual([200, 200, 401, 403])
    expect(answer.parts.map((p) => (p.body as { emailAddress?: string }).emailAddress)).toEqual([ANN, BO, undefined, undefined])
    const bare = await sendBatch(emu, [{ id: 'x', path: '/gmail/v1/users/me/profile' }], null)
    expect(bare.parts[0]?.status).toBe(401)
  })

  it('refuses more than 100 parts with 400', async () => {
    const calls = Array.from({ length: 101 }, (_, i) => ({ id: `i${i}`, path: '/gmail/v1/users/me/profile' }))
    const answer = await sendBatch(emu, calls, ann)
    expect(answer.status).toBe(400)
    const body = JSON.parse(answer.text) as ErrorBody
    expect(body.error).toMatchObject({ code: 400, message: 'Inner request count exceeds the limit. Received: 101, Limit: 100' })
    const hundred = await sendBatch(emu, calls.slice(0, 100), ann)
    expect(hundred.parts).toHaveLength(100)
  })

  it('refuses a body that is not multipart/mixed', async () => {
    const res = await fetch(`${emu.url}/batch/gmail/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(400)
  })

  it('charges quota and injects faults per part', async () => {
    const limited = await startGmailEmulator({ seed: 'batch-faults', quota: 100, clock: { now: () => FROZEN }, faults: { rateLimit: 0.3, methods: ['messages.get'] } })
    try {
      const messageIds = Array.from({ length: 14 }, (_, i) => limited.addMessage(ANN, buildMessage({ subject: `m${i}` })).id)
      const token = await accessToken(limited, ANN, FROZEN / 1000)
      const answer = await sendBatch(limited, messageIds.map((id, i) => ({ id: `p${i}`, path: `/gmail/v1/users/me/messages/${id}` })), token)
      expect(answer.status).toBe(200)
      const statuses = answer.parts.map((p) => p.status)
      expect(statuses, statuses.join()).toContain(429)
      expect(statuses, statuses.join()).toContain(403)
      // 100 units buy five gets at 20; parts refused by a fault or the bucket are not charged.
      expect(statuses.filter((s) => s === 200)).toHaveLength(5)
      expect(statuses.lastIndexOf(200)).toBeLessThan(statuses.indexOf(403))
      const quotaPart = answer.parts.find((p) => p.status === 403)
      expect((quotaPart?.body as ErrorBody).error.message).toMatch(/^User-rate limit exceeded\. {2}Retry after \d{4}-/)
      expect(limited.stats.unitsSpent[ANN]).toBe(100)
    } finally {
      await limited.close()
    }
  })
})
