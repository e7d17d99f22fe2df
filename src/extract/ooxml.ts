/**
 * The text of Excel workbooks and PowerPoint decks, read straight from their zip parts: shared
 * and inline strings and cell values per sheet, and the text runs of each slide in order.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate'
import { decodeXmlEntities } from './text.js'

/**
 * The most bytes one part may inflate to. A crafted zip can claim gigabytes from a few
 * kilobytes; this refuses it before inflating, where the worker's heap cap would only stop it after.
 */
const MAX_PART_BYTES = 64 * 1024 * 1024

/** The parts of an archive whose names pass `wanted`, as text, each bounded. */
function parts(bytes: Uint8Array, wanted: (name: string) => boolean): Map<string, string> {
  const filter = (file: UnzipFileInfo): boolean => {
    if (!wanted(file.name)) return false
    if (file.originalSize > MAX_PART_BYTES) throw new Error(`a part of the archive inflates beyond ${MAX_PART_BYTES / (1024 * 1024)} MB`)
    return true
  }
  const files = unzipSync(bytes, { filter })
  const decoder = new TextDecoder('utf-8')
  return new Map(Object.entries(files).map(([name, data]) => [name, decoder.decode(data)]))
}

/** The number in a part name such as `xl/worksheets/sheet12.xml`, for ordering sheets and slides as numbers. */
function partNumber(name: string): number {
  const match = /(\d+)\.xml$/.exec(name)
  return match === null ? 0 : Number(match[1])
}

function inOrder(files: Map<string, string>, pattern: RegExp): string[] {
  return [...files.keys()].filter((name) => pattern.test(name)).sort((a, b) => partNumber(a) - partNumber(b))
}

/** The text of the `<t>` (or `<a:t>`) elements in an XML fragment, joined as they stand. */
function runs(xml: string, tag: 't' | 'a:t'): string {
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`, 'g')
  let text = ''
  for (const match of xml.matchAll(pattern)) text += decodeXmlEntities(match[1] ?? '')
  return text
}

const SHEET = /^xl\/worksheets\/sheet\d+\.xml$/
const SHARED_STRINGS = 'xl/sharedStrings.xml'

/**
 * The text of a workbook: a line per row, its cells' values separated by spaces, a blank line
 * between sheets.
 *
 * @example
 * ```ts
 * readXlsx(bytes) // 'Client Amount\nAcme 1200\n\nNotes'
 * ```
 */
export function readXlsx(bytes: Uint8Array): string {
  const files = parts(bytes, (name) => name === SHARED_STRINGS || SHEET.test(name))
  const sheets = inOrder(files, SHEET)
  if (sheets.length === 0) throw new Error('not a workbook: it has no sheets')
  const shared = [...(files.get(SHARED_STRINGS) ?? '').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => runs(m[1] ?? '', 't'))
  return sheets.map((name) => sheetText(files.get(name) ?? '', shared)).join('\n\n')
}

function sheetText(xml: string, shared: readonly string[]): string {
  const lines: string[] = []
  for (const row of xml.matchAll(/<row\b[^>]*>([\s\S]*?)<\/row>/g)) {
    const cells: string[] = []
    for (const cell of (row[1] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const value = cellText(cell[1] ?? '', cell[2] ?? '', shared)
      if (value !== '') cells.push(value)
    }
    if (cells.length > 0) lines.push(cells.join(' '))
  }
  return lines.join('\n')
}

function cellText(attributes: string, body: string, shared: readonly string[]): string {
  const type = /\bt="([^"]*)"/.exec(attributes)?.[1]
  if (type === 'inlineStr') return runs(body, 't')
  const value = decodeXmlEntities(/<v>([^<]*)<\/v>/.exec(body)?.[1] ?? '')
  if (type === 's') return shared[Number(value)] ?? ''
  return value
}

const SLIDE = /^ppt\/slides\/slide\d+\.xml$/

/**
 * The text of a deck: each slide's paragraphs a line each, a blank line between slides.
 *
 * @example
 * ```ts
 * readPptx(bytes) // 'Roadmap\nQ3 launch\n\nPricing'
 * ```
 */
export function readPptx(bytes: Uint8Array): string {
  const files = parts(bytes, (name) => SLIDE.test(name))
  const slides = inOrder(files, SLIDE)
  if (slides.length === 0) throw new Error('not a presentation: it has no slides')
  return slides
    .map((name) => {
      const paragraphs = [...(files.get(name) ?? '').matchAll(/<a:p\b[^>]*>([\s\S]*?)<\/a:p>/g)].map((p) => runs(p[1] ?? '', 'a:t'))
      return paragraphs.filter((p) => p.trim() !== '').join('\n')
    })
    .join('\n\n')
}
