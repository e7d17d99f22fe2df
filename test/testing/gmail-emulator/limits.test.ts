import { describe, expect, it } from 'vitest'
import { startGmailEmulator } from '../../../src/testing/index.js'
import { resolveEmulatorOptions } from '../../../src/testing/gmail-emulator/options.js'
import type { GmailEmulator, GmailEmulatorOptions } from '../../../src/testing/index.js'
import { accessToken, gmailGet, reasonOf } from '../../helpers/emulator-auth.js'
import type { ErrorBody } from '../../helpers/emulator-auth.js'
import { buildMessage } from '../../helpers/message.js'

const ANN = 'ann@fund.example'
const BO = 'bo@fund.example'

/** Runs `fn` against a fresh emulator and always closes it. */
async function withEmulator(options: GmailEmulatorOptions, fn: (emu: GmailEmulator) => Promise<void>): Promise<void> {
  const emu = await startGmailEmulator(options)
  try {
    await fn(emu)
  } finally {
    await emu.close()
  }
}

describe('quota', () => {
  it('answers 403 rateLimitExceeded with a Retry after time, charges nothing for it, then recovers', async () => {
    let now = Date.UTC(2026, 3, 1)
    await withEmulator({ quota: 50, clock: { now: () => now } }, async (emu) => {
      const id = emu.addMessage(ANN, buildMessage()).id
      const token = await accessToken(emu, ANN, Math.floor(now / 1000))
      const get = (): Promise<{ status: number; body: ErrorBody }> => gmailGet<ErrorBody>(emu, token, `users/me/messages/${id}?format=minimal`)
      expect((await get()).status).toBe(200)
      expect((await get()).status).toBe(200)
      const refused = await get()
      expect(refused.status).toBe(403)
      expect(refused.body.error).toMatchObject({
        code: 403, status: 'PERMISSION_DENIED', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }],
      })
      const match = /^User-rate limit exceeded\. {2}Retry after (\S+)$/.exec(refused.body.error.message)
      const retryAt = Date.parse(match?.[1] ?? '')
      // 10 units left, 20 needed, 50 per second: 200 ms.
      expect(retryAt).toBe(now + 200)
      expect(refused.body.error.errors?.[0]?.message).toBe(refused.body.error.message)
      expect(emu.stats.unitsSpent[ANN]).toBe(40)
      now += 150
      expect((await get()).status).toBe(403)
      now = retryAt
      expect((await get()).status).toBe(200)
      expect(emu.stats.unitsSpent[ANN]).toBe(60)
      expect(emu.stats.responses['messages.get 403']).toBe(2)
    })
  })

  it('charges by the chosen cost table, per user', async () => {
    await withEmulator({ costs: 'legacy' }, async (emu) => {
      const id = emu.addMessage(ANN, buildMessage()).id
      emu.addMailbox(BO)
      const ann = await accessToken(emu, ANN)
      await gmailGet(emu, ann, `users/me/messages/${id}`)
      await gmailGet(emu, ann, 'users/me/messages')
      await gmailGet(emu, ann, `users/me/history?startHistoryId=${emu.historyId(ANN)}`)
      await gmailGet(emu, await accessToken(emu, BO), 'users/me/profile')
      expect(emu.stats.unitsSpent).toEqual({ [ANN]: 5 + 5 + 2, [BO]: 1 })
    })
    await withEmulator({ costs: { get: 7 } }, async (emu) => {
      const id = emu.addMessage(ANN, buildMessage()).id
      await gmailGet(emu, await accessToken(emu, ANN), `users/me/messages/${id}`)
      expect(emu.stats.unitsSpent[ANN]).toBe(7)
    })
  })
})

describe('quota per minute', () => {
  const RETRY_AFTER = /^User-rate limit exceeded\. {2}Retry after (\S+)$/

  it("refuses a user past the 2026 table's 6,000 units a minute, until the minute's first charges leave", async () => {
    const start = Date.UTC(2026, 5, 1, 7)
    let now = start
    await withEmulator({ costs: '2026', clock: { now: () => now } }, async (emu) => {
      const id = emu.addMessage(ANN, buildMessage()).id
      emu.addMailbox(BO)
      const token = await accessToken(emu, ANN, Math.floor(now / 1000))
      const get = (): Promise<{ status: number; body: ErrorBody }> => gmailGet<ErrorBody>(emu, token, `users/me/messages/${id}?format=minimal`)
      // 300 gets of 20 units at 200 units/s: within the per-second rate, the minute's whole budget by 30 s.
      const statuses: number[] = []
      for (let i = 0; i < 300; i++) {
        statuses.push((await get()).status)
        now += 100
      }
      expect(statuses.every((status) => status === 200)).toBe(true)
      expect(emu.stats.unitsSpent[ANN]).toBe(6000)

      const refused = await get()
      expect(refused.status).toBe(403)
      expect(refused.body.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] })
      // The first get, made at the start, leaves the window a minute later.
      expect(Date.parse(RETRY_AFTER.exec(refused.body.error.message)?.[1] ?? '')).toBe(start + 60_000)
      // The budget is the user's: another mailbox is served.
      expect((await gmailGet(emu, await accessToken(emu, BO, Math.floor(now / 1000)), 'users/me/profile')).status).toBe(200)

      now = start + 59_999
      expect((await get()).status).toBe(403)
      now = start + 60_000
      expect((await get()).status).toBe(200)
      expect((await get()).status).toBe(403)
      expect(emu.stats.unitsSpent[ANN]).toBe(6020)
      expect(emu.stats.responses['messages.get 403']).toBe(3)
    })
  })

  it('takes its budget from the cost table unless given, and switches off with the quota', () => {
    expect(resolveEmulatorOptions({}).quotaPerMinute).toBe(6000)
    expect(resolveEmulatorOptions({ costs: '2026' }).quotaPerMinute).toBe(6000)
    expect(resolveEmulatorOptions({ costs: 'legacy' }).quotaPerMinute).toBe(15_000)
    expect(resolveEmulatorOptions({ costs: { get: 1 } }).quotaPerMinute).toBe(15_000)
    expect(resolveEmulatorOptions({ quota: Infinity }).quotaPerMinute).toBe(Infinity)
    expect(resolveEmulatorOptions({ quota: Infinity, quotaPerMinute: 100 }).quotaPerMinute).toBe(100)
    expect(() => resolveEmulatorOptions({ quotaPerMinute: 0 })).toThrow(/quotaPerMinute/)
  })

  it('counts the minute even with the per-second rate switched off', async () => {
    const start = Date.UTC(2026, 5, 1, 7)
    await withEmulator({ quota: Infinity, quotaPerMinute: 100, clock: { now: () => start } }, async (emu) => {
      const id = emu.addMessage(ANN, buildMessage()).id
      const token = await accessToken(emu, ANN, Math.floor(start / 1000))
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) statuses.push((await gmailGet(emu, token, `users/me/messages/${id}?format=minimal`)).status)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 403])
    })
  })
})

describe('concurrency', () => {
  it('answers 429 past maxInFlight requests for one user, not for others', async () => {
    await withEmulator({ maxInFlight: 2, faults: { slow: 1, slowMs: 300, methods: ['getProfile'] } }, async (emu) => {
      emu.addMailbox(ANN)
      emu.addMailbox(BO)
      const ann = await accessToken(emu, ANN)
      const bo = await accessToken(emu, BO)
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, () => gmailGet<ErrorBody>(emu, ann, 'users/me/profile')),
        gmailGet<ErrorBody>(emu, bo, 'users/me/profile'),
      ])
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429, 429])
      const refused = answers.find((a) => a.status === 429)
      expect(refused?.body).toEqual({
        error: {
          code: 429, message: 'Too many concurrent requests for user',
          errors: [{ message: 'Too many concurrent requests for user', domain: 'global', reason: 'rateLimitExceeded' }],
          status: 'RESOURCE_EXHAUSTED',
        },
      })
      expect(emu.stats.unitsSpent[ANN]).toBe(2)
      expect((await gmailGet(emu, ann, 'users/me/profile')).status).toBe(200)
    })
  })
})

async function statusRun(seed: string): Promise<{ ids: string[]; statuses: number[]; historyId: string }> {
  const statuses: number[] = []
  let ids: string[] = []
  let historyId = ''
  await withEmulator({ seed, quota: Infinity, faults: { serverError: 0.3, rateLimit: 0.3 } }, async (emu) => {
    ids = Array.from({ length: 5 }, (_, i) => emu.addMessage(ANN, `Subject: m${i}\r\n\r\nbody ${i}`).id)
    historyId = emu.historyId(ANN)
    const token = await accessToken(emu, ANN)
    for (let round = 0; round < 4; round++) {
      for (const id of ids) statuses.push((await gmailGet(emu, token, `users/me/messages/${id}`)).status)
    }
  })
  return { ids, statuses, historyId }
}

describe('faults', () => {
  it('are deterministic for a seed, as are message and history ids', async () => {
    const first = await statusRun('replay')
    expect(await statusRun('replay')).toEqual(first)
    expect(new Set(first.statuses)).toEqual(new Set([200, 429, 500, 503]))
  })

  it('inject backendError 5xx and 429 bodies, and leave the token endpoint alone by default', async () => {
    await withEmulator({ faults: { serverError: 1 } }, async (emu) => {
      emu.addMailbox(ANN)
      const answer = await gmailGet<ErrorBody>(emu, await accessToken(emu, ANN), 'users/me/profile')
      expect([500, 503]).toContain(answer.status)
      expect(reasonOf(answer.body)).toBe('backendError')
      expect(emu.stats.faults.serverError).toBe(1)
      expect(emu.stats.unitsSpent[ANN]).toBeUndefined()
    })
    await withEmulator({ faults: { rateLimit: 1 } }, async (emu) => {
      emu.addMailbox(ANN)
      const answer = await gmailGet<ErrorBody>(emu, await accessToken(emu, ANN), 'users/me/profile')
      expect(answer.status).toBe(429)
      expect(answer.body.error).toMatchObject({ status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded' }] })
    })
  })

  it('hit the token endpoint only when asked', async () => {
    await withEmulator({ faults: { serverError: 1, methods: ['token'] } }, async (emu) => {
      emu.addMailbox(ANN)
      await expect(accessToken(emu, ANN)).rejects.toThrow(/internal_failure/)
    })
  })

  it('reset the connection mid-response', async () => {
    await withEmulator({ faults: { reset: 1, methods: ['getProfile'] } }, async (emu) => {
      emu.addMailbox(ANN)
      const token = await accessToken(emu, ANN)
      await expect(gmailGet(emu, token, 'users/me/profile')).rejects.toThrow()
      expect(emu.stats.faults.reset).toBe(1)
    })
  })

  it('slow answers down by slowMs', async () => {
    await withEmulator({ faults: { slow: 1, slowMs: 120 } }, async (emu) => {
      emu.addMailbox(ANN)
      const token = await accessToken(emu, ANN)
      const started = performance.now()
      expect((await gmailGet(emu, token, 'users/me/profile')).status).toBe(200)
      expect(performance.now() - started).toBeGreaterThanOrEqual(110)
    })
  })
})

describe('stats', () => {
  it('counts requests by method, units per user and content downloads, and resets', async () => {
    await withEmulator({}, async (emu) => {
      const id = emu.addMessage(ANN, buildMessage({ attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'abc' }] })).id
      const token = await accessToken(emu, ANN)
      const full = await gmailGet<{ payload: { parts: { body: { attachmentId?: string } }[] } }>(emu, token, `users/me/messages/${id}?format=full`)
      await gmailGet(emu, token, `users/me/messages/${id}?format=raw`)
      await gmailGet(emu, token, `users/me/messages/${id}?format=metadata`)
      await gmailGet(emu, token, `users/me/messages/${id}?format=minimal`)
      await gmailGet(emu, token, `users/me/messages/${id}/attachments/${full.body.payload.parts[1]?.body.attachmentId ?? ''}`)
      await gmailGet(emu, token, 'users/me/messages')
      expect(emu.stats.requests).toEqual({ token: 1, 'messages.get': 4, 'messages.attachments.get': 1, 'messages.list': 1 })
      expect(emu.stats.downloads).toEqual({ [id]: 3 })
      expect(emu.stats.unitsSpent).toEqual({ [ANN]: 4 * 20 + 20 + 5 })
      expect(emu.stats.tokensIssued).toEqual({ [ANN]: 1 })
      emu.stats.reset()
      expect(emu.stats.requests).toEqual({})
      expect(emu.stats.downloads).toEqual({})
    })
  })
})
