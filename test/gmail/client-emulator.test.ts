import { generateKeyPairSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { QUOTA_COSTS_2026, resolveConfig } from '../../src/config/index.js'
import { createGmailClient } from '../../src/gmail/client.js'
import type { GmailClient } from '../../src/gmail/client-types.js'
import { createDwdCredentials } from '../../src/gmail/credentials/dwd.js'
import type { AccessTokenProvider } from '../../src/gmail/credentials/credentials.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { UpstreamError } from '../../src/errors.js'
import { startGmailEmulator, type GmailEmulator, type GmailEmulatorOptions } from '../../src/testing/index.js'
import { buildMessage } from '../helpers/message.js'
import { ANN, BOB, CAT, WORKSPACE_DOMAIN } from '../helpers/team.js'

// The library's real Gmail client and credentials against the emulator, over HTTP.

const emulators: GmailEmulator[] = []
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})

async function emulator(options: GmailEmulatorOptions = {}): Promise<GmailEmulator> {
  const emu = await startGmailEmulator({ seed: 7, ...options })
  emulators.push(emu)
  return emu
}

function message(i: number, day = 1 + (i % 28)): string {
  return buildMessage({
    from: 'Dana <dana@acme.vc>',
    to: ANN,
    subject: `Update ${i}`,
    date: new Date(Date.UTC(2026, 5, day, 10)),
    messageId: `m${i}@acme.vc`,
    text: `Body ${i}`,
  })
}

function credentialsFor(emu: GmailEmulator, now?: () => Date): AccessTokenProvider {
  const { serviceAccount } = resolveConfig({ serviceAccountKey: emu.serviceAccountKey, enabled: true, workspaceDomains: [WORKSPACE_DOMAIN] })
  if (serviceAccount === null) throw new Error('no service account')
  return createDwdCredentials({ serviceAccount, tokenUrl: emu.tokenUrl, ...(now ? { clock: { now } } : {}) })
}

function client(emu: GmailEmulator, options: { mailbox?: string; rateUnitsSec?: number; credentials?: AccessTokenProvider } = {}): GmailClient {
  return createGmailClient({
    baseUrl: emu.url,
    mailbox: options.mailbox ?? ANN,
    credentials: options.credentials ?? credentialsFor(emu),
    limiter: createQuotaLimiter({ rateUnitsSec: options.rateUnitsSec ?? 250 }),
    costs: QUOTA_COSTS_2026,
    retryMax: 8,
    backoff: { minDelayMs: 5, maxDelayMs: 50 },
  })
}

const count = (stats: Readonly<Record<string, number>>, prefix: string) =>
  Object.entries(stats).filter(([k]) => k.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0)

describe('the Gmail client against the emulator', () => {
  it('lists every message to the end of the last page', async () => {
    const emu = await emulator({ quota: Infinity })
    const ids = new Set<string>()
    for (let i = 0; i < 1234; i += 1) ids.add(emu.addMessage(ANN, message(i)).id)
    const gmail = client(emu)
    const seen: string[] = []
    let pages = 0
    for await (const page of gmail.listMessagePages({ maxResults: 500 })) {
      pages += 1
      for (const ref of page.messages ?? []) seen.push(ref.id)
    }
    expect(pages).toBe(3)
    expect(seen).toHaveLength(1234)
    expect(new Set(seen)).toEqual(ids)
    expect(gmail.unitsSpent).toBe(3 * QUOTA_COSTS_2026.list)
  })

  it('batches gets, retrying throttled parts and reporting missing ones', async () => {
    const emu = await emulator({ quota: Infinity, faults: { rateLimit: 0.2, methods: ['messages.get'] } })
    const ids = Array.from({ length: 120 }, (_, i) => emu.addMessage(ANN, message(i)).id)
    const missing = ['18c0ffee00000001', '18c0ffee00000002']
    const results = await client(emu, { rateUnitsSec: 100_000 }).batchGetMessages([...ids.slice(0, 60), ...missing, ...ids.slice(60)], { format: 'metadata' })
    expect(results).toHaveLength(122)
    expect(results.filter((r) => r.ok).map((r) => r.id).sort()).toEqual([...ids].sort())
    const failed = results.flatMap((r) => (r.ok ? [] : [r]))
    expect(failed.map((r) => r.id)).toEqual(missing)
    for (const r of failed) expect(r.error).toMatchObject({ upstreamStatus: 404, reason: 'notFound', retryable: false })
    expect(count(emu.stats.responses, 'messages.get 429')).toBeGreaterThan(0)
  })

  it('slows down to the quota instead of failing', async () => {
    // The emulator allows 200 units/s (10 gets); the client believes it has 250.
    const emu = await emulator({ quota: 200 })
    const ids = Array.from({ length: 30 }, (_, i) => emu.addMessage(ANN, message(i)).id)
    const overshooting = client(emu, { rateUnitsSec: 250 })
    const got = await Promise.all(ids.map((id) => overshooting.getMessage(id, { format: 'minimal' })))
    expect(got.map((m) => m.id)).toEqual(ids)
    expect(count(emu.stats.responses, 'messages.get 403')).toBeGreaterThan(0)

    // Given a budget under Gmail's (as CRM_GMAIL_RATE_UNITS_SEC is by default), it never trips
    // the quota at all. Another mailbox: quota is per user, and Ann's bucket was just drained.
    emu.stats.reset()
    const bobIds = Array.from({ length: 30 }, (_, i) => emu.addMessage(BOB, message(i)).id)
    const matched = client(emu, { mailbox: BOB, rateUnitsSec: 180 })
    await Promise.all(bobIds.map((id) => matched.getMessage(id, { format: 'minimal' })))
    expect(count(emu.stats.responses, 'messages.get 403')).toBe(0)
    expect(count(emu.stats.responses, 'messages.get 200')).toBe(30)
  })

  it('retries injected server errors and connection resets to success', async () => {
    const emu = await emulator({ quota: Infinity, faults: { serverError: 0.15, reset: 0.1 } })
    const ids = Array.from({ length: 40 }, (_, i) => emu.addMessage(ANN, message(i)).id)
    const gmail = client(emu, { rateUnitsSec: 100_000 })
    const listed: string[] = []
    for await (const page of gmail.listMessagePages({ maxResults: 7 })) listed.push(...(page.messages ?? []).map((m) => m.id))
    expect(new Set(listed)).toEqual(new Set(ids))
    for (const id of ids) expect((await gmail.getMessage(id, { format: 'raw' })).raw).toBeTruthy()
    expect(Object.values(emu.stats.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(5)
  })

  it('surfaces non-retryable errors with their reason, at once', async () => {
    const emu = await emulator({ quota: Infinity })
    emu.addMessage(ANN, message(1))
    const gmail = client(emu)
    const start = emu.historyId(ANN)
    emu.addMessage(ANN, message(2))
    emu.expireHistory(ANN)
    await expect(gmail.getMessage('18c0ffee00000009', { format: 'full' })).rejects.toMatchObject({ upstreamStatus: 404, reason: 'notFound' })
    await expect(gmail.listHistory({ startHistoryId: start })).rejects.toMatchObject({ upstreamStatus: 404 })
    await expect(gmail.listMessages({ q: 'has:drive' })).rejects.toMatchObject({ upstreamStatus: 400 })
    expect(count(emu.stats.requests, 'messages.get')).toBe(1)
  })

  it('asks for one token per mailbox per hour however many calls run at once', async () => {
    let now = Date.parse('2026-06-01T08:00:00Z')
    const emu = await emulator({ quota: Infinity, clock: { now: () => now } })
    const team = [ANN, BOB, CAT]
    for (const m of team) emu.addMessage(m, message(1))
    const credentials = credentialsFor(emu, () => new Date(now))
    const clients = team.map((mailbox) => client(emu, { mailbox, credentials }))
    await Promise.all(clients.flatMap((c) => Array.from({ length: 40 }, () => c.getProfile())))
    expect(emu.stats.tokensIssued).toEqual(Object.fromEntries(team.map((m) => [m, 1])))
    now += 56 * 60_000 // within five minutes of expiry: refreshed, once
    await Promise.all(clients.flatMap((c) => Array.from({ length: 10 }, () => c.getProfile())))
    expect(emu.stats.tokensIssued).toEqual(Object.fromEntries(team.map((m) => [m, 2])))
  })

  it('is refused a token when it signs with a key that is not the service account\'s', async () => {
    const emu = await emulator()
    emu.addMailbox(ANN)
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const forgedKey = { ...emu.serviceAccountKey, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
    const { serviceAccount } = resolveConfig({ serviceAccountKey: forgedKey, enabled: true, workspaceDomains: [WORKSPACE_DOMAIN] })
    const forged = createDwdCredentials({ serviceAccount: serviceAccount!, tokenUrl: emu.tokenUrl })
    const err: unknown = await forged.getAccessToken(ANN).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err).toMatchObject({ reason: 'invalid_grant', retryable: false })
  })
})
