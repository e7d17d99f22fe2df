import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmailIntegration, type EmailDatabase, type EmailIntegration, type QuotaCosts } from '../src/index.js'
import { startGmailEmulator, type GmailEmulator } from '../src/testing/index.js'
import {
  DEFAULT_DAYS,
  generateFreshMail,
  generateTeamMailbox,
  loadTeamMailbox,
  type GeneratedMessage,
  type TeamMailbox,
} from '../src/testing/fixtures/team-mailbox/index.js'
import { openSqlite, type TestDatabase } from './helpers/databases.js'

const NOW = new Date('2026-06-01T15:00:00Z')
const DAY_MS = 86_400_000
/** Every Gmail call costs one unit, so the test measures the sync and not the rate limiter. */
const CHEAP: QuotaCosts = { get: 1, list: 1, history: 1, profile: 1, attachment: 1 }
const FREE_MAIL = /@(gmail|outlook|yahoo|icloud)\.com$/

/** A header of an RFC 822 message, unfolded; undefined when absent. */
function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]/g, ' ')
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line?.slice(name.length + 1).trim()
}

function ids(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] ?? '')
}

function count<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1
  return out
}

describe('the demo team mailbox generator', () => {
  it('is deterministic: the same seed and now give byte-identical mail, another seed other mail', () => {
    const a = generateTeamMailbox({ now: NOW, seed: 3, threads: 60 })
    const b = generateTeamMailbox({ now: NOW, seed: 3, threads: 60 })
    const c = generateTeamMailbox({ now: NOW, seed: 4, threads: 60 })
    expect(b.messages.map((m) => m.raw)).toEqual(a.messages.map((m) => m.raw))
    expect(b).toEqual(a)
    expect(c.messages.map((m) => m.raw)).not.toEqual(a.messages.map((m) => m.raw))
    expect(generateFreshMail(a, { run: 2, now: NOW, seed: 3 })).toEqual(generateFreshMail(b, { run: 2, now: NOW, seed: 3 }))
    const run1 = generateFreshMail(a, { run: 1, now: NOW, seed: 3 }).map((m) => m.messageId)
    const run2 = generateFreshMail(a, { run: 2, now: NOW, seed: 3 }).map((m) => m.messageId)
    expect(run1.filter((id) => run2.includes(id))).toEqual([])
    expect(() => generateTeamMailbox({ now: new Date(Number.NaN) })).toThrow(/`now`/)
    expect(() => generateTeamMailbox({ now: NOW, threads: 0 })).toThrow(/`threads`/)
  })

  it('builds a year of a five-person team\'s mail with CRM threads across mailboxes and mail the CRM must not keep', () => {
    const box = generateTeamMailbox({ now: NOW })
    const { messages } = box
    // The team and its directory.
    expect(box.team).toHaveLength(5)
    expect(box.domain).toMatch(/\.example$/)
    for (const t of box.team) expect(t.address.endsWith(`@${box.domain}`)).toBe(true)
    const types = count(box.directory, (e) => e.type)
    expect(types.fund).toBeGreaterThanOrEqual(6)
    expect(types.org).toBeGreaterThanOrEqual(12)
    expect(types.contact).toBeGreaterThanOrEqual(12)
    expect(box.directory.some((e) => e.emails?.some((a) => FREE_MAIL.test(a)))).toBe(true)
    for (const e of box.directory) for (const d of e.domains ?? []) expect(d).toMatch(/\.example$/)

    // A few thousand distinct messages, about a third of them not CRM mail.
    expect(messages.length).toBeGreaterThan(2500)
    expect(messages.length).toBeLessThan(3500)
    expect(new Set(messages.map((m) => m.messageId)).size).toBe(messages.length)
    const categories = count(messages, (m) => m.category)
    expect(Object.keys(categories).sort()).toEqual(['crm', 'draft', 'internal', 'newsletter', 'personal', 'spam'])
    const crmShare = (categories.crm ?? 0) / messages.length
    expect(crmShare).toBeGreaterThan(0.55)
    expect(crmShare).toBeLessThan(0.75)
    expect((categories.newsletter ?? 0) / messages.length).toBeGreaterThan(0.1)

    // Oldest first, inside the window, and replies after the messages they answer, in the same thread.
    const byId = new Map(messages.map((m) => [m.messageId, m]))
    const windowStart = NOW.getTime() - DEFAULT_DAYS * DAY_MS
    let replies = 0
    messages.forEach((m, i) => {
      expect(m.date.getTime()).toBeLessThanOrEqual(NOW.getTime())
      expect(m.date.getTime()).toBeGreaterThanOrEqual(windowStart)
      if (i > 0) expect(m.date.getTime()).toBeGreaterThanOrEqual(messages[i - 1]!.date.getTime())
      expect(ids(header(m.raw, 'Message-ID'))).toEqual([m.messageId])
      expect(Date.parse(header(m.raw, 'Date') ?? '')).toBe(m.date.getTime())
      const parentId = ids(header(m.raw, 'In-Reply-To'))[0]
      if (parentId === undefined) return
      replies += 1
      const parent = byId.get(parentId)
      expect(parent, `${m.messageId} answers ${parentId}`).toBeDefined()
      expect(parent!.threadKey).toBe(m.threadKey)
      expect(parent!.date.getTime()).toBeLessThan(m.date.getTime())
      expect(ids(header(m.raw, 'References')).at(-1)).toBe(parentId)
    })
    expect(replies).toBeGreaterThan(1000)

    // CRM mail: threads of one to eight, copies in several mailboxes, attachments, working hours.
    const crm = messages.filter((m) => m.category === 'crm')
    const threadSizes = Object.values(count(crm, (m) => m.threadKey))
    expect(Math.max(...threadSizes)).toBeLessThanOrEqual(8)
    expect(threadSizes.filter((n) => n >= 4).length).toBeGreaterThan(50)
    expect(crm.filter((m) => new Set(m.copies.map((c) => c.mailbox)).size >= 2).length).toBeGreaterThan(crm.length / 5)
    const attached = crm.filter((m) => m.attachments.length > 0)
    expect(attached.length).toBeGreaterThan(crm.length / 20)
    for (const ext of ['pdf', 'csv', 'png']) expect(attached.some((m) => m.attachments.some((a) => a.endsWith(`.${ext}`)))).toBe(true)
    expect(attached.some((m) => /Content-Disposition: attachment;\s+filename/.test(m.raw))).toBe(true)
    const working = crm.filter((m) => {
      const hour = m.date.getUTCHours() + m.date.getUTCMinutes() / 60
      return hour >= 8 && hour <= 18.5 && m.date.getUTCDay() % 6 !== 0
    })
    expect(working.length / crm.length).toBeGreaterThan(0.97)
    // Mail from the last quarter outnumbers mail from the first.
    const recent = crm.filter((m) => m.date.getTime() > NOW.getTime() - 91 * DAY_MS).length
    const old = crm.filter((m) => m.date.getTime() < windowStart + 91 * DAY_MS).length
    expect(recent).toBeGreaterThan(old * 1.5)
    // Encoded words and HTML alternatives occur, and raw mail is ASCII.
    expect(crm.some((m) => /^Subject: =\?UTF-8\?B\?/m.test(m.raw))).toBe(true)
    expect(crm.some((m) => /^From: =\?UTF-8\?B\?/m.test(m.raw))).toBe(true)
    expect(crm.some((m) => m.raw.includes('multipart/alternative'))).toBe(true)
    expect(messages.filter((m) => Buffer.byteLength(m.raw) !== m.raw.length)).toEqual([])

    // Labels: senders hold SENT copies, spam and drafts one copy with their label.
    for (const m of messages) {
      const team = box.team.some((t) => t.address === m.from.address)
      const labels = m.copies.map((c) => c.labelIds)
      if (m.category === 'spam') expect(labels).toEqual([expect.arrayContaining(['SPAM'])])
      else if (m.category === 'draft') expect(labels).toEqual([['DRAFT']])
      else if (team) expect(m.copies.find((c) => c.mailbox === m.from.address)?.labelIds).toContain('SENT')
      for (const c of m.copies) expect(c.threadKey).toBe(m.threadKey)
    }
    const newsletter = messages.find((m) => m.category === 'newsletter')!
    expect(header(newsletter.raw, 'List-Unsubscribe')).toMatch(/^<https:/)
    expect(header(newsletter.raw, 'List-Id')).toBeDefined()
  })

  it('gives fresh mail: five to fifteen CRM messages in the hours before now, some answering older threads', () => {
    const box = generateTeamMailbox({ now: NOW, threads: 200 })
    const keys = new Set(box.messages.map((m) => m.threadKey))
    for (const run of [1, 2, 3]) {
      const fresh = generateFreshMail(box, { run, now: NOW })
      expect(fresh.length).toBeGreaterThanOrEqual(5)
      expect(fresh.length).toBeLessThanOrEqual(15)
      for (const m of fresh) {
        expect(m.category).toBe('crm')
        expect(m.date.getTime()).toBeLessThanOrEqual(NOW.getTime())
        expect(m.date.getTime()).toBeGreaterThan(NOW.getTime() - 7 * 3_600_000)
      }
      const answers = fresh.filter((m) => keys.has(m.threadKey))
      expect(answers.length).toBeGreaterThan(0)
      const byId = new Map(box.messages.map((m) => [m.messageId, m]))
      for (const m of answers) expect(byId.get(m.references.at(-1)!)?.threadKey).toBe(m.threadKey)
    }
  })
})

describe('the demo team mailbox, synced into a CRM', () => {
  let t: TestDatabase
  let emu: GmailEmulator
  let email: EmailIntegration
  let attachmentsDir: string
  let db: Kysely<EmailDatabase>
  let box: TeamMailbox

  beforeAll(async () => {
    box = generateTeamMailbox({ now: NOW, threads: 40, seed: 11 })
    t = await openSqlite()
    db = t.db as unknown as Kysely<EmailDatabase>
    emu = await startGmailEmulator({ seed: 5, quota: Infinity })
    attachmentsDir = mkdtempSync(join(tmpdir(), 'demo-mailbox-attachments-'))
    email = createEmailIntegration({
      db: t.db,
      config: {
        enabled: true,
        serviceAccountKey: emu.serviceAccountKey,
        workspaceDomains: [box.domain],
        apiBaseUrl: emu.url,
        tokenUrl: emu.tokenUrl,
        attachmentsDir,
        backfillDays: 0,
        capture: 'matched',
        quotaCosts: CHEAP,
        rateUnitsSec: 250,
      },
      directory: () => Promise.resolve(box.directory),
    })
    await email.migrate()
  })
  afterAll(async () => {
    await email.close()
    await emu.close()
    await t.close()
    rmSync(attachmentsDir, { recursive: true, force: true })
  })

  async function capturedRows() {
    return db.selectFrom('emails').select(['id', 'message_id', 'thread_id']).execute()
  }

  it('captures every CRM message once, threads them across mailboxes, and links funds, orgs and contacts; fresh mail syncs incrementally', async () => {
    const team = box.team.map((m) => m.address)
    const loaded = loadTeamMailbox(emu, box.messages, team)
    expect(loaded.messages).toBe(box.messages.length)
    for (const address of team) await email.accounts.enroll(address)
    const first = await email.sync.runAll()
    for (const r of first) expect(r).toMatchObject({ kind: 'backfill', status: 'ok', failed: 0 })

    const crm = box.messages.filter((m) => m.category === 'crm')
    const rows = await capturedRows()
    // Exactly the CRM mail, each message once, with a copy per mailbox that holds it.
    expect(rows.map((r) => r.message_id).sort()).toEqual(crm.map((m) => m.messageId).sort())
    const copies = await db.selectFrom('email_copies').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
    expect(Number(copies.n)).toBe(crm.reduce((sum, m) => sum + m.copies.length, 0))

    // One CRM thread per conversation, however many mailboxes hold its messages.
    const threadOf = new Map(rows.map((r) => [r.message_id, r.thread_id]))
    const byKey = new Map<string, GeneratedMessage[]>()
    for (const m of crm) byKey.set(m.threadKey, [...(byKey.get(m.threadKey) ?? []), m])
    const threadIds = new Set<number>()
    for (const [key, messages] of byKey) {
      const ids = new Set(messages.map((m) => threadOf.get(m.messageId)))
      expect(ids.size, key).toBe(1)
      threadIds.add([...ids][0]!)
    }
    expect(threadIds.size).toBe(byKey.size)
    const mailboxesOf = (ms: readonly GeneratedMessage[]) => new Set(ms.flatMap((m) => m.copies.map((c) => c.mailbox))).size
    const [crossKey, crossMessages] = [...byKey].sort(([, a], [, b]) => mailboxesOf(b) - mailboxesOf(a) || b.length - a.length)[0]!
    expect(mailboxesOf(crossMessages)).toBeGreaterThanOrEqual(2)
    const thread = await email.threads.get(threadOf.get(crossMessages[0]!.messageId)!)
    expect(thread.emails.map((e) => e.messageId).sort(), crossKey).toEqual(crossMessages.map((m) => m.messageId).sort())
    expect(new Set(thread.emails.flatMap((e) => e.mailboxes)).size).toBe(mailboxesOf(crossMessages))

    // Attachments of captured mail are stored.
    const attachments = await db.selectFrom('email_attachments').select(['filename', 'status']).execute()
    expect(attachments.length).toBe(crm.reduce((sum, m) => sum + m.attachments.length, 0))
    expect(attachments.length).toBeGreaterThan(0)
    for (const a of attachments) expect(a.status, a.filename).toBe('stored')

    // The identity facet finds funds, organisations and contacts, and filters by them.
    const facet = await email.identities()
    for (const type of ['fund', 'org', 'contact'] as const) {
      const identity = facet.items.find((i) => i.type === type)
      expect(identity, type).toBeDefined()
      const page = await email.threads.list({ identity: identity!.key })
      expect(page.items.length, identity!.key).toBeGreaterThan(0)
    }

    // Fresh mail arrives: an incremental run captures exactly it, answers joining their threads.
    const fresh = generateFreshMail(box, { run: 1, now: NOW, seed: 11 })
    loadTeamMailbox(emu, fresh, team, loaded.state)
    const second = await email.sync.runAll()
    for (const r of second) expect(r).toMatchObject({ kind: 'incremental', status: 'ok', failed: 0 })
    expect(second.reduce((sum, r) => sum + r.captured, 0)).toBe(fresh.reduce((sum, m) => sum + m.copies.length, 0))
    const after = await capturedRows()
    expect(after.map((r) => r.message_id).sort()).toEqual([...crm, ...fresh].map((m) => m.messageId).sort())
    const threadAfter = new Map(after.map((r) => [r.message_id, r.thread_id]))
    const answers = fresh.filter((m) => byKey.has(m.threadKey))
    expect(answers.length).toBeGreaterThan(0)
    for (const m of answers) expect(threadAfter.get(m.messageId)).toBe(threadAfter.get(byKey.get(m.threadKey)![0]!.messageId))
    // In each mailbox, a fresh answer sits in the Gmail thread its conversation already had there.
    const gmailThreads = await db
      .selectFrom('email_copies')
      .innerJoin('emails', 'emails.id', 'email_copies.email_id')
      .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
      .select(['emails.message_id', 'email_accounts.address', 'email_copies.gmail_thread_id'])
      .execute()
    const gmailThread = (messageId: string, mailbox: string) => gmailThreads.find((r) => r.message_id === messageId && r.address === mailbox)?.gmail_thread_id
    let joined = 0
    for (const m of answers) {
      for (const copy of m.copies) {
        const earlier = byKey.get(m.threadKey)!.find((b) => b.copies.some((c) => c.mailbox === copy.mailbox))
        if (earlier === undefined) continue
        expect(gmailThread(m.messageId, copy.mailbox)).toBe(gmailThread(earlier.messageId, copy.mailbox))
        joined += 1
      }
    }
    expect(joined).toBeGreaterThan(0)
  })
})
