import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/errors.js'
import { compileSearchTerms, searchTermsOf, type SearchTerm } from '../../src/capture/match/search-terms.js'
import { buildMatchIndex, type MatchIndexOptions } from '../../src/capture/match/match-index.js'
import { decideCapture, type CaptureDecision } from '../../src/capture/match/policy.js'
import { parseRawMessage } from '../../src/capture/parse/raw.js'
import { QUOTA_COSTS_2026, resolveConfig } from '../../src/config/index.js'
import { createGmailClient } from '../../src/gmail/client.js'
import type { GmailClient } from '../../src/gmail/client-types.js'
import { createDwdCredentials } from '../../src/gmail/credentials/dwd.js'
import { createQuotaLimiter } from '../../src/gmail/quota.js'
import { MAX_QUERY_CHARS, candidateQueries, dayQuery, sizeQueries, windowQuery } from '../../src/gmail/search-query.js'
import type { DirectoryEntry } from '../../src/hooks.js'
import { startGmailEmulator, type GmailEmulator } from '../../src/testing/index.js'
import { buildMessage } from '../helpers/message.js'

const WINDOW = { after: 1_700_000_000 }

function term(key: string, values: string[]): SearchTerm {
  return { key, kind: key.startsWith('domain:') ? 'domain' : 'address', values, identities: ['org:1'] }
}

/** A directory of `size` identities with addresses and domains of varied lengths. */
function directoryOf(size: number): DirectoryEntry[] {
  return Array.from({ length: size }, (_, i) => ({
    type: (['fund', 'org', 'contact'] as const)[i % 3]!,
    id: i,
    name: `Entity ${i}`,
    emails: [`${'p'.repeat(1 + (i % 40))}${i}@entity${i}.example`, ...(i % 5 === 0 ? [`Some.One${i}+crm@gmail.com`] : [])],
    domains: i % 2 === 0 ? [`${i % 7 === 0 ? 'eu.' : ''}entity${i}.example`] : [],
  }))
}

/** The `{ }` group of a query, split back into its operators. */
function operatorsOf(q: string): string[] {
  const match = /^\{(.*)\} (.*)$/.exec(q)
  expect(match, q).not.toBeNull()
  return match![1]!.split(' ')
}

describe('windowQuery, dayQuery and sizeQueries', () => {
  it('writes the window with drafts excluded', () => {
    expect(windowQuery({ after: 1_700_000_000 })).toBe('after:1700000000 -in:drafts')
    expect(windowQuery({ after: null })).toBe('-in:drafts')
    expect(windowQuery({ after: 10, before: 20 })).toBe('after:10 before:20 -in:drafts')
    expect(windowQuery({ after: null, before: null })).toBe('-in:drafts')
  })

  it('refuses a window that is not whole epoch seconds', () => {
    for (const after of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => windowQuery({ after }), String(after)).toThrow(ValidationError)
    }
    expect(() => windowQuery({ after: 1, before: Number.NaN })).toThrow(/window\.before/)
  })

  it('gives one day for the recall guard', () => {
    expect(dayQuery(1_700_006_400)).toBe('after:1700006400 before:1700092800 -in:drafts')
    expect(() => dayQuery(-5)).toThrow(/dayStartEpochS/)
  })

  it('lists the window\'s messages over 1M and over 10M', () => {
    expect(sizeQueries(WINDOW)).toEqual({
      medium: 'after:1700000000 -in:drafts larger:1M',
      large: 'after:1700000000 -in:drafts larger:10M',
    })
  })
})

describe('candidateQueries', () => {
  it('writes each value under from:, to:, cc: and bcc: in one OR group, with the window', () => {
    const queries = candidateQueries([term('addr:dana@acme.vc', ['dana@acme.vc', 'dana+x@acme.vc']), term('domain:globex.example', ['globex.example'])], WINDOW)
    expect(queries).toEqual([
      {
        q:
          '{from:dana@acme.vc to:dana@acme.vc cc:dana@acme.vc bcc:dana@acme.vc ' +
          'from:dana+x@acme.vc to:dana+x@acme.vc cc:dana+x@acme.vc bcc:dana+x@acme.vc ' +
          'from:globex.example to:globex.example cc:globex.example bcc:globex.example} after:1700000000 -in:drafts',
        terms: ['addr:dana@acme.vc', 'domain:globex.example'],
      },
    ])
  })

  it('has no queries without terms', () => {
    expect(candidateQueries([], WINDOW)).toEqual([])
  })

  it.each([MAX_QUERY_CHARS, 600, 300])('chunks 300 identities within %i characters, every term in exactly one chunk, whole', (maxChars) => {
    const terms = searchTermsOf(directoryOf(300), { workspaceDomains: ['ourfund.example'] })
    const queries = candidateQueries(terms, WINDOW, maxChars === MAX_QUERY_CHARS ? undefined : { maxChars })
    expect(queries.length).toBeGreaterThan(1)
    const seen: string[] = []
    for (const query of queries) {
      expect(query.q.length).toBeLessThanOrEqual(maxChars)
      expect(query.q.endsWith('} after:1700000000 -in:drafts')).toBe(true)
      // The group holds exactly the chunk's terms, each value under its four operators, in order.
      const byKey = new Map(terms.map((t) => [t.key, t]))
      const expected = query.terms.flatMap((key) => byKey.get(key)!.values.flatMap((v) => [`from:${v}`, `to:${v}`, `cc:${v}`, `bcc:${v}`]))
      expect(operatorsOf(query.q)).toEqual(expected)
      seen.push(...query.terms)
    }
    expect(seen).toEqual(terms.map((t) => t.key))
  })

  it('fills chunks: no two neighbouring chunks would have fitted in one', () => {
    const terms = searchTermsOf(directoryOf(300), { workspaceDomains: [] })
    const queries = candidateQueries(terms, WINDOW)
    expect(queries.length).toBeGreaterThan(1)
    const byKey = new Map(terms.map((t) => [t.key, t]))
    for (let i = 0; i + 1 < queries.length; i += 1) {
      const next = byKey.get(queries[i + 1]!.terms[0]!)!
      const nextText = next.values.flatMap((v) => [`from:${v}`, `to:${v}`, `cc:${v}`, `bcc:${v}`]).join(' ')
      expect(queries[i]!.q.length + 1 + nextText.length).toBeGreaterThan(MAX_QUERY_CHARS)
    }
  })

  it('refuses, naming it, a single term longer than the limit', () => {
    const long = `${'a'.repeat(60)}@${'b'.repeat(60)}.example`
    const terms = [term('addr:ok@acme.vc', ['ok@acme.vc']), term(`addr:${long}`, [long, long.replace('@', '+x@')])]
    expect(() => candidateQueries(terms, WINDOW, { maxChars: 600 })).toThrow(ValidationError)
    expect(() => candidateQueries(terms, WINDOW, { maxChars: 600 })).toThrow(
      new RegExp(`^search term addr:${long}: its query takes \\d+ characters, more than the limit of 600`),
    )
    expect(candidateQueries(terms, WINDOW, { maxChars: 2000 })).toHaveLength(1)
  })

  it('refuses a limit that is not a positive whole number', () => {
    for (const maxChars of [0, -1, Number.NaN, 10.5]) {
      expect(() => candidateQueries([term('domain:acme.vc', ['acme.vc'])], WINDOW, { maxChars }), String(maxChars)).toThrow(/maxChars/)
    }
  })
})

/** A small seeded generator (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('candidate queries over a real mailbox (Gmail emulator)', () => {
  const MAILBOX = 'ann@ourfund.example'
  const OPTIONS: MatchIndexOptions = { workspaceDomains: ['ourfund.example'], blocklist: { addresses: [], domains: ['blocked.example'] } }
  const AFTER = Date.UTC(2026, 0, 1) / 1000
  const IDENTITIES = 300
  const MESSAGES = 900

  /** Funds and orgs by domain (some with a subdomain listed too), contacts by exact address (Gmail ones dotted and tagged). */
  const directory: DirectoryEntry[] = Array.from({ length: IDENTITIES }, (_, i) => {
    if (i % 3 === 0) return { type: 'fund', id: i, name: `Fund ${i}`, domains: [`fund${i}.example`, ...(i % 9 === 0 ? [`eu.fund${i}.example`, 'yahoo.com'] : [])] }
    if (i % 3 === 1) return { type: 'org', id: i, name: `Org ${i}`, domains: [`org${i}.example`], emails: [`ceo${i}@org${i}.example`, `ops@ourfund.example`] }
    const email = [`First.Last${i}+crm@gmail.com`, `p${i}@consult${i}.example`, `c${i}@hotmail.com`][i % 9 === 2 ? 0 : i % 9 === 5 ? 1 : 2]!
    return { type: 'contact', id: i, name: `Contact ${i}`, emails: [email] }
  })

  /** Addresses the directory links: as listed, by match key, upper-cased, at a domain and at a subdomain. */
  function crmAddress(random: () => number): string {
    const i = Math.floor(random() * IDENTITIES)
    const variant = Math.floor(random() * 3)
    if (i % 3 === 0) return [`gp@fund${i}.example`, `x@mail.fund${i}.example`, `GP@Fund${i}.Example`][variant]!
    if (i % 3 === 1) return [`ceo${i}@org${i}.example`, `sales@eu.org${i}.example`, `CEO${i}@ORG${i}.example`][variant]!
    if (i % 9 === 2) return [`First.Last${i}+crm@gmail.com`, `firstlast${i}@gmail.com`, `FIRST.LAST${i}+CRM@GMAIL.COM`][variant]!
    return i % 9 === 5 ? `p${i}@consult${i}.example` : `c${i}@hotmail.com`
  }

  /** Addresses it does not: strangers, free mail, look-alike domains, teammates, a blocked domain. */
  function otherAddress(random: () => number): string {
    const k = Math.floor(random() * 1000)
    return [`someone${k}@elsewhere${k % 40}.example`, `someone${k}@gmail.com`, `x${k}@yahoo.com`, `gp@notfund${k % 300}.example`,
      `gp@fund${k % 300}.example.evil.example`, `t${k % 5}@ourfund.example`, `t${k % 5}@eu.ourfund.example`, `ads${k}@blocked.example`][k % 8]!
  }

  let emu: GmailEmulator
  let gmail: GmailClient
  /** Gmail id -> the decision the local matcher takes on it in matched mode. */
  const decisions = new Map<string, CaptureDecision>()
  const counts = { crm: 0, hiddenLinkOnly: 0, blocked: 0, draftSpamTrash: 0, beforeWindow: 0 }

  beforeAll(async () => {
    emu = await startGmailEmulator({ seed: 41, quota: Infinity, maxInFlight: Infinity })
    const { serviceAccount } = resolveConfig({ serviceAccountKey: emu.serviceAccountKey, enabled: true, workspaceDomains: ['ourfund.example'] })
    gmail = createGmailClient({
      baseUrl: emu.url, mailbox: MAILBOX, credentials: createDwdCredentials({ serviceAccount: serviceAccount!, tokenUrl: emu.tokenUrl }),
      limiter: createQuotaLimiter({ rateUnitsSec: 100_000_000 }), costs: QUOTA_COSTS_2026, retryMax: 2, backoff: { minDelayMs: 1, maxDelayMs: 5 },
    })
    const index = buildMatchIndex(directory, OPTIONS)
    const random = seeded(13)
    const pick = (n: number, crmChance: number): string[] =>
      Array.from({ length: n }, () => (random() < crmChance ? crmAddress(random) : otherAddress(random)))
    for (let n = 0; n < MESSAGES; n += 1) {
      const [from] = pick(1, 0.15)
      const to = pick(1 + Math.floor(random() * 3), 0.1)
      const cc = random() < 0.4 ? { cc: pick(1 + Math.floor(random() * 2), 0.15) } : {}
      const bcc = random() < 0.15 ? { bcc: pick(1, 0.3) } : {}
      const replyTo = random() < 0.15 ? { replyTo: pick(1, 0.8).join(', ') } : {}
      const sender = random() < 0.1 ? [`Sender: ${pick(1, 0.8).join(', ')}`] : []
      const date = new Date((AFTER - 30 * 86_400 + Math.floor(random() * 180 * 86_400)) * 1000)
      const raw = buildMessage({ from: from!, to, ...cc, ...bcc, ...replyTo, headers: sender, subject: `Message ${n}`, date, messageId: `m${n}@mail.example`, text: `Body ${n}` })
      const roll = random()
      const labelIds = roll < 0.03 ? ['DRAFT'] : roll < 0.06 ? ['SPAM'] : roll < 0.09 ? ['TRASH'] : ['INBOX']
      const { id } = emu.addMessage(MAILBOX, raw, { labelIds })
      const parsed = await parseRawMessage(raw)
      if (!parsed.ok) throw new Error(parsed.reason)
      const match = index.matchHeaders(parsed.value)
      const inWindow = date.getTime() >= AFTER * 1000
      const decision: CaptureDecision = inWindow ? decideCapture({ labelIds, match, config: { capture: 'matched' } }) : { capture: false, reason: 'unmatched' }
      decisions.set(id, decision)
      if (decision.capture) counts.crm += 1
      else if (!inWindow) counts.beforeWindow += 1
      else if (decision.reason === 'blocked') counts.blocked += 1
      else if (decision.reason !== 'unmatched' && decision.reason !== 'internal') counts.draftSpamTrash += 1
      if (inWindow && match.links.length > 0 && !match.visibleToSearch) counts.hiddenLinkOnly += 1
    }
  })

  afterAll(async () => {
    await emu.close()
  })

  it(`lists through ${IDENTITIES} identities' queries exactly the mail the local matcher calls CRM mail`, async () => {
    const { terms, warnings } = compileSearchTerms(directory, OPTIONS)
    expect(warnings).toEqual([])
    const queries = candidateQueries(terms, { after: AFTER })
    expect(queries.length).toBeGreaterThan(10)
    const listed = new Set<string>()
    for (const query of queries) {
      for await (const page of gmail.listMessagePages({ q: query.q, maxResults: 500 })) {
        for (const ref of page.messages ?? []) listed.add(ref.id)
      }
    }
    const crm = [...decisions].filter(([, d]) => d.capture).map(([id]) => id)
    // A listed message the matcher does not keep can only be one with a blocked participant.
    const falsePositives = [...listed].filter((id) => decisions.get(id)?.capture !== true)
    expect(falsePositives.map((id) => decisions.get(id))).toEqual(falsePositives.map(() => ({ capture: false, reason: 'blocked' })))
    expect([...listed].filter((id) => decisions.get(id)?.capture === true).sort()).toEqual(crm.sort())
    // The mailbox exercised every case: CRM mail, links only from Sender or Reply-To, blocked, drafts, spam, trash, old mail.
    expect(counts.crm).toBeGreaterThan(100)
    expect(counts.hiddenLinkOnly).toBeGreaterThan(5)
    expect(counts.blocked).toBeGreaterThan(0)
    expect(counts.draftSpamTrash).toBeGreaterThan(10)
    expect(counts.beforeWindow).toBeGreaterThan(50)
  })
})
