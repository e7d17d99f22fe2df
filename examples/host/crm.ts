/**
 * The example host CRM's own data: one SQLite file (better-sqlite3 + Kysely) holding the host's
 * table of funds, organizations and contacts next to the tables the email integration creates
 * in the same database. A real CRM has its own schema; what matters is that `directory` reads it.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Directory, DirectoryEntryType } from 'crm-email-integration'

/** Where the example keeps its database unless `DATABASE_PATH` says otherwise (`.data/` is git-ignored). */
export const DEFAULT_DATABASE_PATH = '.data/example.sqlite'

/** The host's table of CRM identities; `emails` and `domains` are comma-separated. */
interface CrmEntityTable {
  type: DirectoryEntryType
  id: string
  name: string
  emails: string
  domains: string
}

/** The host's own tables, as its Kysely instance knows them. */
export interface HostDatabase {
  crm_entities: CrmEntityTable
}

/** The few identities a fresh example database starts with. */
export const SEED_ENTITIES: readonly CrmEntityTable[] = [
  { type: 'fund', id: '7', name: 'Acme Ventures', emails: '', domains: 'acme.vc' },
  { type: 'org', id: 'o-1', name: 'Globex', emails: '', domains: 'globex.example' },
  { type: 'contact', id: 'c-1', name: 'Dana Diaz', emails: 'dana@gmail.com', domains: '' },
]

/** The example host's database and the directory the integration matches mail against. */
export interface HostCrm {
  readonly db: Kysely<HostDatabase>
  /** Reads the host's table at each call, so a sync or `rematch()` sees the CRM as it is now. */
  readonly directory: Directory
  close(): Promise<void>
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/** Opens (creating and seeding when new) the host's database at `DATABASE_PATH`. */
export async function openCrm(env: NodeJS.ProcessEnv): Promise<HostCrm> {
  const path = resolve(env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH)
  mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  // A server and the cron job share the file: WAL lets one read while the other writes, and
  // the busy timeout makes a writer wait for the other's transaction instead of failing.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<HostDatabase>({ dialect: new SqliteDialect({ database: sqlite }) })

  await db.schema
    .createTable('crm_entities')
    .ifNotExists()
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('emails', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('domains', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('crm_entities_pk', ['type', 'id'])
    .execute()
  const existing = await db.selectFrom('crm_entities').select('id').limit(1).executeTakeFirst()
  if (existing === undefined) await db.insertInto('crm_entities').values([...SEED_ENTITIES]).execute()

  return {
    db,
    directory: async () => {
      const rows = await db.selectFrom('crm_entities').selectAll().execute()
      return rows.map((row) => ({ type: row.type, id: row.id, name: row.name, emails: list(row.emails), domains: list(row.domains) }))
    },
    close: () => db.destroy(),
  }
}
