import { describe, expect, it } from 'vitest'
import type { ParsedEmail } from '../../../src/capture/parse/parsed-email.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { loadMailFixture, mailFixtureNames } from '../../helpers/fixtures.js'

const INTERNAL_DATE = '1057049557000' // 2003-07-01T08:52:37.000Z

async function parse(name: string, internalDate: string | null = INTERNAL_DATE): Promise<ParsedEmail> {
  const result = await parseRawMessage(loadMailFixture(name), { internalDate })
  if (!result.ok) throw new Error(`${name} failed: ${result.reason}`)
  return result.value
}

const text = (bytes: Uint8Array | null): string => new TextDecoder().decode(bytes ?? new Uint8Array())

describe('the mail corpus through parseRawMessage', () => {
  it('parses every fixture or says why not', async () => {
    const names = mailFixtureNames()
    expect(names.length).toBeGreaterThanOrEqual(20)
    for (const name of names) {
      const result = await parseRawMessage(loadMailFixture(name), { internalDate: INTERNAL_DATE })
      expect(result.ok, name).toBe(true)
    }
  })

  it('decodes ISO-8859-1: Q-encoded subject and name, quoted-printable soft breaks', async () => {
    const email = await parse('latin1-quoted-printable.eml')
    expect(email.subject).toBe('Réunion de décembre')
    expect(email.from).toEqual({ address: 'francois@client.example', name: 'François Léger' })
    expect(email.to).toEqual([{ address: 'ann@fund.example', name: 'Ann Lee' }])
    expect(email.messageId).toBe('20030701105237.GA1234@client.example')
    expect(email.date).toBe('2003-07-01T08:52:37.000Z')
    expect(email.text).toContain('prévue pour le 3 décembre à 14h. Ce texte est assez long pour nécessiter')
    expect(email.text).toMatch(/\n\nFrançois$/)
    expect(email.sizeBytes).toBe(loadMailFixture('latin1-quoted-printable.eml').byteLength)
  })

  it('decodes Windows-1252 curly quotes, dashes and the euro sign', async () => {
    const email = await parse('windows-1252.eml')
    expect(email.subject).toBe('Offre “finale” €')
    expect(email.text).toBe('Hi “team” – the fee is €1,200 … café.')
    expect(email.from).toEqual({ address: 'bob@vendor.example', name: 'Bob Smith' })
    expect(email.date).toBe('2003-07-02T13:00:00.000Z')
  })

  it('decodes ISO-2022-JP headers and body', async () => {
    const email = await parse('iso-2022-jp.eml')
    expect(email.subject).toBe('会議の件')
    expect(email.from).toEqual({ address: 'yamada@example.co.jp', name: '山田太郎' })
    expect(email.text).toBe('山田です。\n明日の会議について。')
    expect(email.date).toBe('2003-07-03T09:30:00.000Z')
  })

  it('decodes KOI8-R: B-encoded subject and To name, base64 body', async () => {
    const email = await parse('koi8-r.eml')
    expect(email.subject).toBe('Отчёт за квартал')
    expect(email.to).toEqual([
      { address: 'ivan@partner.example.ru', name: 'Иван Петров' },
      { address: 'ann@fund.example', name: null },
    ])
    expect(email.text).toBe('Добрый день!\nОтчёт во вложении.')
    expect(email.snippet).toBe('Добрый день! Отчёт во вложении.')
  })

  it('reads raw 8-bit UTF-8 headers (RFC 6532)', async () => {
    const email = await parse('utf8-8bit-headers.eml')
    expect(email.subject).toBe('Grüße aus Zürich – Termin für Übermorgen ✓')
    expect(email.from).toEqual({ address: 'joerg@firma.example', name: 'Jörg Müller' })
    expect(email.to).toEqual([{ address: 'zoe@fund.example', name: 'Zoë Ångström' }])
    expect(email.text).toBe('Grüße, Jörg — 日本語もOK.')
  })

  it('joins adjacent encoded words, even one split inside a character, and mixed charsets', async () => {
    const email = await parse('adjacent-encoded-words.eml')
    expect(email.subject).toBe('Re: Größe ändern – 会議 (draft) café')
    expect(email.from).toEqual({ address: 'renee@client.example', name: 'Renée Dupont' })
    expect(email.to).toEqual([
      { address: 'maria@client.example', name: 'Мария' },
      { address: 'obrien@client.example', name: "O'Brien" },
    ])
  })

  it('reads mixed > alternative > related: text, html with a cid image, the attachment', async () => {
    const email = await parse('nested-multipart.eml')
    expect(email.text).toBe('Hi Ann,\n\nThe deck is attached. Chart below.\n\nCarol')
    expect(email.html).toBe(
      '<p>Hi Ann,</p><p>The deck is attached. Chart below.</p><img alt="chart" src="cid:chart-1@startup.example" /><p>Carol</p>',
    )
    expect(email.cc).toEqual([{ address: 'dan@fund.example', name: 'Dan (Legal)' }])
    expect(email.date).toBe('2003-07-07T21:05:09.000Z')
    expect(email.attachments.map(({ content, ...a }) => ({ ...a, bytes: content?.byteLength }))).toEqual([
      { filename: 'chart.png', mimeType: 'image/png', size: 70, contentId: 'chart-1@startup.example', inline: true, gmailAttachmentId: null, partId: null, bytes: 70 },
      { filename: 'Q3 deck.pdf', mimeType: 'application/pdf', size: 77, contentId: null, inline: false, gmailAttachmentId: null, partId: null, bytes: 77 },
    ])
    expect(text(email.attachments[1]?.content ?? null)).toMatch(/^%PDF-1\.4/)
    expect(Array.from(email.attachments[0]?.content?.slice(0, 4) ?? [])).toEqual([0x89, 0x50, 0x4e, 0x47])
  })

  it('keeps a message forwarded as attachment as a message/rfc822 attachment', async () => {
    const email = await parse('forwarded-rfc822.eml')
    expect(email.text).toBe('See the forwarded message.')
    expect(email.attachments).toHaveLength(1)
    const [forwarded] = email.attachments
    expect(forwarded).toMatchObject({ filename: 'Term sheet.eml', mimeType: 'message/rfc822', inline: false })
    expect(text(forwarded?.content ?? null)).toContain('Message-ID: <inner-term@lawfirm.example>')
  })

  it('reads a message/rfc822 part without disposition inline, as postal-mime does', async () => {
    const email = await parse('inline-rfc822.eml')
    expect(email.messageId).toBe('fwd-inline@fund.example')
    expect(email.text).toMatch(/^Forwarding the intro below\./)
    expect(email.text).toContain('From:    Gina <gina@startup.example>')
    expect(email.text).toMatch(/Nice to meet you\.$/)
    expect(email.attachments.map((a) => [a.filename, a.mimeType])).toEqual([['metrics.csv', 'text/csv']])
  })

  it('keeps a calendar invite as text/calendar with its method, and the .ics attachment', async () => {
    const email = await parse('calendar-invite.eml')
    expect(email.text).toBe('You have been invited to Pitch meeting.')
    expect(email.html).toBe('<p>You have been invited to <b>Pitch meeting</b>.</p>')
    expect(email.attachments.map((a) => [a.filename, a.mimeType, a.inline])).toEqual([
      ['', 'text/calendar', false],
      ['invite.ics', 'application/ics', false],
    ])
    expect(text(email.attachments[0]?.content ?? null)).toContain('METHOD:REQUEST\nBEGIN:VEVENT')
  })

  it('sanitises an HTML-only message and derives its text', async () => {
    const email = await parse('html-only-hostile.eml')
    expect(email.text).toBe(
      'Weekly & update\n\nRead the post (https://marketing.example/post?id=1&b=2) or click here.\n\n* First\n* Second\n\nBye now',
    )
    expect(email.snippet).toBe(
      'Weekly & update Read the post (https://marketing.example/post?id=1&b=2) or click here. * First * Second Bye now',
    )
    const html = email.html ?? ''
    for (const banned of ['<script', 'onload', 'onclick', 'javascript:', 'tracker.example', '<iframe', '<style', 'evil.example', '<title']) {
      expect(html).not.toContain(banned)
    }
    expect(html).toContain('<a href="https://marketing.example/post?id=1&amp;b=2" rel="noopener noreferrer nofollow">the post</a>')
  })

  it('falls back to internalDate and a synthetic Message-ID when Date, From and Message-ID are missing', async () => {
    const email = await parse('missing-headers.eml')
    expect(email.from).toBeNull()
    expect(email.headerDate).toBeNull()
    expect(email.date).toBe('2003-07-01T08:52:37.000Z')
    expect(email.messageIdSynthetic).toBe(true)
    expect(email.messageId).toMatch(/^[0-9a-f]{64}@synthetic\.crm-email-integration\.invalid$/)
    // Deterministic: the same message in another mailbox (another internalDate) gets the same id.
    const other = await parse('missing-headers.eml', '1057049999000')
    expect(other.messageId).toBe(email.messageId)
  })

  it('fails with a reason when there is neither a Date header nor an internalDate', async () => {
    const result = await parseRawMessage(loadMailFixture('missing-headers.eml'), {})
    expect(result).toEqual({ ok: false, reason: 'no readable Date header and no internalDate' })
  })

  it('treats an unreadable Date header as missing', async () => {
    const email = await parse('broken-date.eml')
    expect(email.headerDate).toBeNull()
    expect(email.date).toBe('2003-07-01T08:52:37.000Z')
    expect(email.messageIdSynthetic).toBe(false)
  })

  it('decodes broken base64 as far as it goes, without failing', async () => {
    const email = await parse('broken-base64.eml')
    expect(email.text).toBe('Hello worldHi')
    expect(email.attachments).toHaveLength(1)
    expect(email.attachments[0]).toMatchObject({ filename: 'data.bin', size: 4 })
  })

  it('keeps hostile file names as metadata: traversal kept verbatim, NUL removed, 1,000 characters whole', async () => {
    const email = await parse('hostile-filenames.eml')
    const names = email.attachments.map((a) => a.filename)
    expect(names[0]).toBe('../../../etc/passwd')
    expect(names[1]).toBe('evil.exe.pdf')
    expect(names[2]).toHaveLength(1000)
    expect(names[2]).toMatch(/^very-long-name-.*\.txt$/)
    expect(names[3]).toBe('..\\..\\windows\\system32.dll')
    expect(names.join('')).not.toContain('\0')
  })

  it('reads a Gmail sent copy with its Bcc', async () => {
    const email = await parse('gmail-sent-bcc.eml')
    expect(email.messageId).toBe('CAHx5kQ7z=Vb9uX1ak@mail.gmail.com')
    expect(email.subject).toBe('Intro: Jane <> Kim')
    expect(email.bcc).toEqual([
      { address: 'crm-log@fund.example', name: null },
      { address: 'partner@fund.example', name: 'Partner' },
    ])
    expect(email.cc).toEqual([{ address: 'kim@bigco.example', name: 'Kim Park' }])
    expect(email.html).toBe('<div dir="ltr">Jane, meet Kim.</div>')
    expect(email.date).toBe('2003-07-14T14:20:31.000Z')
  })

  it('reads In-Reply-To and folded References with garbage, comments and duplicates', async () => {
    const email = await parse('reply-references.eml')
    expect(email.inReplyTo).toBe('CAHx5kQ7z=Vb9uX1ak@mail.gmail.com')
    expect(email.references).toEqual(['root-0@startup.example', 'mid-1@fund.example', 'CAHx5kQ7z=Vb9uX1ak@mail.gmail.com'])
    expect(email.text).toBe('Thanks Ann!\n\n> Jane, meet Kim.')
  })

  it('flattens groups, drops invalid addresses and duplicates, reads Sender and Reply-To', async () => {
    const email = await parse('address-groups.eml')
    expect(email.from).toEqual({ address: 'sender@client.example', name: 'Real Sender' })
    expect(email.sender).toEqual({ address: 'assistant@client.example', name: 'Assistant' })
    expect(email.replyTo).toEqual([
      { address: 'a@client.example', name: null },
      { address: 'b@client.example', name: null },
    ])
    expect(email.to).toEqual([])
    expect(email.cc).toEqual([
      { address: 'ann@fund.example', name: null },
      { address: 'quoted@client.example', name: 'Quoted, Name' },
      { address: 'second-cc@client.example', name: 'comment name' },
    ])
  })

  it('undoes format=flowed with delsp', async () => {
    const email = await parse('format-flowed.eml')
    expect(email.text).toBe('This is a long paragraph that flows.\nFrom stuffed line.\n-- \nMax')
  })

  it('keeps the returned message of a bounce as an attachment', async () => {
    const email = await parse('delivery-status.eml')
    expect(email.text).toBe('Address not found.')
    expect(email.attachments.map((a) => a.mimeType)).toEqual(['message/delivery-status', 'message/rfc822'])
    expect(text(email.attachments[1]?.content ?? null)).toContain('Original text.')
  })

  it('marks inline images: a related part with a Content-ID, and disposition inline', async () => {
    const email = await parse('inline-images.eml')
    expect(email.attachments.map((a) => [a.filename, a.contentId, a.inline, a.size])).toEqual([
      ['', 'logo@startup.example', true, 14],
      ['sig.gif', 'sig', true, 14],
    ])
    expect(email.html).toBe('<p>Logo: <img src="cid:logo@startup.example" /> and <img src="cid:sig" /></p>')
  })
})
