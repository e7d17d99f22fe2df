/**
 * The audit log of privileged actions: who (`actor`, the principal's email, or null for the
 * host's own code and jobs), when, which action on which target, and its details as JSON of
 * ids and counts, never mail content. Read newest first, whole or by action, so both orders
 * have an index ending in the id that breaks ties. Frozen once released.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely'
import { detectDialect } from '../src/db/dialect.js'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  const postgres = detectDialect(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) => (postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement())
  await db.schema
    .createTable('email_audit_log')
    .addColumn('id', 'integer', id)
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_kind', 'text')
    .addColumn('target_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('email_audit_log_at_idx').on('email_audit_log').columns(['at', 'id']).execute()
  await db.schema.createIndex('email_audit_log_action_at_idx').on('email_audit_log').columns(['action', 'at', 'id']).execute()
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('email_audit_log_action_at_idx').execute()
  await db.schema.dropIndex('email_audit_log_at_idx').execute()
  await db.schema.dropTable('email_audit_log').execute()
}
