import type { Kysely } from 'kysely'
import { resolveConfig, type EmailConfigInput } from '../../src/config/index.js'
import type { IntegrationContext } from '../../src/context.js'
import type { EmailDatabase } from '../../src/db/database.js'

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/** An integration context over a test database, for testing internal modules directly. */
export function testContext<DB>(db: Kysely<DB>, config: EmailConfigInput = {}, now = () => new Date()): IntegrationContext {
  return {
    db: db as unknown as Kysely<EmailDatabase>,
    config: resolveConfig(config),
    directory: () => Promise.resolve([]),
    logger: silent,
    clock: { now },
  }
}
