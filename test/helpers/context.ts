import type { Kysely } from 'kysely'
import { resolveConfig, type EmailConfigInput } from '../../src/config/index.js'
import type { IntegrationContext } from '../../src/context.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { dialectOf } from '../../src/db/dialect.js'
import { createDirectoryCache, type DirectoryCache } from '../../src/directory/cache.js'

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/** An integration context over a test database, for testing internal modules directly. */
export function testContext<DB>(db: Kysely<DB>, config: EmailConfigInput = {}, now = () => new Date()): IntegrationContext {
  return {
    db: db as unknown as Kysely<EmailDatabase>,
    dialect: dialectOf(db),
    config: resolveConfig(config),
    directory: () => Promise.resolve([]),
    logger: silent,
    clock: { now },
  }
}

/** The directory cache the composition root would make for `context` (its directory and clock). */
export function directoryCacheOf(context: Pick<IntegrationContext, 'directory' | 'clock'>): DirectoryCache {
  return createDirectoryCache(context.directory, context.clock)
}
