/**
 * One reader per format, run inside the extraction worker only: the PDF reader is an ES module
 * the CommonJS build must never load, and every reader parses untrusted bytes.
 */
import { errorMessage } from '../errors.js'
import type { TextFormat } from './formats.js'
import { readPptx, readXlsx } from './ooxml.js'
import { decodeText } from './text.js'

/** What a reader's failure is called, so a row's error says which kind of file was at fault. */
const DESCRIPTIONS: Readonly<Record<TextFormat, string>> = Object.freeze({
  pdf: 'not a readable PDF',
  docx: 'not a readable Word document',
  xlsx: 'not a readable Excel workbook',
  pptx: 'not a readable PowerPoint deck',
  text: 'not readable text',
})

/**
 * The raw text of a file in a format (unbounded; the runner bounds it).
 *
 * @example
 * ```ts
 * await readFormat('docx', bytes) // 'Proposal for Acme\n\nScope ...'
 * ```
 */
export async function readFormat(format: TextFormat, bytes: Uint8Array): Promise<string> {
  try {
    return await READERS[format](bytes)
  } catch (error) {
    throw new Error(`${DESCRIPTIONS[format]}: ${errorMessage(error)}`, { cause: error })
  }
}

const READERS: Readonly<Record<TextFormat, (bytes: Uint8Array) => Promise<string> | string>> = Object.freeze({
  pdf: readPdf,
  docx: readDocx,
  xlsx: readXlsx,
  pptx: readPptx,
  text: decodeText,
})

// Each reader loads its library when a file of its format comes: a worker reads one file, and
// loading the PDF reader alone costs more than reading most text files.
async function readPdf(bytes: Uint8Array): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf')
  const pdf = await getDocumentProxy(bytes, { isEvalSupported: false })
  try {
    const { text } = await extractText(pdf, { mergePages: false })
    return text.join('\n\n')
  } finally {
    await pdf.destroy()
  }
}

async function readDocx(bytes: Uint8Array): Promise<string> {
  const { default: mammoth } = await import('mammoth')
  const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
  return result.value
}
