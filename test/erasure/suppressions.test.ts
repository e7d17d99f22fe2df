import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compileSearchTerms } from '../../src/capture/match/search-terms.js'
import { buildMatchIndex } from '../../src/capture/match/match-index.js'
import type { PreparedPage } from '../../src/capture/pipeline-types.js'
import { createSuppressionHasher, withoutSuppressed, type SuppressionList } from '../../src/erasure/suppressions.js'
import { Secret } from '../../src/secrets/secret.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { ANN, DANA, WORKSPACE_DOMAIN } from '../helpers/team.js'
import { DANA_GMAIL, MESSAGE_IDS, purgeWorld, type PurgeWorld } from './purge-world.js'

const key = () => new Secret(randomBytes(32))
const UNKEYED = { secretKey: null, secretKeyPrevious: null }

describe('the suppression hash', () => {
  it('hashes the normalised address, unkeyed without a secret key and keyed with one', () => {
    const plain = createSuppressionHasher(UNKEYED)
    expect(plain.hash('Dana@Gmail.com')).toBe(plain.hash('dana@gmail.com'))
    expect(plain.hash(DANA_GMAIL)).toMatch(/^sha256:[0-9a-f]{64}$/)
    const current = key()
    const keyed = createSuppressionHasher({ secretKey: current, secretKeyPrevious: null })
    expect(keyed.hash(DANA_GMAIL)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
    expect(keyed.hash(DANA_GMAIL)).not.toBe(createSuppressionHasher({ secretKey: key(), secretKeyPrevious: null }).hash(DANA_GMAIL))
    expect(keyed.hash(DANA_GMAIL)).not.toContain('dana')
    expect(() => plain.hash('not an address')).toThrow(TypeError)
  })

  it('finds entries made under the previous key, and before any key was set', () => {
    const previous = key()
    const before = createSuppressionHasher({ secretKey: previous, secretKeyPrevious: null }).hash(DANA_GMAIL)
    const rotated = createSuppressionHasher({ secretKey: key(), secretKeyPrevious: previous })
    expect(rotated.candidates(DANA_GMAIL)).toContain(before)
    expect(rotated.candidates(DANA_GMAIL)).toContain(createSuppressionHasher(UNKEYED).hash(DANA_GMAIL))
    expect(rotated.candidates(DANA_GMAIL)[0]).toBe(rotated.hash(DANA_GMAIL))
  })
})

describe('capture matching with a suppression list', () => {
  const suppressed: SuppressionList = { has: (address) => address.toLowerCase() === DANA_GMAIL }
  const options = { workspaceDomains: [WORKSPACE_DOMAIN], suppressed }

  it('blocks mail any participant of which is suppressed, like the blocklist', () => {
    const index = buildMatchIndex([DANA], options)
    const headers = {
      messageId: null,
      subject: '',
      headerDate: null,
      from: { address: 'kim@acme.vc', name: null },
      sender: null,
      replyTo: [],
      to: [{ address: ANN, name: null }],
      cc: [],
      bcc: [{ address: 'Dana@gmail.com', name: null }],
    }
    expect(index.matchHeaders(headers).blocked).toBe(true)
    expect(index.isBlocked(DANA_GMAIL)).toBe(true)
    expect(index.isBlocked('kim@acme.vc')).toBe(false)
  })

  it('never searches a suppressed address, and names it in no warning', () => {
    const { terms, warnings } = compileSearchTerms([DANA, { type: 'contact', id: 'c-2', name: 'Kim', emails: ['kim@gmail.com'] }], options)
    expect(terms.map((term) => term.key)).toEqual(['addr:kim@gmail.com'])
    expect(warnings.join(' ')).not.toContain('dana')
  })
})

describeEachDialect('a sync after a purge', (open) => {
  let t: TestDatabase
  let w: PurgeWorld

  beforeEach(async () => {
    t = await open()
    w = await purgeWorld(t, { config: { captureStrategy: 'headers' } })
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('drops at commit a message whose participant was suppressed after the run built its index', async () => {
    const hasher = createSuppressionHasher(UNKEYED)
    const party = (address: string) => ({ address, name: null })
    const record = (gmailId: string, bcc: string[]) => ({ gmailId, email: { from: party('kim@acme.vc'), sender: null, replyTo: [], to: [party(ANN)], cc: [], bcc: bcc.map(party) } })
    const page = { account: { id: 1, address: ANN }, records: [record('g1', []), record('g2', ['Dana@gmail.com'])], copies: [{ gmailId: 'g3', bcc: [party(DANA_GMAIL)] }], skipped: [], failed: [], fetched: 2, discarded: 0 }
    const prepared = page as unknown as PreparedPage
    expect(await withoutSuppressed(w.db, hasher, prepared)).toBe(prepared)
    await w.db.insertInto('email_suppressions').values({ hash: hasher.hash(DANA_GMAIL), added_at: new Date().toISOString(), added_by: null }).execute()
    const kept = await withoutSuppressed(w.db, hasher, prepared)
    expect(kept.records.map((r) => r.gmailId)).toEqual(['g1'])
    expect(kept.copies).toEqual([])
  })

  it('reads every message of a mailbox again and captures none of the purged mail', async () => {
    const backfillAnn = async () => {
      await w.db.updateTable('email_accounts').set({ history_id: null, backfill_completed_at: null }).where('address', '=', ANN).execute()
      const reports = await w.email.sync.runAll()
      expect(reports.find((r) => r.account === ANN)?.kind).toBe('backfill')
    }
    await w.email.purge({ address: DANA_GMAIL })
    await backfillAnn()
    expect(await w.storedMessageIds()).toEqual([MESSAGE_IDS.iota, MESSAGE_IDS.theta].sort())
    // Taken off the list, the address is a new term to every mailbox: all its mail comes back.
    await w.email.suppressions.remove(DANA_GMAIL)
    await backfillAnn()
    expect(await w.storedMessageIds()).toEqual(Object.values(MESSAGE_IDS).sort())
  })
})
