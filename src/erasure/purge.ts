/**
 * `email.purge` (SPEC §12): erases every email an address (or each address of a CRM identity)
 * takes part in, in any role, and suppresses the addresses so later syncs never capture their
 * mail again. Irreversible. No byte of the address is kept anywhere the library writes: the
 * suppression list holds a keyed hash, the audit entry counts only, and the places that held
 * the address as text (search terms, scans in progress, failure reasons) are cleared.
 */
import type { ExpressionBuilder, Kysely } from 'kysely'
import { isWorkspaceAddress, normalizeAddress } from '../address.js'
import { actorOf, recordAudit, type ActorOptions, type AuditTarget } from '../audit-log/store.js'
import { matchKeyOf } from '../capture/match/address.js'
import { nowIso, type IntegrationContext } from '../context.js'
import type { BlobStore } from '../db/blob-store.js'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { parseIdentityKey, type ParsedIdentityKey } from '../db/identity-keys.js'
import { ValidationError } from '../errors.js'
import { CLEARED_SCAN } from '../sync/scan-plan.js'
import { eraseEmails, type ErasureCounts } from './erase.js'
import { scrubErasedBytes } from './scrub.js'
import { suppressAddresses, type SuppressionHasher } from './suppressions.js'

/** What to purge: one address, or every address of one CRM identity (`contact:c-1`, `fund:7`). */
export type PurgeTarget = { readonly address: string } | { readonly identity: string }

/** What a purge erased. */
export interface PurgeResult extends ErasureCounts {
  /** The addresses purged and suppressed. */
  readonly addresses: number
}

/** What a purge needs of the integration. */
export interface PurgeServices {
  readonly context: IntegrationContext
  readonly blobs: BlobStore
  readonly hasher: SuppressionHasher
}

/**
 * Purges an address's or identity's mail: the addresses are suppressed and cleared from the
 * account terms, scans in progress and failure reasons (one transaction), then every email any
 * of them takes part in is erased ({@link eraseEmails}), the database is scrubbed of the deleted
 * bytes, and a `mail.purged` audit entry records the counts.
 *
 * @example
 * ```ts
 * const { emails, addresses } = await purgeMail(services, { address: 'dana@acme.vc' }, { actor: 'eve@fund.example' })
 * ```
 */
export async function purgeMail(services: PurgeServices, target: PurgeTarget, options?: ActorOptions): Promise<PurgeResult> {
  const { context, blobs, hasher } = services
  const actor = actorOf(options)
  const resolved = await resolveTarget(context, target)
  const now = nowIso(context)
  await context.db.transaction().execute(async (trx) => {
    await suppressAddresses(trx, hasher, resolved.addresses, { at: now, by: actor })
    await forgetAddresses(trx, resolved.addresses)
  })
  const counts = await scrubErasedBytes(context, () => eraseAll(context, blobs, resolved.addresses))
  const result: PurgeResult = { ...counts, addresses: resolved.addresses.length }
  await recordAudit(context.db, nowIso(context), { action: 'mail.purged', actor, target: auditTarget(resolved, hasher), details: { ...result } })
  return result
}

interface ResolvedTarget {
  /** Normalised, unique. */
  readonly addresses: readonly string[]
  /** The identity purged, when the target was one. */
  readonly identity: ParsedIdentityKey | null
}

/** Reads the target: exactly one of `address` and `identity`, each well-formed. */
async function resolveTarget(context: IntegrationContext, target: unknown): Promise<ResolvedTarget> {
  if (typeof target !== 'object' || target === null) throw new ValidationError('purge: expected { address } or { identity }')
  const { address, identity } = target as { address?: unknown; identity?: unknown }
  if ((address === undefined) === (identity === undefined)) throw new ValidationError('purge: expected exactly one of address and identity')
  if (address !== undefined) {
    const normal = typeof address === 'string' ? normalizeAddress(address) : null
    if (normal === null) throw new ValidationError('address: expected an email address')
    if (isWorkspaceAddress(normal, context.config.workspaceDomains)) {
      throw new ValidationError("address: a teammate's address is in every email of their mailbox; remove the account instead")
    }
    return { addresses: [normal], identity: null }
  }
  const parsed = typeof identity === 'string' ? parseIdentityKey(identity) : null
  // A bare id would mean a fund (as filters read it): too loose for an irreversible erasure.
  if (parsed === null || typeof identity !== 'string' || !identity.includes(':')) {
    throw new ValidationError('identity: expected a typed key such as contact:c-1, fund:7 or addr:dana@acme.vc')
  }
  const addresses = new Set<string>(parsed.type === 'addr' ? [parsed.id] : [])
  for (const entry of await context.directory()) {
    if (entry.type !== parsed.type || String(entry.id) !== parsed.id) continue
    for (const email of entry.emails ?? []) {
      const normal = normalizeAddress(email)
      if (normal !== null) addresses.add(normal)
    }
  }
  const linked = await context.db.selectFrom('email_identity_links').select('address').distinct().where('identity_key', '=', parsed.key).execute()
  for (const row of linked) addresses.add(row.address)
  const external = [...addresses].filter((a) => !isWorkspaceAddress(a, context.config.workspaceDomains)).sort()
  return { addresses: external, identity: parsed }
}

/**
 * Clears the other places an address is kept as text: its account term (so that, taken off the
 * suppression list, it is searched again from the start of the window), the scans in progress
 * whose queries name it (they start again without it), and the failures whose reason names it.
 */
async function forgetAddresses(db: Kysely<EmailDatabase>, addresses: readonly string[]): Promise<void> {
  for (const address of addresses) {
    const spellings = [...new Set([address, matchKeyOf(address) ?? address])]
    await db.deleteFrom('email_account_terms').where('term', 'in', spellings.map((value) => `addr:${value}`)).execute()
    for (const spelling of spellings) {
      const pattern = `%${likeLiteral(spelling)}%`
      const names = (eb: ExpressionBuilder<EmailDatabase, 'email_accounts'>, column: 'scan_query' | 'scan_queries' | 'scan_terms') =>
        eb(eb.fn('lower', [eb.ref(column)]), 'like', pattern)
      await db
        .updateTable('email_accounts')
        .set(CLEARED_SCAN)
        .where((eb) => eb.or([names(eb, 'scan_query'), names(eb, 'scan_queries'), names(eb, 'scan_terms')]))
        .execute()
      await db.deleteFrom('email_sync_failures').where((eb) => eb(eb.fn('lower', [eb.ref('reason')]), 'like', pattern)).execute()
    }
  }
}

/**
 * An address as a LIKE pattern without an escape clause (whose syntax differs by dialect): `%`
 * and `_` become `_`, any one character. A wider match costs at most a scan started again or a
 * failure forgotten.
 */
function likeLiteral(text: string): string {
  return text.replace(/[%_]/g, '_')
}

/**
 * Rounds of looking for the addresses' mail and erasing it. A page a sync committed while the
 * suppression was committing (it read the list just before) may store an email after the first
 * look; a second finds it. Later pages read the suppression and leave such mail out.
 */
const ERASE_ROUNDS = 3

/** Erases every email the addresses take part in, looking again after each round. */
async function eraseAll(context: IntegrationContext, blobs: BlobStore, addresses: readonly string[]): Promise<ErasureCounts> {
  let total: ErasureCounts = { emails: 0, attachments: 0, blobsRemoved: 0, bytesFreed: 0 }
  for (let round = 0; round < ERASE_ROUNDS; round += 1) {
    const ids = await emailsOf(context.db, addresses)
    if (ids.length === 0 && round > 0) break
    const counts = await eraseEmails(context, blobs, ids)
    total = {
      emails: total.emails + counts.emails,
      attachments: total.attachments + counts.attachments,
      blobsRemoved: total.blobsRemoved + counts.blobsRemoved,
      bytesFreed: total.bytesFreed + counts.bytesFreed,
    }
  }
  return total
}

/** Every stored email any of the addresses takes part in, in any role (bcc included). */
async function emailsOf(db: Kysely<EmailDatabase>, addresses: readonly string[]): Promise<number[]> {
  const rows = await queryInChunks(addresses, (chunk) =>
    db.selectFrom('email_participants').select('email_id').distinct().where('address', 'in', chunk).execute(),
  )
  return [...new Set(rows.map((r) => r.email_id))].sort((a, b) => a - b)
}

/** The audit entry's target: never an address. An address or `addr:` identity is named by its hash. */
function auditTarget(resolved: ResolvedTarget, hasher: SuppressionHasher): AuditTarget | null {
  const { identity, addresses } = resolved
  if (identity !== null && identity.type !== 'addr') return { kind: 'identity', id: identity.key }
  const [address] = addresses
  return address === undefined ? null : { kind: 'address', id: hasher.hash(address) }
}
