import { sql, type Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createEmailIntegration, type EmailDatabase, type EmailIntegration } from '../../src/index.js'
import { createHostTable, describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { SCHEMA_SPEC } from '../helpers/schema-spec.js'
import { SEARCH_INDEX_TABLE } from '../../src/db/search-index.js'

const config = { workspaceDomains: ['fund.example'] }

/** Every table and index in the database, with the SQL or definition that made it. */
async function schemaSnapshot(t: TestDatabase): Promise<string[]> {
  if (t.dialect === 'sqlite') {
    const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(t.db)
    return rows.map((r) => `${r.type} ${r.name}: ${r.sql ?? ''}`)
  }
  const { rows } = await sql<{ line: string }>`
    select 'table ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
      from information_schema.columns where table_schema = ${t.schema}
    union all
    select 'index ' || indexname || ': ' || indexdef from pg_indexes where schemaname = ${t.schema}
    order by 1`.execute(t.db)
  return rows.map((r) => r.line)
}

/**
 * The search index is not part of `EmailDatabase`: its shape is the dialect's own (an FTS5
 * virtual table and the shadow tables FTS5 makes for it on SQLite; a tsvector table on
 * PostgreSQL). SQLite names virtual and shadow tables as such in `pragma table_list`.
 */
async function searchIndexTables(t: TestDatabase): Promise<Set<string>> {
  if (t.dialect === 'postgres') return new Set([SEARCH_INDEX_TABLE])
  const { rows } = await sql<{ name: string; type: string }>`select name, type from pragma_table_list`.execute(t.db)
  return new Set(rows.filter((r) => r.type === 'virtual' || r.type === 'shadow').map((r) => r.name))
}

function normalizeType(dialect: TestDatabase['dialect'], dataType: string): string {
  const type = dataType.toLowerCase()
  // A `bigserial` key is `int8` on PostgreSQL; both hold every id either dialect makes.
  if (type === 'int4' || type === 'int8' || type === 'integer') return 'integer'
  if (type === 'text') return 'text'
  if (type === 'blob' || type === 'bytea') return 'blob'
  return `${dialect}:${type}`
}

describeEachDialect('schema', (open) => {
  let t: TestDatabase
  let email: EmailIntegration

  beforeEach(async () => {
    t = await open()
    email = createEmailIntegration({ db: t.db, config, directory: () => Promise.resolve([]) })
  })
  afterEach(async () => {
    await email.close()
    await t.close()
  })

  it('migrates a fresh database to exactly the tables and columns of EmailDatabase', async () => {
    expect((await email.migrate()).applied).toEqual(['0001-email-tables', '0002-oauth-states', '0003-search', '0004-lease-owner', '0005-failure-backoff', '0006-search-capture', '0007-audit-log', '0008-account-pause', '0009-sharing', '0010-erasure', '0011-account-removal', '0012-attachment-text', '0013-vector-index'])
    const tables = await t.db.introspection.getTables()
    const ours = tables.filter((table) => table.schema === (t.schema ?? undefined) || t.schema === null)
    const emailTables = ours.filter((table) => table.name === 'emails' || table.name.startsWith('email_'))
    const index = await searchIndexTables(t)
    expect(index).toContain(SEARCH_INDEX_TABLE)
    const bookkeeping = ['email_migrations', 'email_migrations_lock', ...index]
    expect(emailTables.map((table) => table.name).filter((n) => !bookkeeping.includes(n)).sort()).toEqual(
      Object.keys(SCHEMA_SPEC).sort(),
    )
    const autoincrement = new Set(
      t.dialect === 'sqlite'
        ? (await schemaSnapshot(t)).filter((line) => /autoincrement/i.test(line)).map((line) => line.split(/[ :]/)[1])
        : [],
    )
    for (const [tableName, columns] of Object.entries(SCHEMA_SPEC)) {
      const table = emailTables.find((candidate) => candidate.name === tableName)
      expect(table, tableName).toBeDefined()
      const actual = Object.fromEntries(
        (table?.columns ?? []).map((c) => {
          const base = normalizeType(t.dialect, c.dataType)
          // SQLite reports an INTEGER PRIMARY KEY (a rowid alias) as nullable and auto-incrementing
          // whether or not it was declared AUTOINCREMENT; only the declared ones are generated keys.
          const generatedKey = c.isAutoIncrementing && (t.dialect === 'postgres' || autoincrement.has(tableName))
          const nullable = c.isNullable && !c.isAutoIncrementing
          const defaulted = !nullable && (c.hasDefaultValue || generatedKey) ? ' default' : ''
          return [c.name, `${base}${nullable ? '?' : ''}${defaulted}`]
        }),
      )
      expect(actual, tableName).toEqual(columns)
    }
    const snapshot = await schemaSnapshot(t)
    if (t.dialect === 'sqlite') {
      expect(snapshot.find((line) => line.startsWith(`table ${SEARCH_INDEX_TABLE}:`))).toMatch(/create virtual table "?email_fts"? using fts5\(subject, participants, body, attachments,/i)
    } else {
      expect(snapshot).toContain(`table ${SEARCH_INDEX_TABLE}.document tsvector NO `)
      expect(snapshot).toContain(`table ${SEARCH_INDEX_TABLE}.email_id integer NO `)
      expect(snapshot.some((line) => line.startsWith('index email_fts_document_idx:') && line.includes(' USING gin (document)'))).toBe(true)
    }
    // The audit log is read newest first, whole or by action: an index for each, the id last.
    const indexOf = (name: string) => (snapshot.find((line) => line.startsWith(`index ${name}:`)) ?? '').replace(/["\s]/g, '')
    expect(indexOf('email_audit_log_at_idx')).toMatch(/email_audit_log(USINGbtree)?\(at,id\)$/i)
    expect(indexOf('email_audit_log_action_at_idx')).toMatch(/email_audit_log(USINGbtree)?\(action,at,id\)$/i)
  })

  it('migrates twice with no change the second time', async () => {
    await email.migrate()
    const before = await schemaSnapshot(t)
    expect((await email.migrate()).applied).toEqual([])
    expect(await schemaSnapshot(t)).toEqual(before)
  })

  it('keeps its migration bookkeeping apart from the host migrations', async () => {
    await email.migrate()
    const names = (await t.db.introspection.getTables()).map((table) => table.name)
    expect(names).toContain('email_migrations')
    expect(names).not.toContain('kysely_migration')
  })

  it('rolls back every table and index it made, and leaves the host table and its rows untouched', async () => {
    await createHostTable(t.db)
    const hostOnly = await schemaSnapshot(t)
    await email.migrate()
    await email.accounts.enroll('ann@fund.example')
    await email.rollback()
    expect(await schemaSnapshot(t)).toEqual(hostOnly)
    const rows = await t.db.selectFrom('crm_investors').selectAll().orderBy('id').execute()
    expect(rows).toEqual([
      { id: 1, name: 'Acme Ventures' },
      { id: 2, name: 'Beta Capital' },
    ])
    // and it can be installed again from nothing
    expect((await email.migrate()).applied).toEqual(['0001-email-tables', '0002-oauth-states', '0003-search', '0004-lease-owner', '0005-failure-backoff', '0006-search-capture', '0007-audit-log', '0008-account-pause', '0009-sharing', '0010-erasure', '0011-account-removal', '0012-attachment-text', '0013-vector-index'])
  })

  it('rejects duplicates through unique constraints, whatever the code does', async () => {
    await email.migrate()
    const db = t.db as unknown as Kysely<EmailDatabase>
    const now = new Date().toISOString()
    const account = await db
      .insertInto('email_accounts')
      .values({ address: 'ann@fund.example', auth_method: 'dwd', status: 'active', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    await expect(
      db
        .insertInto('email_accounts')
        .values({ address: 'ann@fund.example', auth_method: 'dwd', status: 'active', created_at: now, updated_at: now })
        .execute(),
    ).rejects.toThrow()

    const thread = await db
      .insertInto('email_threads')
      .values({ subject: 'Term sheet', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    const message = {
      message_id: 'abc@mail.example',
      fingerprint: 'f1',
      thread_id: thread.id,
      subject: 'Term sheet',
      sent_at: now,
      snippet: '',
      created_at: now,
      updated_at: now,
    }
    const first = await db.insertInto('emails').values(message).returning('id').executeTakeFirstOrThrow()
    await expect(db.insertInto('emails').values(message).execute()).rejects.toThrow()
    // another message reusing the Message-ID, and the draft of the first, are separate emails
    await db.insertInto('emails').values({ ...message, fingerprint: 'f2' }).execute()
    await db.insertInto('emails').values({ ...message, is_draft: 1 }).execute()

    const copy = {
      email_id: first.id,
      account_id: account.id,
      gmail_id: '18c0ffee',
      gmail_thread_id: '18c0ffee',
      label_ids: '["INBOX"]',
      created_at: now,
      updated_at: now,
    }
    await db.insertInto('email_copies').values(copy).execute()
    await expect(db.insertInto('email_copies').values(copy).execute()).rejects.toThrow()

    const run = {
      period: '2026-06-01',
      window_from: now,
      window_to: now,
      status: 'claimed' as const,
      claimed_by: 'p1',
      claimed_at: now,
    }
    await db.insertInto('email_digest_runs').values(run).execute()
    await expect(db.insertInto('email_digest_runs').values({ ...run, claimed_by: 'p2' }).execute()).rejects.toThrow()
  })
})
