/**
 * Small but valid attachments: a one-page PDF, a CSV model and a PNG logo, each a few KB, so
 * that the Communications page can offer real files to open without slowing the demo down.
 */
import { deflateSync } from 'node:zlib'
import type { MailAttachment } from './team-mailbox-mime.js'
import type { Random } from './team-mailbox-random.js'

/** US Letter in PDF points. */
const PAGE_WIDTH = 612
const PAGE_HEIGHT = 792
/** Side of the square logo in pixels: big enough to look like a logo, small enough to stay ~1 KB. */
const LOGO_SIZE = 64

/** PDF's base fonts know Latin-1 at best; the page text keeps to ASCII. */
function pdfText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/[\\()]/g, (c) => `\\${c}`)
}

/** A one-page PDF 1.4 with a title and lines of text, with a correct cross-reference table. */
export function pdfDocument(title: string, lines: readonly string[]): Buffer {
  const ops = [`BT /F1 18 Tf 72 ${PAGE_HEIGHT - 90} Td (${pdfText(title)}) Tj ET`]
  lines.forEach((line, i) => ops.push(`BT /F1 11 Tf 72 ${PAGE_HEIGHT - 130 - i * 16} Td (${pdfText(line)}) Tj ET`))
  const stream = ops.join('\n')
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`,
    `<< /Title (${pdfText(title)}) /Producer (Larkmoor demo) >>`,
  ]
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'
  const offsets: number[] = []
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'))
    body += `${i + 1} 0 obj\n${object}\nendobj\n`
  })
  const xref = Buffer.byteLength(body, 'latin1')
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

/** A quarterly operating model as a founder would send it: plausible, growing numbers. */
export function csvModel(random: Random, company: string, firstYear: number): Buffer {
  const rows = ['Quarter,Revenue (USD),Gross margin,Operating expenses (USD),Net burn (USD),Headcount,Customers']
  let revenue = random.int(180, 900) * 1000
  let headcount = random.int(12, 40)
  let customers = random.int(15, 120)
  for (let year = firstYear; year < firstYear + 3; year++) {
    for (let q = 1; q <= 4; q++) {
      const margin = 0.58 + random.next() * 0.2
      const opex = Math.round(headcount * (38_000 + random.int(0, 9000)))
      const burn = Math.max(0, opex - Math.round(revenue * margin))
      rows.push(`Q${q} ${year},${revenue},${(margin * 100).toFixed(1)}%,${opex},${burn},${headcount},${customers}`)
      revenue = Math.round(revenue * (1.08 + random.next() * 0.17))
      headcount += random.int(1, 6)
      customers += random.int(3, 25)
    }
  }
  rows.push('', `"Source: ${company} management accounts; ${firstYear + 1} onwards is plan."`)
  return Buffer.from(`${rows.join('\r\n')}\r\n`, 'utf8')
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(typed))
  return Buffer.concat([length, typed, crc])
}

/** A square RGB logo: a coloured disc with a ring on white, colours chosen by the seed. */
export function pngLogo(random: Random): Buffer {
  const hue = [random.int(20, 230), random.int(20, 230), random.int(20, 230)] as const
  const rows: Buffer[] = []
  const c = (LOGO_SIZE - 1) / 2
  for (let y = 0; y < LOGO_SIZE; y++) {
    const row = Buffer.alloc(1 + LOGO_SIZE * 3)
    for (let x = 0; x < LOGO_SIZE; x++) {
      const r = Math.hypot(x - c, y - c) / c
      const shade = r < 0.55 ? 1 : r < 0.7 ? 0 : r < 0.85 ? 0.6 : -1
      const pixel = hue.map((v) => (shade < 0 ? 255 : Math.round(255 - (255 - v) * shade)))
      row.set(pixel, 1 + x * 3)
    }
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(LOGO_SIZE, 0)
  header.writeUInt32BE(LOGO_SIZE, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** A PDF attachment. */
export function pdfAttachment(filename: string, title: string, lines: readonly string[]): MailAttachment {
  return { filename, contentType: 'application/pdf', content: pdfDocument(title, lines) }
}
