import { join } from 'node:path'
import { zipSync, strToU8 } from 'fflate'
import { describe, expect, it } from 'vitest'
import { textFormatOf } from '../../src/extract/formats.js'
import { resolveExtractionLimits } from '../../src/extract/limits.js'
import { extractWorkerScript, workerExtractor, type WorkerScript } from '../../src/extract/runner.js'
import { boundText, decodeText, decodeXmlEntities } from '../../src/extract/text.js'
import { docxWithText, pdfWithText, pptxWithText, xlsxWithCells } from '../helpers/office-files.js'

// Each reader in the real worker (started from the sources through tsx), on files the helpers
// build; the bounds through a stand-in worker that loops or allocates.

const extract = workerExtractor(extractWorkerScript())
const MISBEHAVING: WorkerScript = { path: join(import.meta.dirname, 'misbehaving-worker.ts'), typescript: true }
const utf8 = (text: string) => new TextEncoder().encode(text)

describe('reading attachment text in a worker', () => {
  it('reads each format the helpers build', async () => {
    await expect(extract('pdf', pdfWithText('Quarterly plan (draft)\nquillbrook terms'))).resolves.toEqual({
      status: 'extracted',
      text: 'Quarterly plan (draft)\nquillbrook terms',
      error: null,
    })
    const docx = await extract('docx', docxWithText('Proposal for R&D\nzanthorp scope'))
    expect(docx).toMatchObject({ status: 'extracted', error: null })
    expect(docx.text).toContain('Proposal for R&D')
    expect(docx.text).toContain('zanthorp scope')
    await expect(extract('xlsx', xlsxWithCells([['Client', 'Amount'], ['Acme <Labs>', '1200']]))).resolves.toMatchObject({
      status: 'extracted',
      text: 'Client Amount\nAcme <Labs> 1200',
    })
    await expect(extract('pptx', pptxWithText(['Roadmap', 'Pricing\nmarrowgate tier']))).resolves.toMatchObject({
      status: 'extracted',
      text: 'Roadmap\n\nPricing\nmarrowgate tier',
    })
    await expect(extract('text', utf8('\ufeffname,city\r\nLéa,Zürich\r\n'))).resolves.toMatchObject({ text: 'name,city\nLéa,Zürich' })
  })

  it('reads a workbook with inline strings and numbers, its sheets in order', async () => {
    const sheet = (cells: string) => `<worksheet><sheetData><row r="1">${cells}</row></sheetData></worksheet>`
    const bytes = zipSync({
      'xl/worksheets/sheet10.xml': strToU8(sheet('<c r="A1"><v>10</v></c>')),
      'xl/worksheets/sheet2.xml': strToU8(sheet('<c r="A1" t="inlineStr"><is><t>second &amp; more</t></is></c><c r="B1"><v>42.5</v></c>')),
      'xl/worksheets/sheet1.xml': strToU8(sheet('<c r="A1" t="inlineStr"><is><r><t>fir</t></r><r><t>st</t></r></is></c>')),
    })
    await expect(extract('xlsx', bytes)).resolves.toMatchObject({ text: 'first\n\nsecond & more 42.5\n\n10' })
  })

  it('records a file with no text as empty', async () => {
    await expect(extract('pdf', pdfWithText(''))).resolves.toEqual({ status: 'empty', text: null, error: null })
    await expect(extract('text', utf8(' \n\t '))).resolves.toEqual({ status: 'empty', text: null, error: null })
  })

  it('fails an unreadable file with a short reason naming its kind', async () => {
    const corruptPdf = await extract('pdf', utf8('%PDF-1.4\nthis is not a PDF at all'))
    expect(corruptPdf).toMatchObject({ status: 'failed', text: null })
    expect(corruptPdf.error).toMatch(/^not a readable PDF: /)
    const notDocx = await extract('docx', zipSync({ 'hello.txt': strToU8('just a zip') }))
    expect(notDocx).toMatchObject({ status: 'failed', text: null })
    expect(notDocx.error).toMatch(/^not a readable Word document: /)
    const whole = xlsxWithCells([['Client', 'Amount']])
    const truncated = await extract('xlsx', whole.subarray(0, Math.floor(whole.length / 2)))
    expect(truncated).toMatchObject({ status: 'failed', text: null })
    expect(truncated.error).toMatch(/^not a readable Excel workbook: /)
    await expect(extract('pptx', docxWithText('a Word file named .pptx'))).resolves.toMatchObject({
      status: 'failed',
      error: 'not a readable PowerPoint deck: not a presentation: it has no slides',
    })
  })

  it('refuses a file over the size cap without starting a worker', async () => {
    // A script that does not exist: starting a worker at all would fail differently.
    const capped = workerExtractor({ path: join(import.meta.dirname, 'no-such-worker.ts'), typescript: true }, resolveExtractionLimits({ maxBytes: 1024 * 1024 }))
    await expect(capped('text', new Uint8Array(1024 * 1024 + 1))).resolves.toEqual({ status: 'failed', text: null, error: 'larger than 1 MB' })
    await expect(capped('text', { path: join(import.meta.dirname, 'no-such-file.txt') })).resolves.toMatchObject({ error: 'the stored file is missing' })
  })

  it('stops a worker that never answers, then reads the next file', async () => {
    const bounded = workerExtractor(MISBEHAVING, resolveExtractionLimits({ timeoutMs: 1_500 }))
    await expect(bounded('text', utf8('loop'))).resolves.toEqual({ status: 'failed', text: null, error: 'took longer than 1.5 s' })
    await expect(bounded('text', utf8('next file'))).resolves.toMatchObject({ status: 'extracted', text: 'next file' })
  })

  it('stops a worker that runs out of its heap, then reads the next file', async () => {
    const bounded = workerExtractor(MISBEHAVING, resolveExtractionLimits({ maxMemoryMb: 48, timeoutMs: 60_000 }))
    await expect(bounded('text', utf8('allocate'))).resolves.toEqual({ status: 'failed', text: null, error: 'ran out of memory' })
    await expect(bounded('text', utf8('next file'))).resolves.toMatchObject({ status: 'extracted', text: 'next file' })
  })

  it('stops reading when its signal is aborted', async () => {
    const bounded = workerExtractor(MISBEHAVING, resolveExtractionLimits({ timeoutMs: 60_000 }))
    const controller = new AbortController()
    const reading = bounded('text', utf8('loop'), controller.signal)
    controller.abort(new Error('shutting down'))
    await expect(reading).rejects.toThrow('shutting down')
  })
})

describe('the pieces of extraction', () => {
  it('chooses a reader by type, then by name', () => {
    expect(textFormatOf('application/pdf', 'x')).toBe('pdf')
    expect(textFormatOf('application/octet-stream', 'Q3 Plan.DOCX')).toBe('docx')
    expect(textFormatOf('application/octet-stream', 'cap.xlsx')).toBe('xlsx')
    expect(textFormatOf('application/vnd.openxmlformats-officedocument.presentationml.presentation', 'deck')).toBe('pptx')
    expect(textFormatOf('text/csv; charset=utf-8', 'leads')).toBe('text')
    expect(textFormatOf('text/calendar', 'invite')).toBe('text')
    expect(textFormatOf('image/png', 'scan.pdf')).toBeNull()
    expect(textFormatOf('application/zip', 'dataroom.zip')).toBeNull()
    expect(textFormatOf('application/octet-stream', 'noextension')).toBeNull()
  })

  it('decodes text files and XML entities', () => {
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))).toBe('hi')
    expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toBe('café')
    expect(decodeXmlEntities('R&amp;D &#8364;5 &#x41; &bogus; &#0;')).toBe('R&D €5 A &bogus; &#0;')
  })

  it('collapses whitespace, keeps paragraph breaks and bounds the length at a word end', () => {
    expect(boundText('  Q3\t\tplan \r\n\r\n\r\n\r\nRevenue \u0000 up ')).toBe('Q3 plan\n\nRevenue up')
    const long = 'word '.repeat(50_000)
    const bounded = boundText(long, 1_002)
    expect(bounded.length).toBeLessThanOrEqual(1_002)
    expect(bounded.endsWith('word')).toBe(true)
  })

  it('refuses limits that would switch a bound off', () => {
    expect(() => resolveExtractionLimits({ timeoutMs: 0 })).toThrow(/timeoutMs/)
    expect(() => resolveExtractionLimits({ maxBytes: Number.NaN })).toThrow(/maxBytes/)
  })

  it('writes a PDF whose cross-reference table points at each object', () => {
    const pdf = Buffer.from(pdfWithText('offsets')).toString('latin1')
    const xref = pdf.slice(pdf.indexOf('\nxref\n'))
    const offsets = [...xref.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]))
    expect(offsets).toHaveLength(5)
    expect(offsets.map((offset) => pdf.slice(offset, offset + 7))).toEqual(['1 0 obj', '2 0 obj', '3 0 obj', '4 0 obj', '5 0 obj'])
    expect(pdf.startsWith('xref', Number(/startxref\n(\d+)/.exec(pdf)?.[1]))).toBe(true)
  })
})
