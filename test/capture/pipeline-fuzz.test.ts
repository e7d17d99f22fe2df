import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ParsedEmail } from '../../src/capture/parse/parsed-email.js'
import { parseRawMessage } from '../../src/capture/parse/raw.js'
import {
  captureSnapshot,
  expectedParticipants,
  integrityProblems,
  startCaptureSetup,
  storedParticipants,
  type CaptureSetup,
  type MailboxRun,
} from '../helpers/capture-setup.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { loadMailFixture, mailFixtureNames } from '../helpers/fixtures.js'
import { coreMutations, int, pick, seededRandom as random, type Mutation } from '../helpers/mail-mutations.js'
import { ANN, BOB } from '../helpers/team.js'

/*
 * A seeded mutation test of the whole pipeline: corpus messages are truncated, have bytes
 * flipped, header lines deleted or duplicated, boundaries broken and huge headers injected,
 * then go through the emulator, prepare and commit in pages. Nothing may throw, every input
 * must end stored, skipped or failed (exactly one), and the database must never hold a partial
 * message.
 */

const SEED = 0x0c4_9e11
const CASES = 1000
/** Share of the cases that a second mailbox also holds, so copies are recognised from headers. */
const SHARED = 0.3

/** The end of the header block, or the whole text when there is none. */
const headerEnd = (t: string): number => {
  const at = t.search(/\r?\n\r?\n/)
  return at < 0 ? t.length : at
}

/** Each takes and returns the message as latin1 text (one char per byte). */
const MUTATIONS: readonly Mutation[] = [
  ...coreMutations(20),
  // a huge header line
  (rng, t) => {
    const at = headerEnd(t)
    const value = pick(rng, ['a', 'x ', '=?UTF-8?B?QUJD?= ', '<id@x> ']).repeat(2_000 + int(rng, 14_000))
    return `${t.slice(0, at)}\r\n${pick(rng, ['X-Junk', 'Subject', 'References', 'Message-ID'])}: ${value}${t.slice(at)}`
  },
  // a huge recipient list, at a matched domain
  (rng, t) => {
    const at = headerEnd(t)
    const list = Array.from({ length: 100 + int(rng, 1400) }, (_, i) => `"R ${i}" <r${i}@globex.example>`).join(',\r\n ')
    return `${t.slice(0, at)}\r\n${pick(rng, ['To', 'Cc', 'Bcc', 'Reply-To'])}: ${list}${t.slice(at)}`
  },
  // many header lines
  (rng, t) => {
    const at = headerEnd(t)
    return `${t.slice(0, at)}${'\r\nX-Many: v'.repeat(200 + int(rng, 1800))}${t.slice(at)}`
  },
  // rewrite an identity header: shared ids, missing dates, odd participants
  (rng, t) => {
    const replacements = [
      ['Message-ID', pick(rng, ['<shared@acme.vc>', '', '<>', 'no brackets', '<a@b> <c@d>'])],
      ['Date', pick(rng, ['', 'yesterday', 'Mon, 01 Jun 2026 09:00:00 +0000', 'Fri, 31 Dec 9999 23:59:59 +1400'])],
      ['From', pick(rng, ['dana@acme.vc', '', 'spammy@acme.vc', '=?UTF-8?Q?dana=40acme.vc?= <x@y.example>', 'a@fund.example'])],
      ['In-Reply-To', pick(rng, ['<shared@acme.vc>', '<m1@acme.vc>', '<'])],
    ] as const
    const [name, value] = pick(rng, replacements)
    const lines = t.split('\n')
    const index = lines.findIndex((l, i) => i < 40 && l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    if (index >= 0) lines[index] = `${name}: ${value}\r`
    else lines.unshift(`${name}: ${value}\r`)
    return lines.join('\n')
  },
]

const fixtures = mailFixtureNames().map((name) => Buffer.from(loadMailFixture(name)).toString('latin1'))

interface Case {
  readonly bytes: Buffer
  readonly labels: readonly string[]
  readonly shared: boolean
}

function makeCases(): Case[] {
  const rng = random(SEED)
  const cases: Case[] = []
  for (let i = 0; i < CASES; i++) {
    let text = pick(rng, fixtures)
    for (let n = 1 + int(rng, 3); n > 0; n--) text = pick(rng, MUTATIONS)(rng, text)
    const labelDraw = rng()
    const labels = labelDraw < 0.04 ? ['SPAM'] : labelDraw < 0.08 ? ['TRASH'] : labelDraw < 0.12 ? ['DRAFT'] : labelDraw < 0.3 ? ['SENT'] : ['INBOX']
    cases.push({ bytes: Buffer.from(text, 'latin1'), labels, shared: rng() < SHARED })
  }
  return cases
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Whether the header block of a message is valid UTF-8 (plain ASCII included). */
function utf8Headers(bytes: Buffer | undefined): boolean {
  if (bytes === undefined) return false
  const text = bytes.toString('latin1')
  try {
    strictUtf8.decode(bytes.subarray(0, headerEnd(text)))
    return true
  } catch {
    return false
  }
}

/** Each listed id in exactly one outcome: stored (a copy row), skipped or failed; throws on two. */
async function outcomes(s: CaptureSetup, address: string, run: MailboxRun): Promise<Map<string, string>> {
  const copies = await s.db.selectFrom('email_copies').select('gmail_id').where('account_id', '=', s.account(address).id).execute()
  const result = new Map<string, string>()
  const record = (id: string, outcome: string): void => {
    const earlier = result.get(id)
    if (earlier !== undefined) throw new Error(`${address} ${id}: both ${earlier} and ${outcome}`)
    result.set(id, outcome)
  }
  for (const c of copies) record(c.gmail_id, 'stored')
  for (const sk of run.skipped) record(sk.gmailId, `skipped:${sk.reason}`)
  for (const f of run.failed) record(f.gmailId, f.reason.trim() === '' ? 'failed without a reason' : 'failed')
  return result
}

/** One run of every case through the pipeline, shared by the property checks below. */
interface FuzzRun {
  readonly s: CaptureSetup
  readonly cases: readonly Case[]
  readonly byGmailId: ReadonlyMap<string, { readonly case: Case; readonly index: number }>
  /** [Ann's Gmail id, Bob's Gmail id] of the cases both hold. */
  readonly sharedPairs: readonly (readonly [string, string])[]
  readonly annRun: MailboxRun
  readonly bobRun: MailboxRun
  /** Content downloads of the first pass. */
  readonly downloads: Readonly<Record<string, number>>
  /** The raw parse of a case's bytes, as the oracle of what was stored. */
  readonly parseOf: (gmailId: string, internalDate: string | null) => Promise<ParsedEmail | null>
}

async function runCases(open: () => Promise<TestDatabase>): Promise<FuzzRun> {
  const s = await startCaptureSetup(open, { config: { capture: 'all' } })
  try {
    const cases = makeCases()
    const byGmailId = new Map<string, { case: Case; index: number }>()
    const sharedPairs: [string, string][] = []
    for (const [index, c] of cases.entries()) {
      const ann = s.emu.addMessage(ANN, c.bytes, { labelIds: c.labels }).id
      byGmailId.set(ann, { case: c, index })
      if (c.shared) {
        const bob = s.emu.addMessage(BOB, c.bytes, { labelIds: ['INBOX'] }).id
        byGmailId.set(bob, { case: c, index })
        sharedPairs.push([ann, bob])
      }
    }
    s.emu.stats.reset()
    // Pages of 300: six batch requests of metadata each, then the content in batches.
    const annRun = await s.captureMailbox(ANN, { pageSize: 300 })
    const bobRun = await s.captureMailbox(BOB, { pageSize: 300 })
    const parsed = new Map<string, ParsedEmail | null>()
    return {
      s,
      cases,
      byGmailId,
      sharedPairs,
      annRun,
      bobRun,
      downloads: s.emu.stats.downloads,
      parseOf: async (gmailId, internalDate) => {
        const cached = parsed.get(gmailId)
        if (cached !== undefined) return cached
        const bytes = byGmailId.get(gmailId)?.case.bytes
        if (bytes === undefined) return null
        const result = await parseRawMessage(new Uint8Array(bytes), { internalDate: internalDate === null ? null : String(Date.parse(internalDate)) })
        const value = result.ok ? result.value : null
        parsed.set(gmailId, value)
        return value
      },
    }
  } catch (error) {
    await s.close()
    throw error
  }
}

describeEachDialect(`the capture pipeline under ${CASES} seeded mutated messages`, (open) => {
  let run: FuzzRun | undefined
  const fuzz = (): FuzzRun => {
    if (run === undefined) throw new Error('the pipeline run failed (see the hook error)')
    return run
  }
  // Every case goes through emulator -> prepare -> commit once; a throw fails the hook.
  beforeAll(async () => {
    run = await runCases(open)
  }, 120_000)
  afterAll(async () => {
    await run?.s.close()
  })

  it('ends every input stored, skipped or failed with a reason: exactly one of them', async () => {
    const { s, cases, sharedPairs, annRun, bobRun, byGmailId } = fuzz()
    expect(annRun.listed).toHaveLength(cases.length)
    expect(bobRun.listed).toHaveLength(sharedPairs.length)
    const annOutcomes = await outcomes(s, ANN, annRun)
    const bobOutcomes = await outcomes(s, BOB, bobRun)
    expect([...annOutcomes.keys()].sort()).toEqual([...annRun.listed].sort())
    expect([...bobOutcomes.keys()].sort()).toEqual([...bobRun.listed].sort())
    for (const [id, outcome] of [...annOutcomes, ...bobOutcomes]) {
      const labels = annOutcomes.has(id) ? (byGmailId.get(id)?.case.labels ?? []) : ['INBOX']
      if (labels.includes('SPAM')) expect(outcome, id).toBe('skipped:spam')
      else if (labels.includes('TRASH')) expect(outcome, id).toBe('skipped:trash')
      else if (labels.includes('DRAFT')) expect(outcome, id).toBe('skipped:draft')
      else expect(['stored', 'failed', 'skipped:blocked'], id).toContain(outcome)
    }
    // Most mutated mail is still mail: the run exercised the writes, not only the failures.
    expect([...annOutcomes.values()].filter((o) => o === 'stored').length).toBeGreaterThan(cases.length / 2)
  })

  it('leaves no partial message: every row complete and consistent', async () => {
    const { s } = fuzz()
    // Mutations of one fixture that keep its Message-ID, From and Date are one email by the
    // dedup rule, with copies whose headers differ: links are checked against all of them below.
    expect(await integrityProblems(s.db, s.blobs, { linksThroughParticipants: false })).toEqual([])
  })

  it('writes each email whole, from one of the messages it is a copy of', async () => {
    const { s, parseOf } = fuzz()
    const emails = await s.db.selectFrom('emails').select(['id', 'message_id', 'subject']).execute()
    const copies = await s.db.selectFrom('email_copies').select(['email_id', 'gmail_id', 'internal_date']).execute()
    const attachmentCounts = new Map<number, number>()
    for (const a of await s.db.selectFrom('email_attachments').select('email_id').execute()) attachmentCounts.set(a.email_id, (attachmentCounts.get(a.email_id) ?? 0) + 1)
    const unmatched: string[] = []
    // Bcc is the one exception: a copy adds the Bcc addresses the email lacks (only the
    // sender's copy shows them), so the stored Bcc holds the source's Bcc and maybe more.
    const notBcc = <T extends { role: string }>(rows: T[]) => rows.filter((r) => r.role !== 'bcc')
    const bccOf = (rows: { role: string; address: string }[]) => rows.filter((r) => r.role === 'bcc').map((r) => r.address)
    for (const email of emails) {
      const stored = await storedParticipants(s.db, email.id)
      const participants = JSON.stringify(notBcc(stored))
      const storedBcc = new Set(bccOf(stored))
      let matched = false
      for (const copy of copies.filter((c) => c.email_id === email.id)) {
        const source = await parseOf(copy.gmail_id, copy.internal_date)
        if (
          source !== null &&
          source.messageId === email.message_id &&
          source.subject === email.subject &&
          JSON.stringify(notBcc(expectedParticipants(source))) === participants &&
          bccOf(expectedParticipants(source)).every((a) => storedBcc.has(a)) &&
          source.attachments.length === (attachmentCounts.get(email.id) ?? 0)
        ) {
          matched = true
          break
        }
      }
      if (!matched) unmatched.push(`email ${email.id} <${email.message_id}>`)
    }
    expect(unmatched).toEqual([])
  })

  it('recognises a message another mailbox stored from its headers alone, without downloading it', async () => {
    // Whenever the headers decide the identity (a Message-ID and a readable Date). Header bytes
    // that are not UTF-8 are left out: the emulator reads them as latin1 in metadata while
    // postal-mime reads them as UTF-8, so the two readings of the Message-ID differ.
    const { s, sharedPairs, byGmailId, downloads, parseOf } = fuzz()
    const stored = new Set((await s.db.selectFrom('email_copies').select('gmail_id').execute()).map((c) => c.gmail_id))
    const downloadedAgain: string[] = []
    for (const [annId, bobId] of sharedPairs) {
      if (!stored.has(annId) || !utf8Headers(byGmailId.get(annId)?.case.bytes)) continue
      const source = await parseOf(annId, null)
      if (source === null || source.messageIdSynthetic || source.headerDate === null) continue
      if (!stored.has(bobId) || (downloads[bobId] ?? 0) > 0) downloadedAgain.push(`case ${byGmailId.get(bobId)?.index}`)
    }
    expect(downloadedAgain).toEqual([])
  })

  it('changes nothing on a second pass, and downloads only what failed', async () => {
    const { s, annRun } = fuzz()
    const before = await captureSnapshot(s.db)
    s.emu.stats.reset()
    const again = await s.captureMailbox(ANN, { pageSize: 300 })
    // Failed messages are tried again (the sync parks them) and fail the same way.
    const failedBefore = new Set(annRun.failed.map((f) => f.gmailId))
    expect(again.captured).toBe(0)
    expect(new Set(again.failed.map((f) => f.gmailId))).toEqual(failedBefore)
    expect(Object.keys(s.emu.stats.downloads).filter((id) => !failedBefore.has(id))).toEqual([])
    expect(await captureSnapshot(s.db)).toEqual(before)
  })

  it('links an email only through addresses its copies name as participants', async () => {
    // The links come from Gmail's reading of the headers (metadata), the participants from the
    // content's (postal-mime); where the two readings disagree the links point past them.
    const { s, parseOf } = fuzz()
    const copies = await s.db.selectFrom('email_copies').select(['email_id', 'gmail_id', 'internal_date']).execute()
    const namedBy = new Map<number, Set<string>>()
    for (const copy of copies) {
      const source = await parseOf(copy.gmail_id, copy.internal_date)
      const named = namedBy.get(copy.email_id) ?? new Set<string>()
      for (const p of source === null ? [] : expectedParticipants(source)) named.add(p.address)
      namedBy.set(copy.email_id, named)
    }
    const strangers = new Map<number, string[]>()
    for (const l of await s.db.selectFrom('email_identity_links').select(['email_id', 'identity_key', 'address']).execute()) {
      if (namedBy.get(l.email_id)?.has(l.address) !== true) strangers.set(l.email_id, [...(strangers.get(l.email_id) ?? []), `${l.identity_key} through ${l.address}`])
    }
    expect([...strangers].map(([id, list]) => `email ${id}: ${list.length} links through non-participants, e.g. ${list.slice(0, 2).join(', ')}`)).toEqual([])
  })
})
