import { describe, expect, it } from 'vitest'
import { createDirectoryCache, DIRECTORY_CACHE_MS } from '../../src/directory/cache.js'
import type { DirectoryEntry } from '../../src/hooks.js'

const FUND: DirectoryEntry = { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] }
const DANA: DirectoryEntry = { type: 'contact', id: 'c-1', name: 'Dana', emails: ['dana@example.com'] }

/** A directory that counts its calls and answers what `entries` holds at the time. */
function countingDirectory(entries: () => readonly DirectoryEntry[]) {
  const calls = { count: 0 }
  const directory = () => {
    calls.count += 1
    return Promise.resolve(entries())
  }
  return { calls, directory }
}

describe('createDirectoryCache', () => {
  it('keys the entries by typed identity key', async () => {
    const { directory } = countingDirectory(() => [FUND, DANA])
    const map = await createDirectoryCache(directory, { now: () => new Date(0) }).get()
    expect([...map.keys()]).toEqual(['fund:7', 'contact:c-1'])
    expect(map.get('fund:7')).toBe(FUND)
  })

  it(`serves one snapshot for ${DIRECTORY_CACHE_MS} ms, then asks the directory again`, async () => {
    let now = 0
    let entries: readonly DirectoryEntry[] = [FUND]
    const { calls, directory } = countingDirectory(() => entries)
    const cache = createDirectoryCache(directory, { now: () => new Date(now) })
    expect((await cache.get()).size).toBe(1)
    entries = [FUND, DANA]
    now = DIRECTORY_CACHE_MS - 1
    expect((await cache.get()).size).toBe(1)
    now = DIRECTORY_CACHE_MS
    expect((await cache.get()).size).toBe(2)
    expect(calls.count).toBe(2)
  })

  it('makes one call at a time however many readers wait', async () => {
    const { calls, directory } = countingDirectory(() => [FUND])
    const cache = createDirectoryCache(directory, { now: () => new Date(0) })
    const maps = await Promise.all([cache.get(), cache.get(), cache.get()])
    expect(calls.count).toBe(1)
    expect(new Set(maps).size).toBe(1)
  })

  it('caches no failure: the next read asks again', async () => {
    let fail = true
    const directory = () => (fail ? Promise.reject(new Error('crm down')) : Promise.resolve([FUND]))
    const cache = createDirectoryCache(directory, { now: () => new Date(0) })
    await expect(cache.get()).rejects.toThrow('crm down')
    fail = false
    expect((await cache.get()).has('fund:7')).toBe(true)
  })
})
