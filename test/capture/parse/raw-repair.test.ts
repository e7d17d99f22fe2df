import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import type { ParsedEmail } from '../../../src/capture/parse/parsed-email.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { repairRawMessage } from '../../../src/capture/parse/raw-repair.js'
import { decodeQuotedPrintable } from '../../../src/capture/parse/transfer.js'
import { loadMailFixture } from '../../helpers/fixtures.js'

/*
 * The repair a raw message gets before postal-mime reads it, in the places the fixture tests do
 * not reach: nested messages, reports, digests, single-part messages, and what it leaves alone.
 */

const HEAD = [
  'From: Dana <dana@acme.vc>',
  'To: ann@fund.example',
  'Subject: Repair',
  'Date: Mon, 1 Jun 2026 10:00:00 +0000',
  'Message-ID: <repair@acme.vc>',
  'MIME-Version: 1.0',
]

const crlf = (...lines: string[]): string => lines.join('\r\n')
const latin1 = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array()).toString('latin1')

async function parse(raw: string): Promise<ParsedEmail> {
  const result = await parseRawMessage(Buffer.from(raw, 'latin1'), {})
  if (!result.ok) throw new Error(result.reason)
  return result.value
}

/** A nested message with both defects: a part header without a blank line, a 7bit attachment. */
const INNER = crlf(
  'From: Gina <gina@startup.example>',
  'Subject: Inner',
  'Date: Mon, 1 Jun 2026 09:00:00 +0000',
  'Content-Type: multipart/mixed; boundary="in"',
  '',
  '--in',
  'Content-Type: text/plain',
  'Inner text line',
  '--in',
  'Content-Type: text/plain; name="notes.txt"',
  'Content-Disposition: attachment; filename="notes.txt"',
  '',
  'a\r\nb\r\n',
  '--in--',
  '',
)

describe('repairRawMessage', () => {
  it('hands back the same bytes when nothing needs repair', () => {
    for (const name of ['nested-multipart.eml', 'koi8-r.eml', 'gmail-sent-bcc.eml', 'html-only-hostile.eml']) {
      const bytes = loadMailFixture(name)
      expect(repairRawMessage(bytes), name).toBe(bytes)
    }
  })

  it('repairs inside a nested message read inline, and keeps a forwarded .eml exactly', async () => {
    const email = await parse(
      crlf(
        ...HEAD,
        'Content-Type: multipart/mixed; boundary="out"',
        '',
        '--out',
        'Content-Type: text/plain',
        '',
        'Outer.',
        '--out',
        'Content-Type: message/rfc822',
        '',
        INNER,
        '--out',
        'Content-Type: message/rfc822',
        'Content-Disposition: attachment; filename="forwarded.eml"',
        '',
        INNER,
        '--out--',
        '',
      ),
    )
    expect(email.text).toMatch(/^Outer\.\n[\s\S]*Subject: Inner[\s\S]*\n\nInner text line$/)
    expect(email.attachments.map((a) => [a.filename, latin1(a.content)])).toEqual([
      ['notes.txt', 'a\r\nb\r\n'],
      ['forwarded.eml', INNER],
    ])
  })

  it('keeps the nested message of a delivery report as an attachment, byte for byte', async () => {
    const email = await parse(
      crlf(
        ...HEAD,
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        '',
        '--r',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--r',
        'Content-Type: message/delivery-status',
        '',
        'Status: 5.1.1',
        '--r',
        'Content-Type: message/rfc822',
        '',
        INNER,
        '--r--',
        '',
      ),
    )
    expect(email.text).toBe('Delivery failed.')
    expect(email.attachments.map((a) => [a.mimeType, latin1(a.content)])).toEqual([
      ['message/delivery-status', 'Status: 5.1.1'],
      ['message/rfc822', INNER],
    ])
  })

  it('reads an untyped part of a multipart/digest as a message, not as text', async () => {
    const email = await parse(
      crlf(...HEAD, 'Content-Type: multipart/digest; boundary="d"', '', '--d', '', INNER, '--d--', ''),
    )
    expect(email.text).toMatch(/Inner text line$/)
    expect(email.attachments.map((a) => [a.filename, latin1(a.content)])).toEqual([['notes.txt', 'a\r\nb\r\n']])
  })

  it('keeps the exact bytes of a single-part message that is itself the file', async () => {
    const file = 'col1,col2\r\n1,2\r\n'
    const email = await parse(crlf(...HEAD, 'Content-Type: text/csv; name="table.csv"', 'Content-Transfer-Encoding: 8bit', '', file))
    expect(email.attachments.map((a) => [a.filename, latin1(a.content)])).toEqual([['table.csv', file]])
  })

  it('keeps reading the header after an mbox separator line', async () => {
    const email = await parse(crlf('From dana@acme.vc Mon Jun  1 10:00:00 2026', ...HEAD, '', 'Hello.', ''))
    expect(email.messageId).toBe('repair@acme.vc')
    expect(email.text).toBe('Hello.')
  })

  it('reads a part with neither header nor blank line as text/plain', async () => {
    const email = await parse(crlf(...HEAD, 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Just text.', '--b--', ''))
    expect(email.text).toBe('Just text.')
  })

  it('tells an inner boundary from an outer one it is the start of', async () => {
    const email = await parse(
      crlf(
        ...HEAD,
        'Content-Type: multipart/mixed; boundary="ab"',
        '',
        '--ab',
        'Content-Type: multipart/mixed; boundary="a"',
        '',
        '--a',
        'Content-Type: text/plain',
        '',
        'Inner.',
        '--a--',
        '--ab',
        'Content-Type: application/octet-stream; name="x.bin"',
        'Content-Disposition: attachment; filename="x.bin"',
        '',
        '--a\r\n--abc\r\nend\r\n',
        '--ab--',
        '',
      ),
    )
    expect(email.text).toBe('Inner.')
    expect(email.attachments.map((a) => latin1(a.content))).toEqual(['--a\r\n--abc\r\nend\r\n'])
  })
})

describe('decodeQuotedPrintable', () => {
  const decode = (text: string): string => latin1(decodeQuotedPrintable(Buffer.from(text, 'latin1')))

  it('keeps invalid escapes as text and accepts lower-case hex', () => {
    expect(decode('a=ZZb=3db=\r\n=')).toBe('a=ZZb=b')
    expect(decode('100=')).toBe('100')
    expect(decode('=4')).toBe('=4')
  })

  it('drops blanks a transport added, also after a soft break, and keeps encoded ones', () => {
    expect(decode('one  \r\ntwo= \t\r\nthree=20\r\n')).toBe('one\r\ntwothree \r\n')
  })

  it('keeps each hard line break as the bytes it was', () => {
    expect(decode('crlf\r\nlf\nend')).toBe('crlf\r\nlf\nend')
  })
})
