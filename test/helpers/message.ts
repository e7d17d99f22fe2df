/**
 * The tests' one RFC 822 message builder: headers, a text body with an optional HTML
 * alternative, base64 attachments, multipart as needed, CRLF line ends. Tests whose point is a
 * malformation give the body (`body`) or extra header lines (`headers`) byte for byte.
 */

/** An attached file of a test message. */
export interface TestAttachment {
  readonly filename: string
  /** Default `application/octet-stream`. */
  readonly contentType?: string
  readonly content: Buffer | string
  /**
   * How the name is written: quoted in Content-Type and Content-Disposition (default), or in
   * RFC 2231 form (percent-encoded UTF-8), which carries any name through transport.
   */
  readonly names?: 'quoted' | 'rfc2231'
}

/** What a test message contains; everything has a plain default. */
export interface TestMessage {
  /** Default `Bo Partner <bo@lp.example>`. */
  readonly from?: string
  /** One header value, or addresses joined with `, `. Default `Ann <ann@fund.example>`. */
  readonly to?: string | readonly string[]
  readonly cc?: string | readonly string[]
  readonly bcc?: string | readonly string[]
  readonly replyTo?: string
  /** Default `Test message <n>`. */
  readonly subject?: string
  /** A Date (written as `Thu, 01 Jan 2026 12:00:00 +0000`) or the header value as given. Default 2026-01-01 12:00 UTC. */
  readonly date?: Date | string
  /** Without angle brackets. Default a unique id at lp.example. */
  readonly messageId?: string
  /** Without angle brackets. */
  readonly inReplyTo?: string
  /** Without angle brackets, oldest first. */
  readonly references?: readonly string[]
  /** Further header lines, as given, after the standard ones and before MIME-Version. */
  readonly headers?: readonly string[]
  /** Default `Hello from the test.`. */
  readonly text?: string
  /** Adds an HTML alternative to the text (multipart/alternative). */
  readonly html?: string
  /** Wraps the content in multipart/mixed with these files. */
  readonly attachments?: readonly TestAttachment[]
  /** Makes the MIME boundaries (`alt-<boundary>`, `mixed-<boundary>`) the same for every copy of a message. Default a counter. */
  readonly boundary?: string
  /** The MIME entity after MIME-Version (its Content-Type lines, a blank line, its content), as given: replaces text, html and attachments. */
  readonly body?: string
}

const CRLF = '\r\n'
/** RFC 2045: encoded lines of at most 76 characters. */
const ENCODED_LINE = 76

let counter = 0

function wrapBase64(bytes: Buffer): string {
  return (bytes.toString('base64').match(new RegExp(`.{1,${ENCODED_LINE}}`, 'g')) ?? []).join(CRLF)
}

function textPart(type: 'plain' | 'html', body: string): string {
  return `Content-Type: text/${type}; charset=UTF-8${CRLF}Content-Transfer-Encoding: 8bit${CRLF}${CRLF}${body}`
}

function multipart(subtype: string, boundary: string, parts: readonly string[]): string {
  const body = parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join('')
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"${CRLF}${CRLF}This is a multi-part message.${CRLF}${body}--${boundary}--${CRLF}`
}

function attachmentPart(file: TestAttachment): string {
  const type = file.contentType ?? 'application/octet-stream'
  const named = file.names === 'rfc2231'
    ? [`Content-Type: ${type}`, `Content-Disposition: attachment; filename*=UTF-8''${[...Buffer.from(file.filename, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`]
    : [`Content-Type: ${type}; name="${file.filename}"`, `Content-Disposition: attachment; filename="${file.filename}"`]
  const bytes = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content)
  return [...named, 'Content-Transfer-Encoding: base64', '', wrapBase64(bytes)].join(CRLF)
}

const addressList = (value: string | readonly string[]): string => (typeof value === 'string' ? value : value.join(', '))

/** The `Date` header value of a Date, with RFC 5322's numeric zone: `Thu, 01 Jan 2026 12:00:00 +0000`. */
const rfc822Date = (date: Date): string => date.toUTCString().replace('GMT', '+0000')

/**
 * Builds an RFC 822 message (CRLF line ends): a single text part, or multipart/alternative
 * when there is HTML too, wrapped in multipart/mixed when there are attachments.
 *
 * @example
 * emu.addMessage('ann@fund.example', buildMessage({ from: 'dana@acme.vc', to: ['ann@fund.example'], subject: 'Deck',
 *   attachments: [{ filename: 'deck.pdf', contentType: 'application/pdf', content: deckBytes }] }))
 */
export function buildMessage(spec: TestMessage = {}): string {
  counter++
  const optional = (name: string, value: string | readonly string[] | undefined): string[] =>
    value === undefined ? [] : [`${name}: ${addressList(value)}`]
  const headers = [
    `From: ${spec.from ?? 'Bo Partner <bo@lp.example>'}`,
    `To: ${addressList(spec.to ?? 'Ann <ann@fund.example>')}`,
    ...optional('Cc', spec.cc),
    ...optional('Bcc', spec.bcc),
    ...optional('Reply-To', spec.replyTo),
    `Subject: ${spec.subject ?? `Test message ${counter}`}`,
    `Date: ${typeof spec.date === 'string' ? spec.date : rfc822Date(spec.date ?? new Date(Date.UTC(2026, 0, 1, 12)))}`,
    `Message-ID: <${spec.messageId ?? `m${counter}.${Date.now()}@lp.example`}>`,
    ...(spec.inReplyTo === undefined ? [] : [`In-Reply-To: <${spec.inReplyTo}>`]),
    ...(spec.references === undefined ? [] : [`References: ${spec.references.map((r) => `<${r}>`).join(' ')}`]),
    ...(spec.headers ?? []),
    'MIME-Version: 1.0',
  ]
  if (spec.body !== undefined) return `${headers.join(CRLF)}${CRLF}${spec.body}`
  const text = spec.text ?? 'Hello from the test.'
  const boundary = spec.boundary ?? String(counter)
  let body = spec.html === undefined
    ? textPart('plain', text)
    : multipart('alternative', `alt-${boundary}`, [textPart('plain', text), textPart('html', spec.html)])
  if (spec.attachments !== undefined && spec.attachments.length > 0) {
    body = multipart('mixed', `mixed-${boundary}`, [body, ...spec.attachments.map(attachmentPart)])
  }
  return `${headers.join(CRLF)}${CRLF}${body}`
}

/**
 * A message whose MIME is nested `depth` multipart levels deep around one text part: CRM mail
 * by its headers that a parser with a nesting limit below `depth` refuses, every time.
 *
 * @example
 * emu.addMessage(ANN, nestedMessage(300, { from: 'dana@acme.vc', to: ANN, subject: 'Nested', messageId: 'deep@acme.vc' }))
 */
export function nestedMessage(depth: number, spec: Omit<TestMessage, 'body' | 'text' | 'html' | 'attachments'>): string {
  let body = `Content-Type: text/plain${CRLF}${CRLF}core${CRLF}`
  for (let i = 0; i < depth; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"${CRLF}${CRLF}--b${i}${CRLF}${body}--b${i}--${CRLF}`
  return buildMessage({ ...spec, body })
}
