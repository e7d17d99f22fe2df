/**
 * Two demo messages whose distinctive words are only inside an attached file (a PDF and a
 * DOCX), so searching for them shows a hit inside an attachment, named and linked. The files
 * are written here from their formats' smallest valid form: one page of text, one paragraph.
 */
import { strToU8, zipSync } from 'fflate'

/** The words only the files hold, and the files' names: what the page's search can be tried with. */
export const ATTACHMENT_WORDS = { pdf: 'quillfeather', docx: 'zephyrlock' } as const
export const ATTACHMENT_FILES = { pdf: 'valuation-memo.pdf', docx: 'side-letter.docx' } as const

/** A one-page PDF showing `text` (ASCII) in Helvetica, with a correct cross-reference table. */
function pdfWithText(text: string): Buffer {
  const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`)
  const content = `BT /F1 12 Tf 72 720 Td (${escaped}) Tj ET`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]
  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((body, i) => {
    offsets.push(out.length)
    out += `${i + 1} 0 obj\n${body}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

/** A DOCX of one paragraph: the three parts a word processor needs, zipped. */
function docxWithText(text: string): Buffer {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const files = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    'word/document.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
        `<w:body><w:p><w:r><w:t>${escaped}</w:t></w:r></w:p></w:body></w:document>`,
    ),
  }
  return Buffer.from(zipSync(files))
}

/** A message from `from` to `to` with one attached file, as RFC 822 text. */
function messageWithFile(options: {
  readonly from: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly date: Date
  readonly messageId: string
  readonly file: { readonly name: string; readonly type: string; readonly bytes: Buffer }
}): string {
  const boundary = `demo-${options.messageId.replace(/[^a-z0-9]/gi, '')}`
  const base64 = options.file.bytes.toString('base64').replace(/.{76}/g, '$&\r\n')
  return [
    `From: ${options.from}`,
    `To: ${options.to}`,
    `Subject: ${options.subject}`,
    `Date: ${options.date.toUTCString()}`,
    `Message-ID: <${options.messageId}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.text,
    `--${boundary}`,
    `Content-Type: ${options.file.type}; name="${options.file.name}"`,
    `Content-Disposition: attachment; filename="${options.file.name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64,
    `--${boundary}--`,
    '',
  ].join('\r\n')
}

/**
 * The two messages, from a CRM contact to a teammate, dated a day and two before `now`.
 *
 * @example
 * ```ts
 * for (const raw of attachmentMail({ from: 'dana@acme.example', to: 'ann@fund.example', now })) emu.addMessage('ann@fund.example', raw)
 * ```
 */
export function attachmentMail(options: { readonly from: string; readonly to: string; readonly now: Date }): string[] {
  const day = 86_400_000
  return [
    messageWithFile({
      ...options,
      subject: 'Valuation memo for the board',
      text: 'Hi, the memo for Thursday is attached. Best regards',
      date: new Date(options.now.getTime() - 2 * day),
      messageId: 'valuation-memo@demo.example',
      file: {
        name: ATTACHMENT_FILES.pdf,
        type: 'application/pdf',
        bytes: pdfWithText(`Quarterly valuation memo. The ${ATTACHMENT_WORDS.pdf} method values the holding at cost plus accrued interest.`),
      },
    }),
    messageWithFile({
      ...options,
      subject: 'Side letter draft',
      text: 'Please find the side letter draft attached for your review.',
      date: new Date(options.now.getTime() - day),
      messageId: 'side-letter@demo.example',
      file: {
        name: ATTACHMENT_FILES.docx,
        type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        bytes: docxWithText(`Side letter. The ${ATTACHMENT_WORDS.docx} clause grants the investor most favoured nation rights on fees.`),
      },
    }),
  ]
}
