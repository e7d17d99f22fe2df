/**
 * Parses the answer of a Gmail batch request: a `multipart/mixed` body (boundary taken from the
 * answer's own Content-Type, which differs from the request's) whose parts are whole HTTP
 * responses. Tolerant where real answers vary: CRLF or bare LF line ends, a preamble and an
 * epilogue, transport padding after a delimiter, folded or malformed header lines.
 */

/** Header names lower-cased, as one part or its inner response gave them. */
export type PartHeaders = ReadonlyMap<string, string>

/** One part of a batch answer: the response to one of the calls. */
export interface BatchPartResponse {
  /** The part's Content-ID without angle brackets (`response-item-1`), or `null`. */
  readonly contentId: string | null
  /** The inner response's status, or `null` when the part held no HTTP status line. */
  readonly status: number | null
  /** The inner response's headers. */
  readonly headers: PartHeaders
  /** The inner response's body (JSON for Gmail), trimmed. */
  readonly body: string
}

const BOUNDARY_PARAM = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i
const STATUS_LINE = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b/

/**
 * The boundary named by a `multipart/*` Content-Type, or `null` when there is none.
 *
 * @example
 * ```ts
 * boundaryOf('multipart/mixed; boundary=batch_pK7JBAk73-E=_AA5eFwv4m2Q=') // 'batch_pK7JBAk73-E=_AA5eFwv4m2Q='
 * boundaryOf('application/json') // null
 * ```
 */
export function boundaryOf(contentType: string | null): string | null {
  if (contentType === null || !/^\s*multipart\//i.test(contentType)) return null
  const match = BOUNDARY_PARAM.exec(contentType)
  return match?.[1] ?? match?.[2] ?? null
}

/**
 * Reads header lines up to the first blank line. Continuation lines (starting with a space or
 * tab) extend the previous header; lines without a colon are skipped, since Google's own
 * documentation shows one ("Content-Type application/json").
 */
function readHeaders(lines: readonly string[], start: number): { headers: Map<string, string>; next: number } {
  const headers = new Map<string, string>()
  let last: string | null = null
  let index = start
  for (; index < lines.length; index++) {
    const line = lines[index] ?? ''
    if (line.trim() === '') return { headers, next: index + 1 }
    if (/^[ \t]/.test(line) && last !== null) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`.trim())
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    last = line.slice(0, colon).trim().toLowerCase()
    headers.set(last, line.slice(colon + 1).trim())
  }
  return { headers, next: index }
}

function parsePart(lines: readonly string[]): BatchPartResponse {
  const outer = readHeaders(lines, 0)
  const rawId = outer.headers.get('content-id')
  const contentId = rawId === undefined ? null : rawId.replace(/^<|>$/g, '').trim()
  let index = outer.next
  while (index < lines.length && (lines[index] ?? '').trim() === '') index++
  const status = STATUS_LINE.exec(lines[index] ?? '')
  if (status?.[1] === undefined) {
    return { contentId, status: null, headers: new Map(), body: lines.slice(index).join('\n').trim() }
  }
  const inner = readHeaders(lines, index + 1)
  return {
    contentId,
    status: Number(status[1]),
    headers: inner.headers,
    body: lines.slice(inner.next).join('\n').trim(),
  }
}

/**
 * Splits a batch answer into its parts, in the order they came. Text before the first
 * delimiter (a preamble) and after the closing one is ignored; an answer cut short before its
 * closing delimiter keeps the parts it has.
 *
 * @param body - the answer's body.
 * @param boundary - from the answer's Content-Type ({@link boundaryOf}).
 *
 * @example
 * ```ts
 * const boundary = boundaryOf(response.headers.get('content-type'))
 * for (const part of parseBatchResponse(text, boundary!)) console.log(part.contentId, part.status)
 * ```
 */
export function parseBatchResponse(body: string, boundary: string): BatchPartResponse[] {
  const open = `--${boundary}`
  const close = `--${boundary}--`
  const parts: BatchPartResponse[] = []
  let current: string[] | null = null
  for (const line of body.split(/\r?\n/)) {
    // RFC 2046 allows transport padding (spaces, tabs) after a delimiter.
    const trimmed = line.replace(/[ \t]+$/, '')
    if (trimmed === open || trimmed === close) {
      if (current !== null) parts.push(parsePart(current))
      current = trimmed === close ? null : []
      if (trimmed === close) break
      continue
    }
    current?.push(line)
  }
  if (current?.some((line) => line.trim() !== '') === true) parts.push(parsePart(current))
  return parts
}

/**
 * The request Content-ID a response part answers: `<response-X>` answers `X`.
 *
 * @example
 * ```ts
 * requestContentId('response-item-1') // 'item-1'
 * ```
 */
export function requestContentId(responseContentId: string): string {
  return responseContentId.startsWith('response-') ? responseContentId.slice('response-'.length) : responseContentId
}
