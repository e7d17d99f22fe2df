import { afterEach, beforeEach, expect, it } from 'vitest'
import { storeMessage, type CaptureRecord } from '../../src/capture/store.js'
import type { ParsedEmail } from '../../src/capture/parse/parsed-email.js'
import { insertAccount } from '../../src/db/accounts.js'
import { createEmailIntegration } from '../../src/index.js'
import type { IntegrationContext } from '../../src/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { testContext } from '../helpers/context.js'

/** A parsed email with the fields threading and dedup look at; the rest filled plainly. */
function parsed(messageId: string, options: { refs?: string[]; from?: string; date?: string; subject?: string } = {}): ParsedEmail {
  const date = options.date ?? '2026-06-01T10:00:00.000Z'
  const refs = options.refs ?? []
  return {
    messageId,
    messageIdSynthetic: false,
    inReplyTo: refs.at(-1) ?? null,
    references: refs,
    date,
    headerDate: date,
    from: { address: options.from ?? 'dana@acme.vc', name: 'Dana' },
    sender: null,
    replyTo: [],
    to: [{ address: 'ann@fund.example', name: null }],
    cc: [],
    bcc: [],
    subject: options.subject ?? `About ${messageId}`,
    text: `Body of ${messageId}`,
    html: null,
    snippet: `Body of ${messageId}`,
    attachments: [],
    sizeBytes: 100,
  }
}

interface Msg {
  account: number
  gmailId: string
  gmailThread: string
  email: ParsedEmail
  fingerprint?: string
  draft?: boolean
}

function record(m: Msg): CaptureRecord {
  return {
    accountId: m.account,
    gmailId: m.gmailId,
    gmailThreadId: m.gmailThread,
    labelIds: m.draft === true ? ['DRAFT'] : ['INBOX'],
    internalDate: m.email.date,
    email: m.email,
    fingerprint: m.fingerprint ?? `${m.email.from?.address ?? ''}|${m.email.headerDate ?? ''}`,
    isDraft: m.draft ?? false,
    links: [{ identityKey: 'fund:7', type: 'fund', id: '7', address: 'dana@acme.vc', matchKind: 'domain' }],
    attachments: [],
  }
}

/** Permutations of a small list, for order-independence checks. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]]
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]))
}

describeEachDialect('storing captured messages', (open) => {
  let t: TestDatabase
  let context: IntegrationContext
  let ann: number
  let bob: number

  beforeEach(async () => {
    t = await open()
    context = testContext(t.db)
    await createEmailIntegration({ db: t.db, config: {}, directory: () => Promise.resolve([]) }).migrate()
    const now = new Date().toISOString()
    const enroll = async (address: string) =>
      Number((await insertAccount(context, { address, authMethod: 'dwd', status: 'active', statusReason: null, now })).account.id)
    ann = await enroll('ann@fund.example')
    bob = await enroll('bob@fund.example')
  })
  afterEach(async () => {
    await t.close()
  })

  const store = (m: Msg) => context.db.transaction().execute((trx) => storeMessage(trx, record(m), new Date().toISOString()))

  /** The threads as sets of Message-IDs, independent of ids and order. */
  async function threadPartition(): Promise<string[][]> {
    const rows = await context.db.selectFrom('emails').select(['message_id', 'thread_id']).execute()
    const byThread = new Map<number, string[]>()
    for (const r of rows) byThread.set(r.thread_id, [...(byThread.get(r.thread_id) ?? []), r.message_id])
    return [...byThread.values()].map((ids) => ids.sort()).sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))
  }

  it('stores a message once across mailboxes, with a copy per mailbox', async () => {
    const email = parsed('m1@acme.vc')
    const first = await store({ account: ann, gmailId: 'a1', gmailThread: 'ta', email })
    const second = await store({ account: bob, gmailId: 'b1', gmailThread: 'tb', email })
    expect(first).toMatchObject({ createdEmail: true, createdCopy: true })
    expect(second).toMatchObject({ emailId: first.emailId, threadId: first.threadId, createdEmail: false, createdCopy: true })
    expect(await context.db.selectFrom('emails').select('id').execute()).toHaveLength(1)
    expect(await context.db.selectFrom('email_copies').select('account_id').orderBy('account_id').execute()).toEqual([
      { account_id: ann },
      { account_id: bob },
    ])
    const thread = await context.db.selectFrom('email_threads').selectAll().where('id', '=', first.threadId).executeTakeFirstOrThrow()
    expect(thread).toMatchObject({ message_count: 1, subject: 'About m1@acme.vc', merged_into: null })
  })

  it('changes nothing when the same message of the same mailbox is stored again', async () => {
    const m = { account: ann, gmailId: 'a1', gmailThread: 'ta', email: parsed('m1@acme.vc') }
    await store(m)
    const snapshot = async () => ({
      emails: await context.db.selectFrom('emails').selectAll().execute(),
      participants: await context.db.selectFrom('email_participants').selectAll().execute(),
      links: await context.db.selectFrom('email_identity_links').select(['email_id', 'identity_key']).execute(),
      threads: await context.db.selectFrom('email_threads').select(['id', 'message_count']).execute(),
    })
    const before = await snapshot()
    expect(await store(m)).toMatchObject({ createdEmail: false, createdCopy: false })
    expect(await snapshot()).toEqual(before)
  })

  it('keeps two different messages that share a Message-ID apart, and a draft apart from what it became', async () => {
    await store({ account: ann, gmailId: 'a1', gmailThread: 't1', email: parsed('dup@x', { date: '2026-06-01T10:00:00.000Z' }) })
    await store({ account: ann, gmailId: 'a2', gmailThread: 't2', email: parsed('dup@x', { date: '2026-07-01T10:00:00.000Z' }) })
    await store({ account: bob, gmailId: 'b1', gmailThread: 't3', email: parsed('sent@x'), draft: true })
    await store({ account: bob, gmailId: 'b2', gmailThread: 't3', email: parsed('sent@x') })
    const rows = await context.db.selectFrom('emails').select(['message_id', 'is_draft']).orderBy('id').execute()
    expect(rows).toEqual([
      { message_id: 'dup@x', is_draft: 0 },
      { message_id: 'dup@x', is_draft: 0 },
      { message_id: 'sent@x', is_draft: 1 },
      { message_id: 'sent@x', is_draft: 0 },
    ])
  })

  it('ends in the same threads whatever order the messages and mailboxes come in', async () => {
    // root (ann) <- reply1 (bob) <- reply2 (ann); sibling (bob) replies to an uncaptured parent
    // that reply3 (ann) also answers; lone (bob) is its own thread.
    const messages: Msg[] = [
      { account: ann, gmailId: 'a-root', gmailThread: 'ta1', email: parsed('root@x') },
      { account: bob, gmailId: 'b-r1', gmailThread: 'tb1', email: parsed('r1@x', { refs: ['root@x'] }) },
      { account: ann, gmailId: 'a-r2', gmailThread: 'ta2', email: parsed('r2@x', { refs: ['root@x', 'r1@x'] }) },
      { account: bob, gmailId: 'b-s', gmailThread: 'tb2', email: parsed('s@x', { refs: ['missing@x'] }) },
      { account: ann, gmailId: 'a-s3', gmailThread: 'ta3', email: parsed('s3@x', { refs: ['missing@x'] }) },
      { account: bob, gmailId: 'b-lone', gmailThread: 'tb3', email: parsed('lone@x') },
      { account: bob, gmailId: 'b-root', gmailThread: 'tb1', email: parsed('root@x') },
    ]
    const expected = [['lone@x'], ['r1@x', 'r2@x', 'root@x'], ['s3@x', 's@x']]
    let runs = 0
    for (const order of permutations(messages).filter((_, i) => i % 97 === 0)) {
      await context.db.deleteFrom('email_copies').execute()
      await context.db.deleteFrom('email_references').execute()
      await context.db.deleteFrom('email_participants').execute()
      await context.db.deleteFrom('email_identity_links').execute()
      await context.db.deleteFrom('emails').execute()
      await context.db.deleteFrom('email_thread_keys').execute()
      await context.db.deleteFrom('email_threads').execute()
      for (const m of order) await store(m)
      expect(await threadPartition()).toEqual(expected)
      const live = await context.db.selectFrom('email_threads').select(['id', 'message_count']).where('merged_into', 'is', null).execute()
      expect(live.map((r) => r.message_count).sort()).toEqual([1, 2, 3])
      runs += 1
    }
    expect(runs).toBeGreaterThan(40)
  })

  it('joins a late parent to the threads it connects, leaving redirects behind', async () => {
    const a = await store({ account: ann, gmailId: 'a1', gmailThread: 'ta', email: parsed('c1@x', { refs: ['p@x'] }) })
    const b = await store({ account: bob, gmailId: 'b1', gmailThread: 'tb', email: parsed('c2@x', { refs: ['other@x'] }) })
    expect(a.threadId).not.toBe(b.threadId)
    const parent = await store({ account: bob, gmailId: 'b2', gmailThread: 'tc', email: parsed('p@x', { refs: [] }) })
    const joiner = await store({ account: bob, gmailId: 'b3', gmailThread: 'td', email: parsed('other@x', { refs: ['p@x'] }) })
    expect(parent.threadId).toBe(a.threadId)
    expect(joiner.threadId).toBe(a.threadId)
    const threads = await context.db.selectFrom('email_threads').select(['id', 'merged_into', 'message_count']).orderBy('id').execute()
    expect(threads.filter((th) => th.merged_into === null)).toEqual([{ id: a.threadId, merged_into: null, message_count: 4 }])
    expect(threads.filter((th) => th.merged_into !== null).every((th) => th.merged_into === a.threadId)).toBe(true)
  })

  it('stores a header of 10,000 recipients', async () => {
    const email = { ...parsed('big@x'), to: Array.from({ length: 10_000 }, (_, i) => ({ address: `r${i}@example.com`, name: null })) }
    await store({ account: ann, gmailId: 'big', gmailThread: 'tbig', email })
    const count = await context.db.selectFrom('email_participants').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(10_001) // 10,000 to + 1 from
  })
})
