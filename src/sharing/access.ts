/**
 * The sharing rule as SQL (SPEC §12), one definition for every read path: a reader's access to
 * an email is `owner` (3) when a mailbox holding a copy of it is theirs; otherwise `metadata` (0)
 * when an owner marked its thread private; otherwise the most permissive level (`everything` 2,
 * `subject` 1, `metadata` 0) among the mailboxes holding a live copy, or, when every copy was
 * deleted in Gmail, among those that held one. A mailbox without a chosen level has the
 * configured default. Lists filter and search match with it in SQL; hydration reads it per id.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely'
import { normalizeAddress } from '../address.js'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase, SharingLevel } from '../db/database.js'
import { ACCESS_RANK, accessOfRank, type Access } from './levels.js'

/** How a read is made: on behalf of whom. */
export interface ReadOptions {
  /**
   * The address of the person reading (the routes pass the signed-in principal's email): their
   * own mailbox's mail is theirs in full, everyone else's follows its sharing level. Left out or
   * `null`, the read is the team's view: every email at its mailboxes' level, as the digest sees
   * it. Being an admin changes nothing here.
   */
  readonly viewer?: string | null | undefined
}

/** Whose view a read takes, and the level of mailboxes that have not chosen one. */
export interface ReadScope {
  /** The reader's address, normalized; `null` for the team's view. */
  readonly viewer: string | null
  readonly defaultLevel: SharingLevel
}

/**
 * The scope of a read: the viewer's address normalized (a value that is not an address owns no
 * mailbox, so it reads as the team).
 *
 * @example
 * ```ts
 * readScope({ viewer: 'Ann@Fund.Example' }, 'everything') // { viewer: 'ann@fund.example', defaultLevel: 'everything' }
 * ```
 */
export function readScope(options: ReadOptions | undefined, defaultLevel: SharingLevel): ReadScope {
  const viewer = typeof options?.viewer === 'string' ? normalizeAddress(options.viewer) : null
  return { viewer, defaultLevel }
}

type EmailsEb = ExpressionBuilder<EmailDatabase, 'emails'>

/**
 * The reader's access to the `emails` row of a query, as its rank ({@link ACCESS_RANK}).
 *
 * @example
 * ```ts
 * db.selectFrom('emails').select((eb) => sql<number>`${accessRank(eb, scope)}`.as('access'))
 * ```
 */
export function accessRank(eb: EmailsEb, scope: ReadScope): Expression<number> {
  const id = eb.ref('emails.id')
  const level = sql<number>`case coalesce(a.sharing, ${scope.defaultLevel}) when 'everything' then ${sql.lit(ACCESS_RANK.everything)} when 'subject' then ${sql.lit(ACCESS_RANK.subject)} else ${sql.lit(ACCESS_RANK.metadata)} end`
  const held = (liveOnly: boolean) =>
    sql<number>`(select max(${level}) from email_copies c inner join email_accounts a on a.id = c.account_id
      where c.email_id = ${id}${liveOnly ? sql` and c.deleted_at is null` : sql``})`
  const shared = sql<number>`coalesce(${held(true)}, ${held(false)}, ${sql.lit(ACCESS_RANK[scope.defaultLevel])})`
  const privateThread = sql<SqlBool>`exists (select 1 from email_private_threads p where p.thread_id = ${eb.ref('emails.thread_id')})`
  const notOwner = sql<number>`case when ${privateThread} then ${sql.lit(ACCESS_RANK.metadata)} else ${shared} end`
  if (scope.viewer === null) return notOwner
  const owns = sql<SqlBool>`exists (select 1 from email_copies oc inner join email_accounts oa on oa.id = oc.account_id
    where oc.email_id = ${id} and oa.address = ${scope.viewer})`
  return sql<number>`case when ${owns} then ${sql.lit(ACCESS_RANK.owner)} else ${notOwner} end`
}

/**
 * The condition "the reader's access to this email is at least `least`".
 *
 * @example
 * ```ts
 * db.selectFrom('emails').select('id').where((eb) => accessAtLeast(eb, scope, 'everything'))
 * ```
 */
export function accessAtLeast(eb: EmailsEb, scope: ReadScope, least: Access): Expression<SqlBool> {
  return sql<SqlBool>`${accessRank(eb, scope)} >= ${sql.lit(ACCESS_RANK[least])}`
}

/**
 * The reader's access to each of some emails, by id (ids that do not exist are left out).
 *
 * @example
 * ```ts
 * const access = await accessOf(db, [41, 42], scope) // Map { 41 => 'owner', 42 => 'subject' }
 * ```
 */
export async function accessOf(db: Kysely<EmailDatabase>, emailIds: readonly number[], scope: ReadScope): Promise<Map<number, Access>> {
  const rows = await queryInChunks(emailIds, (ids) =>
    db
      .selectFrom('emails')
      .select((eb) => ['emails.id', sql<number | string>`${accessRank(eb, scope)}`.as('access')])
      .where('emails.id', 'in', ids)
      .execute(),
  )
  return new Map(rows.map((r) => [r.id, accessOfRank(Number(r.access))]))
}
