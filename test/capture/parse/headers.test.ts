import { describe, expect, it } from 'vitest'
import type { ParsedEmail } from '../../../src/capture/parse/parsed-email.js'
import { parseAddressList, parseMailbox } from '../../../src/capture/parse/addresses.js'
import { internalDateToIso, parseDateHeader } from '../../../src/capture/parse/date.js'
import { fingerprintOf, makeAttachment, parseFailure, syntheticMessageId } from '../../../src/capture/parse/assemble.js'
import { normalizeHeaders, unfoldHeaderValue } from '../../../src/capture/parse/headers.js'
import { parseMessageId, parseMessageIdList } from '../../../src/capture/parse/ids.js'
import { MAX_REFERENCES } from '../../../src/capture/parse/limits.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { canonicalText, decodeCharset, decodeFlowed, repairC1, snippetOf } from '../../../src/capture/parse/text.js'

describe('parseDateHeader', () => {
  const cases: [string, string | null][] = [
    ['Tue, 1 Jul 2003 10:52:37 +0200', '2003-07-01T08:52:37.000Z'],
    ['Tue, 01 Jul 2003 10:52:37 +0200 (CEST)', '2003-07-01T08:52:37.000Z'],
    ['1 Jul 2003 10:52:37 -0000', '2003-07-01T10:52:37.000Z'],
    ['Tue,  1 Jul 2003 10:52 +0200', '2003-07-01T08:52:00.000Z'],
    ['Tue, 1 Jul 03 10:52:37 GMT', '2003-07-01T10:52:37.000Z'],
    ['Thu, 1 Jan 98 00:00:00 UT', '1998-01-01T00:00:00.000Z'],
    ['Tue, 1 Jul 2003 10:52:37 PDT', '2003-07-01T17:52:37.000Z'],
    ['Tue, 1 Jul 2003 10:52:37 CEST', '2003-07-01T08:52:37.000Z'],
    ['Tue, 1 Jul 2003 10:52:37 +0200 CEST', '2003-07-01T08:52:37.000Z'],
    ['Tue, 1 Jul 2003 10:52:37 GMT+0200', '2003-07-01T08:52:37.000Z'],
    ['Tue, 1 Jul 2003 10:52:37 +02:00', '2003-07-01T08:52:37.000Z'],
    ['Tue, 1 Jul 2003 10:52:37', '2003-07-01T10:52:37.000Z'],
    ['Tuesday, 1 July 2003 10.52.37 +0200', '2003-07-01T08:52:37.000Z'],
    ['1-Jul-2003 10:52:37 +0200', '2003-07-01T08:52:37.000Z'],
    ['Jul 1, 2003 10:52:37 +0200', '2003-07-01T08:52:37.000Z'],
    ['Tue Jul  1 10:52:37 2003', '2003-07-01T10:52:37.000Z'],
    ['Tue Jul  1 10:52:37 +0200 2003', '2003-07-01T08:52:37.000Z'],
    ['2003-07-01T10:52:37Z', '2003-07-01T10:52:37.000Z'],
    ['2003-07-01 10:52:37.250 +05:30', '2003-07-01T05:22:37.000Z'],
    ['2003-07-01', '2003-07-01T00:00:00.000Z'],
    ['Wed, 31 Dec 2003 23:30:00 -0100', '2004-01-01T00:30:00.000Z'],
    ['Fri, 31 Dec 2004 23:59:60 +0000', '2004-12-31T23:59:59.000Z'],
    ['sometime last week', null],
    ['', null],
    ['Tue, 31 Feb 2003 10:00:00 +0000', null],
    ['Tue, 1 Jul 2003 25:00:00 +0000', null],
    ['Tue, 1 Jul 2003 10:00:00 +9999', null],
    ['Tue, 1 Foo 2003 10:00:00 +0000', null],
    ['Tue, 1 Jul 12003 10:00:00 +0000', null],
    [`Tue, 1 Jul 2003 10:00:00 ${'('.repeat(300)}`, null],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.slice(0, 50))} -> ${expected}`, () => {
      expect(parseDateHeader(input)).toBe(expected)
    })
  }

  it('reads internalDate milliseconds', () => {
    expect(internalDateToIso('1057049557000')).toBe('2003-07-01T08:52:37.000Z')
    expect(internalDateToIso('abc')).toBeNull()
    expect(internalDateToIso('')).toBeNull()
    expect(internalDateToIso(null)).toBeNull()
    expect(internalDateToIso('999999999999999')).toBeNull()
  })
})

describe('Message-IDs', () => {
  it('strips brackets and keeps the exact text between them', () => {
    expect(parseMessageId('<CAHx+5kQ=z@mail.gmail.com>')).toBe('CAHx+5kQ=z@mail.gmail.com')
    expect(parseMessageId('  < spaced@x >  ')).toBe('spaced@x')
    expect(parseMessageId('bare@x.example')).toBe('bare@x.example')
    expect(parseMessageId('<first@x> <second@x>')).toBe('first@x')
    expect(parseMessageId('<>')).toBeNull()
    expect(parseMessageId('')).toBeNull()
    expect(parseMessageId('your message of Monday')).toBeNull()
    expect(parseMessageId(`<${'a'.repeat(1000)}@x>`)).toBeNull()
  })

  it('reads lists with folding, garbage and duplicates, and caps them keeping the root', () => {
    expect(parseMessageIdList(unfoldHeaderValue('<a@x>\r\n\t<b@x>,<c@x>junk<d@x> <a@x> <e@x'))).toEqual(['a@x', 'b@x', 'c@x', 'd@x'])
    expect(parseMessageIdList('a@x b@x, nothing')).toEqual(['a@x', 'b@x'])
    const many = Array.from({ length: MAX_REFERENCES + 100 }, (_, i) => `<id${i}@x>`).join(' ')
    const capped = parseMessageIdList(many)
    expect(capped).toHaveLength(MAX_REFERENCES)
    expect(capped[0]).toBe('id0@x')
    expect(capped.at(-1)).toBe(`id${MAX_REFERENCES + 99}@x`)
  })
})

describe('addresses', () => {
  it('decodes names, lower-cases and validates addresses, flattens groups', () => {
    expect(parseAddressList(['=?UTF-8?Q?J=C3=B6rg?= <Joerg@Fund.Example>, broken@, Team: b@x.example, c@x.example;'])).toEqual([
      { address: 'joerg@fund.example', name: 'Jörg' },
      { address: 'b@x.example', name: null },
      { address: 'c@x.example', name: null },
    ])
    expect(parseAddressList(['"ann@fund.example" <ann@fund.example>'])).toEqual([{ address: 'ann@fund.example', name: null }])
    expect(parseAddressList(['<>', '', 'x', '@@', '"unterminated <a@b'])).toEqual([])
  })

  it('takes the first valid From mailbox', () => {
    expect(parseMailbox('bogus, Ann <ann@fund.example>')).toEqual({ address: 'ann@fund.example', name: 'Ann' })
    expect(parseMailbox('')).toBeNull()
    expect(parseMailbox(undefined)).toBeNull()
  })
})

describe('normalizeHeaders', () => {
  it('lets the first of a duplicated single header win and concatenates address headers', () => {
    const h = normalizeHeaders([
      { key: 'subject', value: 'first' },
      { key: 'subject', value: 'second' },
      { key: 'to', value: 'a@x.example' },
      { key: 'to', value: 'b@x.example, a@x.example' },
      { key: 'message-id', value: '<m@x>' },
      { key: 'message-id', value: '<n@x>' },
    ])
    expect(h.subject).toBe('first')
    expect(h.messageId).toBe('m@x')
    expect(h.to.map((a) => a.address)).toEqual(['a@x.example', 'b@x.example'])
    expect(normalizeHeaders([]).subject).toBe('')
  })
})

describe('text helpers', () => {
  it('repairs C1 controls into Windows-1252 characters', () => {
    expect(repairC1('\u0093quoted\u0094 \u0080 \u0081')).toBe('“quoted” € \u0081')
    expect(decodeCharset(new Uint8Array([0x93, 0x80]), 'iso-8859-1').length).toBe(2)
  })

  it('decodes format=flowed, keeping the signature separator', () => {
    expect(decodeFlowed('a \nb\n-- \nsig\n', false)).toBe('a b\n-- \nsig\n')
    expect(decodeFlowed('a \nb\n', true)).toBe('ab\n')
  })

  it('canonicalises text and builds snippets of 200 characters', () => {
    expect(canonicalText('a\r\nb\0 \n\n')).toBe('a\nb')
    expect(canonicalText(' \n')).toBeNull()
    expect(snippetOf(`  a \n\t b ${'x'.repeat(500)}`)).toHaveLength(200)
    expect(snippetOf('  a \n\t b ')).toBe('a b')
    expect(snippetOf('😀'.repeat(300))).toBe('😀'.repeat(200))
    expect(snippetOf(null)).toBe('')
  })
})

describe('fingerprint and synthetic ids', () => {
  const base = {
    from: { address: 'ann@fund.example', name: null },
    headerDate: '2003-07-01T08:52:37.000Z',
    subject: 'Hi',
    text: 'body',
  } as unknown as ParsedEmail

  it('is the same for the same From and Date, different otherwise', () => {
    const copy = { ...base, date: 'other internal date', text: 'different rendering' } as ParsedEmail
    expect(fingerprintOf(copy)).toBe(fingerprintOf(base))
    expect(fingerprintOf({ ...base, headerDate: '2003-07-02T08:52:37.000Z' })).not.toBe(fingerprintOf(base))
    expect(fingerprintOf({ ...base, from: { address: 'bob@x.example', name: null } })).not.toBe(fingerprintOf(base))
    expect(fingerprintOf(base)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('uses the subject and text when the Date header is missing', () => {
    const undated = { ...base, headerDate: null }
    expect(fingerprintOf(undated)).toBe(fingerprintOf({ ...undated }))
    expect(fingerprintOf({ ...undated, text: 'other' })).not.toBe(fingerprintOf(undated))
    expect(fingerprintOf({ ...undated, subject: 'other' })).not.toBe(fingerprintOf(undated))
  })

  it('tells apart two messages that share a Message-ID', async () => {
    const message = (date: string): string =>
      `From: a@x.example\r\nTo: b@x.example\r\nDate: ${date}\r\nMessage-ID: <dup@x>\r\nSubject: s\r\n\r\nbody\r\n`
    const one = await parseRawMessage(message('Tue, 1 Jul 2003 10:00:00 +0000'))
    const two = await parseRawMessage(message('Wed, 2 Jul 2003 10:00:00 +0000'))
    if (!one.ok || !two.ok) throw new Error('parse failed')
    expect(one.value.messageId).toBe(two.value.messageId)
    expect(fingerprintOf(one.value)).not.toBe(fingerprintOf(two.value))
  })

  it('builds deterministic synthetic ids from the listed fields', () => {
    const parts = { fromAddress: 'a@x.example', headerDate: null, subject: 's', to: ['b@x.example'], text: 't' }
    expect(syntheticMessageId(parts)).toBe(syntheticMessageId({ ...parts }))
    expect(syntheticMessageId({ ...parts, to: ['c@x.example'] })).not.toBe(syntheticMessageId(parts))
    expect(syntheticMessageId(parts)).toMatch(/^[0-9a-f]{64}@synthetic\.crm-email-integration\.invalid$/)
  })
})

describe('shared clean-ups', () => {
  it('cleans attachment metadata', () => {
    const a = makeAttachment({ filename: 'a\0b\r\n.pdf', mimeType: '', size: 1, contentId: ' <x@y> ', inline: false, content: null })
    expect(a).toMatchObject({ filename: 'ab.pdf', mimeType: 'application/octet-stream', contentId: 'x@y' })
    const long = makeAttachment({ filename: `${'n'.repeat(5000)}.docx`, mimeType: 'x/y', size: 1, contentId: null, inline: false, content: null })
    expect(long.filename).toHaveLength(2048)
    expect(long.filename.endsWith('.docx')).toBe(true)
  })

  it('keeps failure reasons short and free of control characters', () => {
    const failure = parseFailure('mime parse failed', new Error(`bad\n${'x'.repeat(500)}`))
    expect(failure.reason.length).toBeLessThanOrEqual(160)
    expect(failure.reason).not.toMatch(/\n/)
    expect(parseFailure('x', 'not an error').reason).toBe('x: unknown error')
  })
})
