import { normalizeAddress } from '../address.js'
import { actorOf, recordAudit, type ActorOptions } from '../audit-log/store.js'
import { nowIso, type IntegrationContext } from '../context.js'
import type { BlobStore } from '../db/blob-store.js'
import { NotFoundError, ValidationError } from '../errors.js'
import { purgeMail, type PurgeResult, type PurgeTarget } from './purge.js'
import { createSuppressionHasher } from './suppressions.js'

/** One entry of the suppression list: never the address, only its hash. */
export interface SuppressionEntry {
  /** The keyed hash the address is kept as (`hmac-sha256:<hex>`, or `sha256:<hex>` without a secret key). */
  readonly hash: string
  /** When a purge added it. */
  readonly addedAt: string
  /** The principal who purged, or `null` for the host's own code. */
  readonly addedBy: string | null
}

/** `email.suppressions`: the addresses later syncs never capture mail of. */
export interface SuppressionsApi {
  /**
   * Every entry, newest first.
   *
   * @example
   * ```ts
   * const entries = await email.suppressions.list() // [{ hash: 'hmac-sha256:3f1c…', addedAt, addedBy }]
   * ```
   */
  readonly list: () => Promise<readonly SuppressionEntry[]>
  /**
   * Takes an address off the list (a `suppression.removed` audit entry, by hash): the next sync
   * captures its mail again, from the start of the backfill window. `NotFoundError` when the
   * address is not on the list.
   *
   * @example
   * ```ts
   * await email.suppressions.remove('dana@acme.vc', { actor: principal.email })
   * ```
   */
  readonly remove: (address: string, options?: ActorOptions) => Promise<{ readonly removed: true }>
}

/** The erasure API: `email.purge` and `email.suppressions`. */
export interface ErasureApi {
  /**
   * Erases every email an address, or each address of a CRM identity (`contact:c-1`, `fund:7`:
   * its directory emails and every stored address linked to it), takes part in, in any role,
   * bcc included: rows, index entries, attachment files no other email uses. Suppresses the
   * addresses so later syncs never capture their mail. Irreversible. A `mail.purged` audit entry
   * records the counts, never the address. A teammate's address is refused (remove the account).
   *
   * @example
   * ```ts
   * const { emails, attachments, blobsRemoved, bytesFreed, addresses } = await email.purge({ address: 'dana@acme.vc' })
   * await email.purge({ identity: 'contact:c-1' }, { actor: principal.email })
   * ```
   */
  readonly purge: (target: PurgeTarget, options?: ActorOptions) => Promise<PurgeResult>
  readonly suppressions: SuppressionsApi
}

/**
 * Builds the erasure API over the integration's database and blob store.
 *
 * @example
 * ```ts
 * const erasure = createErasureApi(context, blobs)
 * await erasure.purge({ address: 'dana@acme.vc' })
 * ```
 */
export function createErasureApi(context: IntegrationContext, blobs: BlobStore): ErasureApi {
  const hasher = createSuppressionHasher(context.config)
  return {
    purge: (target, options) => purgeMail({ context, blobs, hasher }, target, options),
    suppressions: {
      async list() {
        const rows = await context.db.selectFrom('email_suppressions').selectAll().orderBy('added_at', 'desc').orderBy('hash').execute()
        return rows.map((r) => ({ hash: r.hash, addedAt: r.added_at, addedBy: r.added_by }))
      },
      async remove(address, options) {
        const actor = actorOf(options)
        const normal = typeof address === 'string' ? normalizeAddress(address) : null
        if (normal === null) throw new ValidationError('address: expected an email address')
        const candidates = [...hasher.candidates(normal)]
        await context.db.transaction().execute(async (trx) => {
          const removed = await trx.deleteFrom('email_suppressions').where('hash', 'in', candidates).returning('hash').execute()
          const [first] = removed
          if (first === undefined) throw new NotFoundError('address: not on the suppression list')
          await recordAudit(trx, nowIso(context), { action: 'suppression.removed', actor, target: { kind: 'address', id: first.hash }, details: {} })
        })
        return { removed: true }
      },
    },
  }
}
