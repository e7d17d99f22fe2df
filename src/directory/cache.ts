/**
 * The host's directory, cached for the read side: mail, search and the digest name identities
 * from one snapshot, made once per integration by `createEmailIntegration`. The sync and
 * `rematch()` call `directory()` themselves, since they must match against the current one.
 */
import type { Clock, Directory, DirectoryEntry } from '../hooks.js'

/**
 * How long a directory snapshot serves names and existence checks. The directory is the
 * host's (its database); asking it on every request would tie the routes' latency to it.
 */
export const DIRECTORY_CACHE_MS = 60_000

/** A cached view of the host's directory, by identity key. */
export interface DirectoryCache {
  get(): Promise<ReadonlyMap<string, DirectoryEntry>>
}

/**
 * Caches `directory()` for {@link DIRECTORY_CACHE_MS}; one call in flight at a time.
 *
 * @example
 * ```ts
 * const directory = createDirectoryCache(context.directory, context.clock)
 * const fund = (await directory.get()).get('fund:7')
 * ```
 */
export function createDirectoryCache(directory: Directory, clock: Clock): DirectoryCache {
  let cached: { at: number; map: ReadonlyMap<string, DirectoryEntry> } | null = null
  let loading: Promise<ReadonlyMap<string, DirectoryEntry>> | null = null
  return {
    get() {
      const now = clock.now().getTime()
      if (cached !== null && now - cached.at < DIRECTORY_CACHE_MS) return Promise.resolve(cached.map)
      loading ??= directory()
        .then((entries) => {
          const map = new Map(entries.map((e) => [`${e.type}:${String(e.id)}`, e]))
          cached = { at: now, map }
          return map
        })
        .finally(() => {
          loading = null
        })
      return loading
    },
  }
}
