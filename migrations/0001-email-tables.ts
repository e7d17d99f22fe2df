/**
 * The first schema: every table the library owns, all prefixed `email`. Frozen once released:
 * later changes are new migrations.
 *
 * Portable by construction: only `integer` and `text` columns (timestamps as ISO text, flags
 * as 0/1), so the same statements run on SQLite and PostgreSQL; the one dialect difference is
 * how an integer key is generated. The dedup rules of the capture pipeline are unique
 * constraints here, so that no bug can store a duplicate.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely'
import { detectDialect } from '../src/db/dialect.js'

type Db = Kysely<unknown>

/** Every table, in creation order; `down` drops them in reverse. */
const TABLES = [
  'email_accounts',
  'email_oauth_tokens',
  'email_threads',
  'email_thread_keys',
  'emails',
  'email_references',
  'email_copies',
  'email_participants',
  'email_identity_links',
  'email_blobs',
  'email_attachments',
  'email_sync_runs',
  'email_sync_failures',
  'email_digest_runs',
] as const

export async function up(db: Db): Promise<void> {
  const postgres = detectDialect(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  const table = (name: (typeof TABLES)[number]) => db.schema.createTable(name)
  const stamps = <T extends string, C extends string>(t: CreateTableBuilder<T, C>) =>
    t.addColumn('created_at', 'text', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull())

  await stamps(
    table('email_accounts')
      .addColumn('id', 'integer', id)
      .addColumn('address', 'text', (c) => c.notNull().unique())
      .addColumn('auth_method', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('history_id', 'text')
      .addColumn('history_checked_at', 'text')
      .addColumn('scan_kind', 'text')
      .addColumn('scan_query', 'text')
      .addColumn('scan_page_token', 'text')
      .addColumn('scan_history_id', 'text')
      .addColumn('scan_started_at', 'text')
      .addColumn('backfill_completed_at', 'text')
      .addColumn('last_sync_at', 'text')
      .addColumn('last_success_at', 'text')
      .addColumn('last_error', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'text'),
  ).execute()

  await stamps(
    table('email_oauth_tokens')
      .addColumn('account_id', 'integer', (c) => c.primaryKey().references('email_accounts.id').onDelete('cascade'))
      .addColumn('refresh_token', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text'),
  ).execute()

  await stamps(
    table('email_threads')
      .addColumn('id', 'integer', id)
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('first_at', 'text')
      .addColumn('last_at', 'text')
      .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('merged_into', 'integer', (c) => c.references('email_threads.id')),
  ).execute()
  await db.schema.createIndex('email_threads_last_at_idx').on('email_threads').columns(['last_at', 'id']).execute()

  await table('email_thread_keys')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('email_accounts.id').onDelete('cascade'))
    .addColumn('gmail_thread_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'integer', (c) => c.notNull().references('email_threads.id'))
    .addPrimaryKeyConstraint('email_thread_keys_pk', ['account_id', 'gmail_thread_id'])
    .execute()
  await db.schema.createIndex('email_thread_keys_thread_idx').on('email_thread_keys').column('thread_id').execute()

  await stamps(
    table('emails')
      .addColumn('id', 'integer', id)
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('message_id_synthetic', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('is_draft', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('thread_id', 'integer', (c) => c.notNull().references('email_threads.id'))
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('from_address', 'text')
      .addColumn('from_name', 'text')
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .addColumn('in_reply_to', 'text')
      .addColumn('snippet', 'text', (c) => c.notNull())
      .addColumn('body_text', 'text')
      .addColumn('body_html', 'text')
      .addColumn('size_bytes', 'integer')
      .addColumn('has_attachments', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('hidden_at', 'text')
      .addColumn('hidden_by', 'text')
      // One row per message across every mailbox; a different message reusing the Message-ID
      // has another fingerprint, and a draft never merges with what it became.
      .addUniqueConstraint('emails_dedup_uq', ['message_id', 'fingerprint', 'is_draft']),
  ).execute()
  await db.schema.createIndex('emails_thread_idx').on('emails').columns(['thread_id', 'sent_at']).execute()
  await db.schema.createIndex('emails_sent_at_idx').on('emails').columns(['sent_at', 'id']).execute()

  await table('email_references')
    .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('ref_message_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_references_pk', ['email_id', 'ref_message_id'])
    .execute()
  await db.schema.createIndex('email_references_ref_idx').on('email_references').column('ref_message_id').execute()

  await stamps(
    table('email_copies')
      .addColumn('id', 'integer', id)
      .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
      .addColumn('account_id', 'integer', (c) => c.notNull().references('email_accounts.id').onDelete('cascade'))
      .addColumn('gmail_id', 'text', (c) => c.notNull())
      .addColumn('gmail_thread_id', 'text', (c) => c.notNull())
      .addColumn('label_ids', 'text', (c) => c.notNull())
      .addColumn('internal_date', 'text')
      .addColumn('deleted_at', 'text')
      // A Gmail message of one mailbox is one copy, whichever run sees it.
      .addUniqueConstraint('email_copies_gmail_uq', ['account_id', 'gmail_id']),
  ).execute()
  await db.schema.createIndex('email_copies_email_idx').on('email_copies').column('email_id').execute()

  await table('email_participants')
    .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addPrimaryKeyConstraint('email_participants_pk', ['email_id', 'role', 'position'])
    .execute()
  await db.schema.createIndex('email_participants_address_idx').on('email_participants').column('address').execute()

  await table('email_identity_links')
    .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('identity_key', 'text', (c) => c.notNull())
    .addColumn('identity_type', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('match_kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_identity_links_pk', ['email_id', 'identity_key', 'address'])
    .execute()
  await db.schema
    .createIndex('email_identity_links_key_idx')
    .on('email_identity_links')
    .columns(['identity_key', 'email_id'])
    .execute()

  await table('email_blobs')
    // NOT NULL spelled out: SQLite lets a non-integer PRIMARY KEY column hold NULL.
    .addColumn('sha256', 'text', (c) => c.primaryKey().notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await stamps(
    table('email_attachments')
      .addColumn('id', 'integer', id)
      .addColumn('email_id', 'integer', (c) => c.notNull().references('emails.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('copy_id', 'integer', (c) => c.references('email_copies.id').onDelete('set null'))
      .addColumn('gmail_attachment_id', 'text')
      .addColumn('part_id', 'text')
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('mime_type', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('content_id', 'text')
      .addColumn('is_inline', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('sha256', 'text', (c) => c.references('email_blobs.sha256'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addUniqueConstraint('email_attachments_position_uq', ['email_id', 'position']),
  ).execute()
  await db.schema.createIndex('email_attachments_status_idx').on('email_attachments').columns(['status', 'id']).execute()
  await db.schema.createIndex('email_attachments_sha256_idx').on('email_attachments').column('sha256').execute()

  await table('email_sync_runs')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('email_accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('listed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fetched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('captured', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('units_spent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute()
  await db.schema
    .createIndex('email_sync_runs_account_idx')
    .on('email_sync_runs')
    .columns(['account_id', 'started_at'])
    .execute()

  await table('email_sync_failures')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('email_accounts.id').onDelete('cascade'))
    .addColumn('gmail_id', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('parked_at', 'text')
    .addColumn('first_failed_at', 'text', (c) => c.notNull())
    .addColumn('last_failed_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('email_sync_failures_gmail_uq', ['account_id', 'gmail_id'])
    .execute()

  await table('email_digest_runs')
    .addColumn('id', 'integer', id)
    // One scheduled digest per day: the second process to claim a day hits this constraint.
    .addColumn('period', 'text', (c) => c.notNull().unique())
    .addColumn('window_from', 'text', (c) => c.notNull())
    .addColumn('window_to', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('error', 'text')
    .execute()
}

export async function down(db: Db): Promise<void> {
  // Dropping a table drops its indexes; children go before the tables they reference.
  for (const name of [...TABLES].reverse()) {
    await db.schema.dropTable(name).ifExists().execute()
  }
}
