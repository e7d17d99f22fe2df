/**
 * OAuth consent states: one row per consent a user started, so the callback can find the
 * PKCE verifier (kept here, sealed, rather than sent to the browser) and so each state is
 * honoured once, whichever process receives the callback. Frozen once released.
 */
import type { Kysely } from 'kysely'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('email_oauth_states')
    .addColumn('nonce', 'text', (c) => c.primaryKey().notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  // Starting a consent prunes expired rows and counts the user's open ones.
  await db.schema.createIndex('email_oauth_states_expires_idx').on('email_oauth_states').column('expires_at').execute()
  await db.schema.createIndex('email_oauth_states_user_idx').on('email_oauth_states').columns(['user_id', 'created_at']).execute()
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('email_oauth_states').ifExists().execute()
}
