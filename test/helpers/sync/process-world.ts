import type { Kysely } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import type { EmailDatabase } from '../../../src/index.js'
import { MailLedger } from './expect.js'
import { buildSyncChild, openSqliteFile } from './process.js'
import { syncWorld, type SyncWorld } from './setup.js'

/** What a test of sync child processes works with; fresh for each test but the built child. */
export interface SyncProcessWorld {
  /** The built `sync/child.ts` script, made once for the describe block. */
  readonly script: string
  /** The SQLite file the children open. */
  readonly file: ReturnType<typeof openSqliteFile>
  readonly w: SyncWorld
  readonly db: Kysely<EmailDatabase>
  readonly ledger: MailLedger
}

/**
 * Registers, in the calling describe block, the set-up of tests that run sync children: the
 * child built once, and for each test a SQLite file of its own, a sync world on it (with
 * `options`) and a mail ledger of its emulator, all closed after. Read the parts through the
 * returned function, inside a test or a hook.
 *
 * @example
 * const world = useSyncProcessWorld({ emulator: { seed: 'two' } })
 * it('syncs', async () => {
 *   const { w, file } = world()
 * })
 */
export function useSyncProcessWorld(options: Parameters<typeof syncWorld>[1]): () => SyncProcessWorld {
  let built: Awaited<ReturnType<typeof buildSyncChild>> | undefined
  let current: SyncProcessWorld | undefined

  beforeAll(async () => {
    built = await buildSyncChild()
  })
  afterAll(() => {
    built?.remove()
  })
  beforeEach(async () => {
    const file = openSqliteFile()
    const w = await syncWorld(file, options)
    current = { script: built?.script ?? '', file, w, db: file.db as unknown as Kysely<EmailDatabase>, ledger: new MailLedger(w.emu) }
  })
  afterEach(async () => {
    await current?.w.close()
    await current?.file.close()
    current = undefined
  })

  return () => {
    if (current === undefined) throw new Error('the sync process world exists only inside a test')
    return current
  }
}
