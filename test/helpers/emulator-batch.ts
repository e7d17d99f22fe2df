/** One part of a batch to send. */
export interface BatchCall {
  readonly id: string
  readonly path: string
  readonly authorization?: string
}

/** One part of a parsed batch answer. */
export interface BatchAnswerPart {
  readonly contentId: string | null
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: unknown
}

/** Writes a batch body the way Google's batching guide shows it. */
export function batchBody(boundary: string, calls: readonly BatchCall[]): string {
  const parts = calls.map((call) => {
    const auth = call.authorization === undefined ? '' : `Authorization: ${call.authorization}\r\n`
    return `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <${call.id}>\r\n\r\nGET ${call.path}\r\n${auth}\r\n`
  })
  return `${parts.join('')}--${boundary}--\r\n`
}

/** Splits a multipart/mixed batch answer into its inner HTTP responses. */
export function parseBatchAnswer(contentType: string, text: string): BatchAnswerPart[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2]
  if (boundary === undefined) throw new Error(`no boundary in ${contentType}`)
  const chunks = text.split(`--${boundary}`).slice(1)
  const closing = chunks.pop()
  if (closing?.startsWith('--') !== true) throw new Error('missing closing delimiter')
  return chunks.map((chunk) => {
    const [mimeHead = '', http = ''] = chunk.replace(/^\r\n/, '').split(/\r\n\r\n(.*)/s)
    const contentId = /^Content-ID: <(.*)>$/im.exec(mimeHead)?.[1] ?? null
    const [head = '', body = ''] = http.split(/\r\n\r\n(.*)/s)
    const [statusLine = '', ...headerLines] = head.split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1])
    const length = Number(headers['content-length'])
    return { contentId, status, headers, body: JSON.parse(Buffer.from(body).subarray(0, length).toString()) as unknown }
  })
}
