import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely'
import type { EmailDatabase, EmailIdentityLinksTable, IdentityType } from '../db/database.js'
import type { DirectoryEntry } from '../hooks.js'
import { parseIdentityKey } from '../db/identity-keys.js'
import type { Identity } from './types.js'

/** A stored link, as the read side sees it: every column but its creation time. */
export type LinkRow = Readonly<Omit<EmailIdentityLinksTable, 'created_at'>>

const TYPE_RANK: Readonly<Record<IdentityType, number>> = { fund: 0, org: 1, contact: 2, addr: 3 }

/**
 * The links that decide each (email, address): the highest-precedence type (fund -> org ->
 * contact), and within it the exact matches when there are any. The SQL filter in
 * {@link identityCondition} applies the same rule, so the facet, the filter and the list agree.
 */
export function resolvedLinks<L extends LinkRow>(links: readonly L[]): L[] {
  const best = new Map<string, L[]>()
  for (const link of links) {
    const key = `${link.email_id}\n${link.address}`
    const current = best.get(key)
    const winner = current?.[0]
    if (winner === undefined || beats(link, winner)) best.set(key, [link])
    else if (!beats(winner, link)) current?.push(link)
  }
  return [...best.values()].flat()
}

function beats(a: LinkRow, b: LinkRow): boolean {
  const rank = TYPE_RANK[a.identity_type] - TYPE_RANK[b.identity_type]
  return rank < 0 || (rank === 0 && a.match_kind === 'exact' && b.match_kind === 'domain')
}

/** A link as an identity: the directory's name, or `addr:` when the entity no longer exists. */
export function identityOf(link: LinkRow, directory: ReadonlyMap<string, DirectoryEntry>): Identity {
  const entry = directory.get(link.identity_key)
  if (entry !== undefined) return { key: link.identity_key, type: link.identity_type, id: link.identity_id, name: entry.name }
  return { key: `addr:${link.address}`, type: 'addr', id: link.address, name: link.address }
}

/** The distinct identities of some links, by precedence then name. */
export function identitiesOf(links: readonly LinkRow[], directory: ReadonlyMap<string, DirectoryEntry>): Identity[] {
  const byKey = new Map<string, Identity>()
  for (const link of resolvedLinks(links)) {
    const identity = identityOf(link, directory)
    if (!byKey.has(identity.key)) byKey.set(identity.key, identity)
  }
  return [...byKey.values()].sort((a, b) => TYPE_RANK[a.type] - TYPE_RANK[b.type] || a.name.localeCompare(b.name))
}

/**
 * The condition "this email has the identity" for a typed key, on `emails.id`; `null` when the
 * key names nothing (an unknown prefix): the caller answers an empty result, not an error.
 * `addr:` keys match a participant address; the others match a deciding link.
 */
export function identityCondition(
  eb: ExpressionBuilder<EmailDatabase, 'emails'>,
  input: string,
): Expression<SqlBool> | null {
  const parsed = parseIdentityKey(input)
  if (parsed === null) return null
  if (parsed.type === 'addr') {
    return eb('emails.id', 'in', eb.selectFrom('email_participants').select('email_id').where('address', '=', parsed.id))
  }
  const rank = (table: 'l' | 'h') =>
    sql<number>`case ${sql.ref(`${table}.identity_type`)} when 'fund' then 0 when 'org' then 1 when 'contact' then 2 else 3 end`
  const deciding = eb
    .selectFrom('email_identity_links as l')
    .select('l.email_id')
    .where('l.identity_key', '=', parsed.key)
    .where((outer) =>
      outer.not(
        outer.exists(
          outer
            .selectFrom('email_identity_links as h')
            .select('h.email_id')
            .whereRef('h.email_id', '=', 'l.email_id')
            .whereRef('h.address', '=', 'l.address')
            .where((h) =>
              h.or([
                h(rank('h'), '<', rank('l')),
                h.and([h(rank('h'), '=', rank('l')), h('h.match_kind', '=', 'exact'), h('l.match_kind', '=', 'domain')]),
              ]),
            ),
        ),
      ),
    )
  return eb('emails.id', 'in', deciding)
}
