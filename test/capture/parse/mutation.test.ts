import { describe, expect, it } from 'vitest'
import { normalizeAddress } from '../../../src/address.js'
import type { GmailMessage, GmailMessagePart } from '../../../src/gmail/types.js'
import type { ParsedEmail, ParseResult } from '../../../src/capture/parse/parsed-email.js'
import { parseFullMessage, parseMetadataHeaders } from '../../../src/capture/parse/full.js'
import { MAX_REASON_LENGTH, SNIPPET_LENGTH } from '../../../src/capture/parse/limits.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { htmlHazards, loadMailFixture, mailFixtureNames, rawToFullMessage } from '../../helpers/fixtures.js'
import { coreMutations, int, pick, seededRandom as random, type Mutation, type Rng } from '../../helpers/mail-mutations.js'

/*
 * A seeded mutation fuzzer (fast-check is not a dependency): every fixture is truncated, has
 * bytes flipped, header lines duplicated or deleted, boundaries corrupted, junk inserted, and
 * the parser must answer every case with a well-formed email or a short reason, never a throw.
 */

const SEED = 0x5eed_2003
const RAW_CASES = 1500
const FULL_CASES = 600

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

const MUTATIONS: Mutation[] = [
  ...coreMutations(30),
  (rng, t) => {
    const at = int(rng, t.length + 1)
    return t.slice(0, at) + t.slice(int(rng, t.length), int(rng, t.length)) + t.slice(at)
  },
]

function checkEmail(email: ParsedEmail, label: string): void {
  expect(email.messageId.length, label).toBeGreaterThan(0)
  expect(new Date(email.date).toISOString(), label).toBe(email.date)
  for (const a of [email.from, email.sender, ...email.to, ...email.cc, ...email.bcc, ...email.replyTo]) {
    if (a !== null) expect(normalizeAddress(a.address), label).toBe(a.address)
  }
  expect(Array.from(email.snippet).length, label).toBeLessThanOrEqual(SNIPPET_LENGTH)
  const strings = [email.subject, email.text ?? '', email.html ?? '', ...email.references, ...email.attachments.map((a) => a.filename)]
  for (const s of strings) expect(s.includes('\0'), label).toBe(false)
  expect(htmlHazards(email.html ?? ''), label).toEqual([])
  for (const a of email.attachments) if (a.content !== null) expect(a.size, label).toBe(a.content.byteLength)
}

function checkResult(result: ParseResult<ParsedEmail>, label: string): void {
  if (result.ok) checkEmail(result.value, label)
  else {
    expect(result.reason.length, label).toBeGreaterThan(0)
    expect(result.reason.length, label).toBeLessThanOrEqual(MAX_REASON_LENGTH)
  }
}

/** Random damage to a Gmail part tree: missing fields, garbage types, bad data, odd nesting. */
function mutateTree(rng: Rng, part: GmailMessagePart, depth = 0): GmailMessagePart {
  const roll = int(rng, 12)
  const parts = part.parts?.map((p) => mutateTree(rng, p, depth + 1))
  const base: GmailMessagePart = { ...part, ...(parts === undefined ? {} : { parts }) }
  if (roll === 0) return { ...base, headers: [] }
  if (roll === 1) return { ...base, mimeType: pick(rng, ['', 'multipart/', 'text/html', 'message/rfc822', 'x/y;;']) }
  if (roll === 2) return { ...base, body: { size: -1, data: '!!!*&^%' } }
  if (roll === 3) return { ...base, body: { size: 5 } }
  if (roll === 4 && depth > 0) return { ...base, headers: [{ name: 'Content-Type', value: pick(rng, ['text/plain; charset=bogus', 'text/html; charset="', 'multipart/alternative', 'text/plain; format=flowed; delsp=yes']) }] }
  if (roll === 5) return { ...base, filename: '\0../\u202e' }
  if (roll === 6) return { mimeType: 'multipart/mixed', parts: [base, base] }
  return base
}

describe('seeded mutation fuzzing', () => {
  const fixtures = mailFixtureNames().map((name) => ({ name, text: latin1(loadMailFixture(name)) }))

  it(`parseRawMessage answers ${RAW_CASES} mutated messages without throwing`, async () => {
    const rng = random(SEED)
    let ok = 0
    for (let i = 0; i < RAW_CASES; i++) {
      const fixture = pick(rng, fixtures)
      let text = fixture.text
      for (let m = 0, n = 1 + int(rng, 3); m < n; m++) text = pick(rng, MUTATIONS)(rng, text)
      const label = `case ${i} (${fixture.name})`
      const internalDate = int(rng, 4) === 0 ? undefined : '1057049557000'
      const result = await parseRawMessage(bytesOf(text), internalDate === undefined ? {} : { internalDate })
      checkResult(result, label)
      if (result.ok) ok++
    }
    // Most damage still leaves a readable message; the rest must have said why.
    expect(ok).toBeGreaterThan(RAW_CASES / 2)
  }, 30_000)

  it(`parseFullMessage and parseMetadataHeaders answer ${FULL_CASES} damaged part trees without throwing`, () => {
    const rng = random(SEED + 1)
    const trees = fixtures.map((f) => rawToFullMessage(bytesOf(f.text), { internalDate: '1057049557000' }))
    for (let i = 0; i < FULL_CASES; i++) {
      const tree = pick(rng, trees)
      const payload = tree.payload === undefined ? undefined : mutateTree(rng, tree.payload)
      const message: GmailMessage = { ...tree, ...(payload === undefined ? {} : { payload }) }
      checkResult(parseFullMessage(message), `full case ${i}`)
      const headers = parseMetadataHeaders(message)
      expect(headers.ok || headers.reason.length > 0).toBe(true)
    }
  })
})
