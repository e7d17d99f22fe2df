/**
 * Small real documents for tests, built from given text: a PDF written by hand (one page per
 * call, the standard Helvetica font, a correct cross-reference table) and Office Open XML files
 * zipped with fflate (the parts a reader and an office suite need to find the text).
 */
import { strToU8, zipSync, type Zippable } from 'fflate'

/** Escapes a PDF literal string; characters outside Latin-1 become `?` (WinAnsi holds no more). */
function pdfString(text: string): string {
  const latin1 = text.replace(/[\u0100-\u{10ffff}]/gu, '?')
  return `(${latin1.replace(/[\\()]/g, (c) => `\\${c}`)})`
}

/**
 * A one-page PDF showing `text`, a line per `\n`.
 *
 * @example
 * ```ts
 * const bytes = pdfWithText('Quarterly plan\nquillbrook')
 * ```
 */
export function pdfWithText(text: string): Uint8Array {
  const lines = text.split('\n').map((line) => `${pdfString(line)} Tj T*`)
  const content = `BT /F1 12 Tf 14 TL 72 720 Td ${lines.join(' ')} ET`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ]
  let body = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'))
    body += `${i + 1} 0 obj\n${object}\nendobj\n`
  })
  const xrefAt = Buffer.byteLength(body, 'latin1')
  // Each entry is exactly 20 bytes: ten digits, space, five digits, space, type, space, newline.
  const entries = ['0000000000 65535 f \n', ...offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`)]
  body += `xref\n0 ${objects.length + 1}\n${entries.join('')}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`
  return new Uint8Array(Buffer.from(body, 'latin1'))
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const DOC_RELS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'

function contentTypes(overrides: Readonly<Record<string, string>>): string {
  const parts = Object.entries(overrides).map(([part, type]) => `<Override PartName="/${part}" ContentType="${type}"/>`)
  return `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${parts.join('')}</Types>`
}

function relationships(targets: readonly { readonly type: string; readonly target: string }[]): string {
  const rels = targets.map(({ type, target }, i) => `<Relationship Id="rId${i + 1}" Type="${DOC_RELS}/${type}" Target="${target}"/>`)
  return `${XML_HEAD}<Relationships xmlns="${RELS}">${rels.join('')}</Relationships>`
}

function zip(files: Readonly<Record<string, string>>): Uint8Array {
  const entries: Zippable = {}
  for (const [name, text] of Object.entries(files)) entries[name] = strToU8(text)
  return zipSync(entries, { level: 6 })
}

/**
 * A Word document with a paragraph per line of `text`.
 *
 * @example
 * ```ts
 * const bytes = docxWithText('Proposal\nzanthorp')
 * ```
 */
export function docxWithText(text: string): Uint8Array {
  const paragraphs = text.split('\n').map((line) => `<w:p><w:r><w:t xml:space="preserve">${xmlText(line)}</w:t></w:r></w:p>`)
  return zip({
    '[Content_Types].xml': contentTypes({ 'word/document.xml': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml' }),
    '_rels/.rels': relationships([{ type: 'officeDocument', target: 'word/document.xml' }]),
    'word/document.xml': `${XML_HEAD}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.join('')}</w:body></w:document>`,
  })
}

/** A spreadsheet column's letters: 0 → A, 25 → Z, 26 → AA. */
function column(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : column(Math.floor(index / 26) - 1) + column(index % 26)
}

/**
 * An Excel workbook of one sheet holding `rows` (every cell a shared string).
 *
 * @example
 * ```ts
 * const bytes = xlsxWithCells([['Client', 'Amount'], ['Acme', '1200']])
 * ```
 */
export function xlsxWithCells(rows: string[][]): Uint8Array {
  const strings: string[] = []
  const sheetRows = rows.map((row, r) => {
    const cells = row.map((value, c) => {
      strings.push(value)
      return `<c r="${column(c)}${r + 1}" t="s"><v>${strings.length - 1}</v></c>`
    })
    return `<row r="${r + 1}">${cells.join('')}</row>`
  })
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
  const sml = 'application/vnd.openxmlformats-officedocument.spreadsheetml'
  return zip({
    '[Content_Types].xml': contentTypes({
      'xl/workbook.xml': `${sml}.sheet.main+xml`,
      'xl/worksheets/sheet1.xml': `${sml}.worksheet+xml`,
      'xl/sharedStrings.xml': `${sml}.sharedStrings+xml`,
    }),
    '_rels/.rels': relationships([{ type: 'officeDocument', target: 'xl/workbook.xml' }]),
    'xl/workbook.xml': `${XML_HEAD}<workbook xmlns="${main}" xmlns:r="${DOC_RELS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': relationships([
      { type: 'worksheet', target: 'worksheets/sheet1.xml' },
      { type: 'sharedStrings', target: 'sharedStrings.xml' },
    ]),
    'xl/worksheets/sheet1.xml': `${XML_HEAD}<worksheet xmlns="${main}"><sheetData>${sheetRows.join('')}</sheetData></worksheet>`,
    'xl/sharedStrings.xml': `${XML_HEAD}<sst xmlns="${main}" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${xmlText(s)}</t></si>`).join('')}</sst>`,
  })
}

/**
 * A PowerPoint deck with a slide per entry of `slides`, a paragraph per line.
 *
 * @example
 * ```ts
 * const bytes = pptxWithText(['Roadmap', 'Pricing\nQ3'])
 * ```
 */
export function pptxWithText(slides: string[]): Uint8Array {
  const pml = 'application/vnd.openxmlformats-officedocument.presentationml'
  const ns = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
  const files: Record<string, string> = {
    '_rels/.rels': relationships([{ type: 'officeDocument', target: 'ppt/presentation.xml' }]),
    'ppt/presentation.xml': `${XML_HEAD}<p:presentation ${ns} xmlns:r="${DOC_RELS}"><p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 1}"/>`).join('')}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/></p:presentation>`,
    'ppt/_rels/presentation.xml.rels': relationships(slides.map((_, i) => ({ type: 'slide', target: `slides/slide${i + 1}.xml` }))),
  }
  const overrides: Record<string, string> = { 'ppt/presentation.xml': `${pml}.presentation.main+xml` }
  slides.forEach((text, i) => {
    const paragraphs = text.split('\n').map((line) => `<a:p><a:r><a:t>${xmlText(line)}</a:t></a:r></a:p>`)
    files[`ppt/slides/slide${i + 1}.xml`] =
      `${XML_HEAD}<p:sld ${ns}><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>${paragraphs.join('')}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
    overrides[`ppt/slides/slide${i + 1}.xml`] = `${pml}.slide+xml`
  })
  return zip({ '[Content_Types].xml': contentTypes(overrides), ...files })
}
