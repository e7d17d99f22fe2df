/**
 * Which reader an attachment needs, from its MIME type and its file name: Gmail often labels
 * office files `application/octet-stream`, and senders' clients get types wrong, so the name's
 * extension counts as much as the type.
 */

/** A format a reader exists for. */
export type TextFormat = 'pdf' | 'docx' | 'xlsx' | 'pptx' | 'text'

/** Every {@link TextFormat}, for checking a value that crossed a thread boundary. */
export const TEXT_FORMATS: readonly TextFormat[] = Object.freeze(['pdf', 'docx', 'xlsx', 'pptx', 'text'])

const BY_MIME_TYPE: Readonly<Record<string, TextFormat>> = Object.freeze({
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/csv': 'text',
  'application/json': 'text',
  'application/xml': 'text',
})

const BY_EXTENSION: Readonly<Record<string, TextFormat>> = Object.freeze({
  pdf: 'pdf',
  docx: 'docx',
  xlsx: 'xlsx',
  pptx: 'pptx',
  txt: 'text',
  text: 'text',
  csv: 'text',
  tsv: 'text',
  md: 'text',
  markdown: 'text',
  log: 'text',
  json: 'text',
  xml: 'text',
  ics: 'text',
  vcf: 'text',
  html: 'text',
  htm: 'text',
})

/**
 * The format to read an attachment as, or `null` when no reader takes it (images among them:
 * they hold no text a reader here could find).
 *
 * @example
 * ```ts
 * textFormatOf('application/octet-stream', 'Q3 plan.docx') // 'docx'
 * textFormatOf('text/csv', 'leads')                         // 'text'
 * textFormatOf('image/png', 'logo.png')                     // null
 * ```
 */
export function textFormatOf(mimeType: string, filename: string): TextFormat | null {
  const type = mimeType.toLowerCase().split(';')[0]?.trim() ?? ''
  if (type.startsWith('image/')) return null
  const byType = BY_MIME_TYPE[type]
  if (byType !== undefined) return byType
  const dot = filename.lastIndexOf('.')
  const byName = dot >= 0 ? BY_EXTENSION[filename.slice(dot + 1).toLowerCase().trim()] : undefined
  if (byName !== undefined) return byName
  return type.startsWith('text/') ? 'text' : null
}
