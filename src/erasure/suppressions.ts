/**
 * The suppression list (SPEC §12): addresses whose mail later syncs never capture, added by a
 * purge. No byte of a suppressed address is kept: each entry is a keyed hash of it, and capture
 * hashes each participant to check. The key is derived from `CRM_GMAIL_SECRET_KEY` when it is
 * set, so a leaked table cannot be checked against a list of guessed addresses without the key;
 * without one the hash is a plain SHA-256 under a fixed label.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { MatchIndexOptions } from '../capture/match/match-index.js'
import type { ParsedAddress } from '../capture/parse/parsed-email.js'
import type { PreparedPage } from '../capture/pipeline-types.js'
import type { IntegrationContext } from '../context.js'
import { normalizeAddress } from '../address.js'
import type { EmailConfig } from '../config/index.js'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import type { Secret } from '../secrets/secret.js'

/**
 * HKDF label of the suppression key: CRM_GMAIL_SECRET_KEY also seals refresh tokens and signs
 * consent states, and one key must not serve two purposes directly.
 */
const KEY_LABEL = 'crm-email-integration/suppression/hmac/v1'
/** What the unkeyed hash is taken over, before the address. */
const UNKEYED_LABEL = 'crm-email-integration/suppression/sha256/v1\u0000'
const KEY_BYTES = 32

/** Hashes addresses for the suppression list. */
export interface SuppressionHasher {
  /** The hash a new entry is stored under: under the current key, or unkeyed without one. */
  hash(address: string): string
  /**
   * Every hash an entry for the address may have been stored under: the current key's, the
   * previous key's during a rotation, and the unkeyed one (entries added before a key was set).
   */
  candidates(address: string): readonly string[]
}

function keyOf(secret: Secret<Buffer>): Buffer {
  return Buffer.from(hkdfSync('sha256', secret.reveal(), Buffer.alloc(0), KEY_LABEL, KEY_BYTES))
}

/**
 * The hasher of the integration's keys. Hashes are of the address in `normalizeAddress`'s form,
 * as participants are stored; a value that is not an address throws a `TypeError`.
 *
 * @example
 * ```ts
 * const hasher = createSuppressionHasher(config)
 * hasher.hash('Dana@Acme.vc') // 'hmac-sha256:3f1c...' (with CRM_GMAIL_SECRET_KEY), else 'sha256:...'
 * ```
 */
export function createSuppressionHasher(config: Pick<EmailConfig, 'secretKey' | 'secretKeyPrevious'>): SuppressionHasher {
  const keys = [config.secretKey, config.secretKeyPrevious].flatMap((secret) => (secret === null ? [] : [keyOf(secret)]))
  const normal = (address: string): string => {
    const value = normalizeAddress(address)
    if (value === null) throw new TypeError('not an email address')
    return value
  }
  const keyed = (key: Buffer, address: string) => `hmac-sha256:${createHmac('sha256', key).update(address, 'utf8').digest('hex')}`
  const unkeyed = (address: string) => `sha256:${createHash('sha256').update(UNKEYED_LABEL + address, 'utf8').digest('hex')}`
  return {
    hash(address) {
      const value = normal(address)
      const [current] = keys
      return current === undefined ? unkeyed(value) : keyed(current, value)
    },
    candidates(address) {
      const value = normal(address)
      return [...keys.map((key) => keyed(key, value)), unkeyed(value)]
    },
  }
}

/** The suppression list as capture reads it: loaded once per sync. */
export interface SuppressionList {
  /** Whether an address (any spelling `normalizeAddress` accepts) is suppressed; `false` for a non-address. */
  has(address: string): boolean
}

/**
 * Loads the suppression list for one sync. With no entry (the usual case) `has` hashes nothing.
 *
 * @example
 * ```ts
 * const suppressed = await loadSuppressionList(context.db, createSuppressionHasher(context.config))
 * buildMatchIndex(entries, { ...context.config, suppressed })
 * ```
 */
export async function loadSuppressionList(db: Kysely<EmailDatabase>, hasher: SuppressionHasher): Promise<SuppressionList> {
  const hashes = new Set((await db.selectFrom('email_suppressions').select('hash').execute()).map((r) => r.hash))
  if (hashes.size === 0) return { has: () => false }
  return {
    has(address) {
      if (normalizeAddress(address) === null) return false
      return hasher.candidates(address).some((hash) => hashes.has(hash))
    },
  }
}

/**
 * Adds addresses to the list (inside the caller's transaction); one already there keeps its entry.
 *
 * @example
 * ```ts
 * await suppressAddresses(trx, hasher, ['dana@acme.vc'], { at: now, by: actor })
 * ```
 */
export async function suppressAddresses(
  db: Kysely<EmailDatabase>,
  hasher: SuppressionHasher,
  addresses: readonly string[],
  added: { readonly at: string; readonly by: string | null },
): Promise<void> {
  const existing = await queryInChunks(
    addresses.flatMap((address) => hasher.candidates(address)),
    (chunk) => db.selectFrom('email_suppressions').select('hash').where('hash', 'in', chunk).execute(),
  )
  const known = new Set(existing.map((r) => r.hash))
  const fresh = addresses.filter((address) => !hasher.candidates(address).some((hash) => known.has(hash)))
  for (const hash of new Set(fresh.map((address) => hasher.hash(address)))) {
    await db.insertInto('email_suppressions').values({ hash, added_at: added.at, added_by: added.by }).onConflict((oc) => oc.column('hash').doNothing()).execute()
  }
}

/**
 * What capture matches mail with: the configuration's workspace domains and blocklist, and the
 * suppression list as it stands now. The sync and the audit read it once per run.
 *
 * @example
 * ```ts
 * const options = await captureMatchOptions(context)
 * const index = buildMatchIndex(entries, options)
 * const { terms } = compileSearchTerms(entries, options)
 * ```
 */
export async function captureMatchOptions(context: Pick<IntegrationContext, 'db' | 'config'>): Promise<MatchIndexOptions> {
  const suppressed = await loadSuppressionList(context.db, createSuppressionHasher(context.config))
  return { workspaceDomains: context.config.workspaceDomains, blocklist: context.config.blocklist, suppressed }
}

/**
 * A prepared page without the messages a participant of which was suppressed after the page's
 * sync built its match index (a purge during a long run). Read in the page's transaction, so a
 * suppression committed before the page commits is honoured; with an empty list (the usual
 * case) it costs one query and returns the page as it is. A message left out is not counted as
 * captured; its attachment files, already written, are collected by housekeeping.
 *
 * @example
 * ```ts
 * commit: async (trx, page, now) => commitPage(trx, await withoutSuppressed(trx, hasher, page), now)
 * ```
 */
export async function withoutSuppressed(trx: Kysely<EmailDatabase>, hasher: SuppressionHasher, page: PreparedPage): Promise<PreparedPage> {
  if (page.records.length + page.copies.length === 0) return page
  const list = await loadSuppressionList(trx, hasher)
  const clear = (addresses: readonly (ParsedAddress | null)[]) => !addresses.some((a) => a !== null && list.has(a.address))
  const records = page.records.filter(({ email: e }) => clear([e.from, e.sender, ...e.replyTo, ...e.to, ...e.cc, ...e.bcc]))
  const copies = page.copies.filter((c) => clear(c.bcc))
  return records.length === page.records.length && copies.length === page.copies.length ? page : { ...page, records, copies }
}
