import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src/errors.js'
import { TOKEN_REFRESH_MARGIN_MS, createTokenCache } from '../../../src/gmail/credentials/cache.js'
import type { AccessToken } from '../../../src/gmail/credentials/credentials.js'

const HOUR = 3600_000

/** A fetch whose calls stay pending until the test settles them. */
function controlledFetch() {
  const calls: { mailbox: string; resolve: (t: AccessToken) => void; reject: (e: unknown) => void }[] = []
  const fetchToken = (mailbox: string) =>
    new Promise<AccessToken>((resolve, reject) => {
      calls.push({ mailbox, resolve, reject })
    })
  return { calls, fetchToken }
}

describe('createTokenCache', () => {
  let now = new Date('2026-06-01T07:00:00Z')
  const clock = { now: () => now }
  const token = (name: string, lifetimeMs = HOUR): AccessToken => ({ token: name, expiresAt: new Date(now.getTime() + lifetimeMs) })

  it('shares one fetch in flight per mailbox, and a failure with everyone waiting on it, uncached', async () => {
    const { calls, fetchToken } = controlledFetch()
    const cache = createTokenCache(fetchToken, clock)
    const waiting = [cache.get('ann@x.example'), cache.get('ANN@x.example '), cache.get('ann@x.example', { forceRefresh: true })]
    expect(calls).toHaveLength(1)
    const failure = new Error('token endpoint down')
    calls[0]!.reject(failure)
    for (const result of await Promise.allSettled(waiting)) expect(result).toEqual({ status: 'rejected', reason: failure })
    const next = cache.get('ann@x.example')
    expect(calls).toHaveLength(2)
    calls[1]!.resolve(token('t1'))
    expect((await next).token).toBe('t1')
    expect((await cache.get('ann@x.example')).token).toBe('t1')
    expect(calls).toHaveLength(2)
  })

  it('refetches at the margin before expiry, and does not cache a token that is already inside it', async () => {
    const { calls, fetchToken } = controlledFetch()
    const cache = createTokenCache(fetchToken, clock)
    const first = cache.get('bob@x.example')
    calls[0]!.resolve(token('t1'))
    await first
    now = new Date(now.getTime() + HOUR - TOKEN_REFRESH_MARGIN_MS - 1)
    expect((await cache.get('bob@x.example')).token).toBe('t1')
    now = new Date(now.getTime() + 1)
    const second = cache.get('bob@x.example')
    expect(calls).toHaveLength(2)
    calls[1]!.resolve(token('short', TOKEN_REFRESH_MARGIN_MS))
    expect((await second).token).toBe('short')
    const third = cache.get('bob@x.example')
    expect(calls).toHaveLength(3)
    calls[2]!.resolve(token('t3'))
    await third
  })

  it('drops the cached token on forceRefresh even if the new fetch fails', async () => {
    const { calls, fetchToken } = controlledFetch()
    const cache = createTokenCache(fetchToken, clock)
    const first = cache.get('cat@x.example')
    calls[0]!.resolve(token('t1'))
    await first
    const forced = cache.get('cat@x.example', { forceRefresh: true })
    calls[1]!.reject(new Error('down'))
    await expect(forced).rejects.toThrow('down')
    const again = cache.get('cat@x.example')
    expect(calls).toHaveLength(3)
    calls[2]!.resolve(token('t3'))
    expect((await again).token).toBe('t3')
  })

  it('refuses something that is not a mailbox', async () => {
    const cache = createTokenCache(() => Promise.resolve(token('t')), clock)
    await expect(cache.get('not-an-address')).rejects.toBeInstanceOf(ValidationError)
  })
})
