import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import type { GmailMessage, GmailMessagePart } from '../../../src/gmail/types.js'
import type { ParsedEmail } from '../../../src/capture/parse/parsed-email.js'
import { parseFullMessage, parseMetadataHeaders } from '../../../src/capture/parse/full.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { fingerprintOf, fingerprintOfHeaders } from '../../../src/capture/parse/assemble.js'
import { loadMailFixture, mailFixtureNames, rawToFullMessage } from '../../helpers/fixtures.js'

const INTERNAL_DATE = '1057049557000'

/** The email without what legitimately differs between readings: where attachment bytes are. */
function canonical(email: ParsedEmail, ignore: readonly string[] = []): Record<string, unknown> {
  const copy: Record<string, unknown> = {
    ...email,
    // Sizes agree for every transfer encoding; only .ics files differ (postal-mime rewrites
    // their line endings, and a `full` size is Gmail's, of the file as sent).
    attachments: email.attachments.map((a) => ({
      filename: a.filename,
      mimeType: a.mimeType,
      contentId: a.contentId,
      inline: a.inline,
      size: a.mimeType === 'text/calendar' || a.mimeType === 'application/ics' ? null : a.size,
    })),
  }
  return Object.fromEntries(Object.entries(copy).filter(([key]) => !ignore.includes(key)))
}

/** Fixtures whose readings differ by design, and in what. */
const DIFFERENCES: Record<string, readonly string[]> = {
  // Gmail's (and the helper's) base64 decoder skips junk differently from postal-mime's.
  'broken-base64.eml': ['text', 'snippet'],
  // postal-mime puts a header block for the nested message into the text.
  'inline-rfc822.eml': ['text', 'snippet'],
}

async function both(name: string): Promise<{ raw: ParsedEmail; full: ParsedEmail }> {
  const bytes = loadMailFixture(name)
  const raw = await parseRawMessage(bytes, { internalDate: INTERNAL_DATE })
  const full = parseFullMessage(rawToFullMessage(bytes, { internalDate: INTERNAL_DATE }))
  if (!raw.ok || !full.ok) throw new Error(`${name}: ${raw.ok ? '' : raw.reason} ${full.ok ? '' : full.reason}`)
  return { raw: raw.value, full: full.value }
}

function message(payload: GmailMessagePart, extra: Partial<GmailMessage> = {}): GmailMessage {
  return { id: 'm1', threadId: 't1', internalDate: INTERNAL_DATE, sizeEstimate: 1234, payload, ...extra }
}

const b64url = (text: string | Uint8Array): string => Buffer.from(text).toString('base64url')

describe('parseFullMessage gives the same email as parseRawMessage', () => {
  for (const name of mailFixtureNames()) {
    it(name, async () => {
      const { raw, full } = await both(name)
      const ignore = DIFFERENCES[name] ?? []
      expect(canonical(full, ignore)).toEqual(canonical(raw, ignore))
    })
  }

  it('reports base64 attachments with the same size and content id either way', async () => {
    const { raw, full } = await both('nested-multipart.eml')
    expect(full.attachments.map((a) => [a.size, a.partId, a.gmailAttachmentId, a.content])).toEqual([
      [70, '0.1.1', 'ANGjdJ_0.1.1', null],
      [77, '1', 'ANGjdJ_1', null],
    ])
    expect(raw.attachments.map((a) => a.size)).toEqual([70, 77])
  })
})

describe('parseFullMessage on hand-written trees', () => {
  const headers = [
    { name: 'From', value: '=?UTF-8?Q?Ren=C3=A9e?= <Renee@Client.Example>' },
    { name: 'To', value: 'ann@fund.example,\r\n bob@fund.example' },
    { name: 'Subject', value: '=?ISO-8859-1?Q?caf=E9?=' },
    { name: 'Date', value: 'Tue, 1 Jul 2003 10:52:37 +0200' },
    { name: 'Message-ID', value: '<tree@client.example>' },
    { name: 'Content-Type', value: 'multipart/mixed; boundary="x"' },
  ]

  it('decodes a body in its part charset and reads attachments by id', () => {
    const result = parseFullMessage(
      message({
        partId: '',
        mimeType: 'multipart/mixed',
        headers,
        body: { size: 0 },
        parts: [
          {
            partId: '0',
            mimeType: 'text/plain',
            filename: '',
            headers: [{ name: 'Content-Type', value: 'text/plain; charset="ISO-8859-1"' }],
            body: { size: 5, data: b64url(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])) },
          },
          {
            partId: '1',
            mimeType: 'application/pdf',
            filename: 'deck.pdf',
            headers: [{ name: 'Content-Disposition', value: 'attachment; filename="deck.pdf"' }],
            body: { size: 120_000, attachmentId: 'ANGjdJ-big' },
          },
        ],
      }),
    )
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.text).toBe('café')
    expect(result.value.subject).toBe('café')
    expect(result.value.from).toEqual({ address: 'renee@client.example', name: 'Renée' })
    expect(result.value.to.map((a) => a.address)).toEqual(['ann@fund.example', 'bob@fund.example'])
    expect(result.value.sizeBytes).toBe(1234)
    expect(result.value.attachments).toEqual([
      { filename: 'deck.pdf', mimeType: 'application/pdf', size: 120_000, contentId: null, inline: false, content: null, gmailAttachmentId: 'ANGjdJ-big', partId: '1' },
    ])
  })

  it('falls back to UTF-8, then Windows-1252, when a charset is missing or unknown', () => {
    const tree = (bytes: Uint8Array, contentType: string): GmailMessage =>
      message({ headers: [...headers.slice(0, 5), { name: 'Content-Type', value: contentType }], body: { size: bytes.length, data: b64url(bytes) } })
    const utf8 = parseFullMessage(tree(Buffer.from('naïve ✓'), 'text/plain'))
    const latin = parseFullMessage(tree(new Uint8Array([0x93, 0x68, 0x69, 0x94]), 'text/plain; charset=x-unknown'))
    expect(utf8.ok && utf8.value.text).toBe('naïve ✓')
    expect(latin.ok && latin.value.text).toBe('“hi”')
  })

  it('uses RFC 2231 file names from the part headers when Gmail gives none', () => {
    const result = parseFullMessage(
      message({
        headers,
        parts: [
          {
            partId: '0',
            mimeType: 'application/octet-stream',
            filename: '',
            headers: [{ name: 'Content-Disposition', value: "attachment; filename*=UTF-8''na%C3%AFve%20plan.txt" }],
            body: { size: 3, data: b64url('abc') },
          },
        ],
      }),
    )
    expect(result.ok && result.value.attachments.map((a) => [a.filename, a.size, a.content?.length])).toEqual([['naïve plan.txt', 3, 3]])
  })

  it('fails with a reason without a payload, or on a tree deeper than the limit', () => {
    expect(parseFullMessage({ id: 'm', threadId: 't' })).toEqual({ ok: false, reason: 'message has no payload headers (format=full expected)' })
    let part: GmailMessagePart = { mimeType: 'text/plain', body: { size: 1, data: b64url('x') } }
    for (let i = 0; i < 80; i++) part = { mimeType: 'multipart/mixed', parts: [part] }
    const deep = parseFullMessage(message({ ...part, headers }))
    expect(deep).toEqual({ ok: false, reason: 'mime parse failed: Maximum MIME nesting depth of 50 levels exceeded' })
  })
})

describe('parseMetadataHeaders', () => {
  it('reads the participants and the Message-ID, without synthesising one', () => {
    const result = parseMetadataHeaders({
      id: 'm',
      threadId: 't',
      payload: {
        headers: [
          { name: 'From', value: 'Ann <ANN@fund.example>' },
          { name: 'To', value: 'Team: a@x.example, b@x.example;' },
          { name: 'Subject', value: '=?UTF-8?B?SMOpbGxv?=' },
        ],
      },
    })
    expect(result).toEqual({
      ok: true,
      value: {
        messageId: null,
        from: { address: 'ann@fund.example', name: 'Ann' },
        sender: null,
        replyTo: [],
        to: [
          { address: 'a@x.example', name: null },
          { address: 'b@x.example', name: null },
        ],
        cc: [],
        bcc: [],
        subject: 'Héllo',
        headerDate: null,
      },
    })
  })

  it('gives the same headers as the raw parse for every fixture', async () => {
    for (const name of mailFixtureNames()) {
      const bytes = loadMailFixture(name)
      const raw = await parseRawMessage(bytes, { internalDate: INTERNAL_DATE })
      const full = rawToFullMessage(bytes)
      const meta = parseMetadataHeaders({ ...full, payload: { headers: full.payload?.headers ?? [] } })
      expect(raw.ok && meta.ok, name).toBe(true)
      if (!raw.ok || !meta.ok) continue
      const { messageId, from, sender, replyTo, to, cc, bcc, subject, headerDate } = raw.value
      expect(meta.value, name).toEqual({ messageId: raw.value.messageIdSynthetic ? null : messageId, from, sender, replyTo, to, cc, bcc, subject, headerDate })
      // The headers alone give the fingerprint the whole email will have, when they decide it.
      if (headerDate !== null) expect(fingerprintOfHeaders(meta.value), name).toBe(fingerprintOf(raw.value))
    }
  })

  it('fails with a reason when the message has no headers', () => {
    expect(parseMetadataHeaders({ id: 'm', threadId: 't' })).toEqual({
      ok: false,
      reason: 'message has no payload headers (format=metadata expected)',
    })
  })
})
