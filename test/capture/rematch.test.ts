import { afterEach, beforeEach, expect, it } from 'vitest'
import { buildMatchIndex } from '../../src/capture/match/match-index.js'
import { resolveIdentity } from '../../src/capture/match/precedence.js'
import type { ParsedEmail } from '../../src/capture/parse/parsed-email.js'
import { rematchEmails, type RematchResult } from '../../src/capture/rematch.js'
import { storeMessage, type CaptureRecord, type LinkInput } from '../../src/capture/store.js'
import type { IntegrationContext } from '../../src/context.js'
import { insertAccount } from '../../src/db/accounts.js'
import { ValidationError } from '../../src/errors.js'
import type { DirectoryEntry } from '../../src/hooks.js'
import { createEmailIntegration } from '../../src/index.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'

const T0 = Date.parse('2026-06-01T07:00:00.000Z')
const HOUR = 3_600_000

interface Mail {
  readonly id: string
  readonly from: string
  readonly to?: readonly string[]
  readonly cc?: readonly string[]
}

/** A parsed email with the participants matching reads; the rest filled plainly. */
function parsed(m: Mail): ParsedEmail {
  const date = '2026-05-01T10:00:00.000Z'
  const list = (addresses: readonly string[] = []) => addresses.map((address) => ({ address, name: null }))
  return {
    messageId: m.id,
    messageIdSynthetic: false,
    inReplyTo: null,
    references: [],
    date,
    headerDate: date,
    from: { address: m.from, name: null },
    sender: null,
    replyTo: [],
    to: list(m.to ?? ['ann@fund.example']),
    cc: list(m.cc),
    bcc: [],
    subject: `About ${m.id}`,
    text: `Body of ${m.id}`,
    html: null,
    snippet: `Body of ${m.id}`,
    attachments: [],
    sizeBytes: 100,
  }
}

/** A test context whose directory is whatever `entries` holds when rematch asks for it. */
function contextWithDirectory(base: IntegrationContext, entries: () => readonly DirectoryEntry[]): IntegrationContext {
  return { ...base, directory: () => Promise.resolve(entries()) }
}

describeEachDialect('rematching stored mail', (open) => {
  let t: TestDatabase
  let context: IntegrationContext
  let directory: readonly DirectoryEntry[]
  let time: number
  let account: number

  beforeEach(async () => {
    t = await open()
    time = T0
    directory = []
    const base = testContext(t.db, { workspaceDomains: ['fund.example'] }, () => new Date(time))
    context = contextWithDirectory(base, () => directory)
    await createEmailIntegration({ db: t.db, config: {}, directory: () => Promise.resolve([]) }).migrate()
    const enrolled = await insertAccount(context, {
      address: 'ann@fund.example',
      authMethod: 'dwd',
      status: 'active',
      statusReason: null,
      now: new Date(T0).toISOString(),
    })
    account = Number(enrolled.account.id)
  })
  afterEach(async () => {
    await t.close()
  })

  /** Stores mail as the capture would: linked by the directory as it is now, at the current time. */
  async function store(...mails: Mail[]): Promise<number[]> {
    const index = buildMatchIndex(directory, context.config)
    const ids: number[] = []
    for (const m of mails) {
      const email = parsed(m)
      const links = index
        .matchHeaders(email)
        .links.map((l): LinkInput => ({ identityKey: l.identityKey, type: l.type, id: l.id, address: l.address, matchKind: l.matchKind }))
      const record: CaptureRecord = {
        accountId: account,
        gmailId: m.id,
        gmailThreadId: m.id,
        labelIds: ['INBOX'],
        internalDate: email.date,
        email,
        fingerprint: m.id,
        isDraft: false,
        links,
        attachments: [],
      }
      const now = new Date(time).toISOString()
      ids.push((await context.db.transaction().execute((trx) => storeMessage(trx, record, now))).emailId)
    }
    return ids
  }

  const links = () =>
    context.db.selectFrom('email_identity_links').selectAll().orderBy('email_id').orderBy('identity_key').orderBy('address').execute()
  const linksOf = async (emailId: number) => (await links()).filter((l) => l.email_id === emailId)
  const withoutTimes = async () =>
    (await links()).map((l) => [l.email_id, l.identity_key, l.identity_type, l.identity_id, l.address, l.match_kind])
  const at = (ms: number) => new Date(ms).toISOString()

  /** Rematches an hour after the last write, so rewritten rows would show a new created_at. */
  async function rematch(batchSize?: number): Promise<RematchResult> {
    time += HOUR
    return rematchEmails(context, batchSize === undefined ? {} : { batchSize })
  }

  it('links old mail to a contact added to the directory', async () => {
    const [id] = await store({ id: 'm1@acme.vc', from: 'dana@acme.vc' })
    expect(await links()).toEqual([])
    directory = [{ type: 'contact', id: 'c1', name: 'Dana', emails: ['Dana@Acme.vc'] }]
    expect(await rematch()).toEqual({ emails: 1, linked: 1, unlinked: 0, changed: 1, warnings: [] })
    expect(await links()).toEqual([
      {
        email_id: id,
        identity_key: 'contact:c1',
        identity_type: 'contact',
        identity_id: 'c1',
        address: 'dana@acme.vc',
        match_kind: 'exact',
        created_at: at(T0 + HOUR),
      },
    ])
  })

  it('unlinks mail, hidden mail too, from an org removed from the directory but keeps the mail', async () => {
    directory = [
      { type: 'org', id: 3, name: 'Acme', domains: ['acme.vc'] },
      { type: 'contact', id: 'c1', name: 'Dana', emails: ['dana@acme.vc'] },
    ]
    const [dana, zed] = await store({ id: 'm1@acme.vc', from: 'dana@acme.vc' }, { id: 'm2@acme.vc', from: 'zed@acme.vc' })
    await context.db.updateTable('emails').set({ hidden_at: at(T0), hidden_by: 'admin' }).where('id', '=', zed ?? 0).execute()
    expect((await links()).map((l) => l.identity_key)).toEqual(['contact:c1', 'org:3', 'org:3'])

    directory = [{ type: 'contact', id: 'c1', name: 'Dana', emails: ['dana@acme.vc'] }]
    expect(await rematch()).toEqual({ emails: 2, linked: 0, unlinked: 2, changed: 2, warnings: [] })
    expect(await links()).toEqual([expect.objectContaining({ email_id: dana, identity_key: 'contact:c1', created_at: at(T0) })])
    const emails = await context.db.selectFrom('emails').select(['id', 'hidden_at']).orderBy('id').execute()
    expect(emails).toEqual([{ id: dana, hidden_at: null }, { id: zed, hidden_at: at(T0) }])
  })

  it('links by domain a fund whose domain was added, with precedence data intact', async () => {
    directory = [{ type: 'contact', id: 'c1', name: 'Dana', emails: ['dana@acme.vc'] }]
    const [id = 0] = await store({ id: 'm1@acme.vc', from: 'dana@acme.vc', cc: ['lee@eu.acme.vc'] })

    const dana: DirectoryEntry = { type: 'contact', id: 'c1', name: 'Dana', emails: ['dana@acme.vc'] }
    directory = [dana, { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] }]
    expect(await rematch()).toMatchObject({ emails: 1, linked: 2, unlinked: 0, changed: 1 })
    const rows = await linksOf(id)
    expect(rows.map((l) => [l.identity_key, l.identity_type, l.identity_id, l.address, l.match_kind, l.created_at])).toEqual([
      ['contact:c1', 'contact', 'c1', 'dana@acme.vc', 'exact', at(T0)],
      ['fund:7', 'fund', '7', 'dana@acme.vc', 'domain', at(T0 + HOUR)],
      ['fund:7', 'fund', '7', 'lee@eu.acme.vc', 'domain', at(T0 + HOUR)],
    ])
    const ranked = rows.map((l) => ({ identityKey: l.identity_key, type: l.identity_type, matchKind: l.match_kind, address: l.address }))
    expect(resolveIdentity(ranked)).toMatchObject({ identityKey: 'fund:7', address: 'dana@acme.vc' })

    // The fund now lists Dana's address itself: the same link, found exactly, keeps its date.
    directory = [dana, { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'], emails: ['dana@acme.vc'] }]
    expect(await rematch()).toMatchObject({ linked: 0, unlinked: 0, changed: 1 })
    expect((await linksOf(id)).find((l) => l.identity_key === 'fund:7' && l.address === 'dana@acme.vc')).toMatchObject({
      match_kind: 'exact',
      created_at: at(T0 + HOUR),
    })
  })

  it('stops domain-matching an entity whose domain became a free-mail domain', async () => {
    directory = [{ type: 'org', id: 5, name: 'Beta', domains: ['beta.example'], emails: ['boss@gmail.com'] }]
    const [partner, stranger, boss] = await store(
      { id: 'm1@beta.example', from: 'a@beta.example' },
      { id: 'm2@gmail.com', from: 'sam@gmail.com' },
      { id: 'm3@gmail.com', from: 'boss@gmail.com' },
    )
    directory = [{ type: 'org', id: 5, name: 'Beta', domains: ['gmail.com'], emails: ['boss@gmail.com'] }]
    const result = await rematch()
    expect(result).toMatchObject({ emails: 3, linked: 0, unlinked: 1, changed: 1 })
    expect(result.warnings).toEqual(['org:5: ignored domain "gmail.com": free-mail domain'])
    expect(await linksOf(partner ?? 0)).toEqual([])
    expect(await linksOf(stranger ?? 0)).toEqual([])
    expect((await linksOf(boss ?? 0)).map((l) => [l.identity_key, l.match_kind])).toEqual([['org:5', 'exact']])
  })

  it('never links workspace addresses, even when the directory lists them', async () => {
    const [internal, external] = await store(
      { id: 'm1@fund.example', from: 'bob@fund.example', to: ['ann@fund.example'] },
      { id: 'm2@partner.example', from: 'pat@partner.example', to: ['ann@fund.example'], cc: ['bob@mail.fund.example'] },
    )
    directory = [
      { type: 'org', id: 9, name: 'Partner', domains: ['fund.example', 'partner.example'] },
      { type: 'contact', id: 'c2', name: 'Ann', emails: ['ann@fund.example'] },
      { type: 'contact', id: 'c3', name: 'Pat', emails: ['pat@partner.example'] },
    ]
    const result = await rematch()
    expect(result).toMatchObject({ emails: 2, linked: 2, unlinked: 0, changed: 1 })
    expect(result.warnings).toHaveLength(2)
    expect(await linksOf(internal ?? 0)).toEqual([])
    expect((await linksOf(external ?? 0)).map((l) => [l.identity_key, l.address, l.match_kind])).toEqual([
      ['contact:c3', 'pat@partner.example', 'exact'],
      ['org:9', 'pat@partner.example', 'domain'],
    ])
  })

  it('changes nothing when run a second time', async () => {
    directory = [{ type: 'org', id: 3, name: 'Acme', domains: ['acme.vc'] }]
    await store({ id: 'm1@acme.vc', from: 'dana@acme.vc' }, { id: 'm2@other.example', from: 'x@other.example' })
    directory = [
      { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] },
      { type: 'contact', id: 'c9', name: 'X', emails: ['x@other.example'] },
    ]
    expect(await rematch()).toMatchObject({ emails: 2, linked: 2, unlinked: 1, changed: 2 })
    const first = await links()
    expect(await rematch()).toEqual({ emails: 2, linked: 0, unlinked: 0, changed: 0, warnings: [] })
    expect(await links()).toEqual(first)
  })

  it('gives the same result in batches of 2 as in one batch', async () => {
    directory = [{ type: 'org', id: 3, name: 'Acme', domains: ['acme.vc'] }]
    const senders = [
      'dana@acme.vc',
      'lee@eu.acme.vc',
      'x@other.example',
      'bob@fund.example',
      'sam@gmail.com',
      'pat@partner.example',
      'zoe@acme.vc',
    ]
    await store(...senders.map((from, i) => ({ id: `m${i}@x`, from, cc: i % 2 === 0 ? ['pat@partner.example'] : [] })))
    const captured = await links()
    directory = [
      { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['eu.acme.vc'] },
      { type: 'org', id: 4, name: 'Partner', domains: ['partner.example'] },
      { type: 'contact', id: 'c1', name: 'Dana', emails: ['dana@acme.vc', 'x@other.example'] },
    ]
    const batched = await rematch(2)
    const batchedLinks = await withoutTimes()

    await context.db.deleteFrom('email_identity_links').execute()
    await context.db.insertInto('email_identity_links').values(captured).execute()
    const whole = await rematch()
    expect(whole).toEqual(batched)
    expect(whole).toMatchObject({ emails: 7, changed: 6 })
    expect(await withoutTimes()).toEqual(batchedLinks)
  })

  it('stops between batches when aborted, leaving the finished batches relinked', async () => {
    const ids = await store(...Array.from({ length: 5 }, (_, i) => ({ id: `m${i}@acme.vc`, from: `p${i}@acme.vc` })))
    directory = [{ type: 'org', id: 3, name: 'Acme', domains: ['acme.vc'] }]
    const controller = new AbortController()
    await expect(rematchEmails(context, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop')
    expect(await links()).toEqual([])

    // The clock is read once per batch: abort while the second batch runs.
    let reads = 0
    const now = () => {
      reads += 1
      if (reads === 2) controller.abort(new Error('stop'))
      return new Date(time)
    }
    const counting: IntegrationContext = { ...context, clock: { now } }
    await expect(rematchEmails(counting, { batchSize: 2, signal: controller.signal })).rejects.toThrow('stop')
    expect((await links()).map((l) => l.email_id)).toEqual(ids.slice(0, 4))
  })

  it('rejects a batch size that would switch batching off', async () => {
    for (const batchSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 10_000]) {
      await expect(rematchEmails(context, { batchSize })).rejects.toThrow(ValidationError)
    }
  })
})
