/** An attachment of a test message. */
export interface TestAttachment {
  readonly filename: string
  readonly contentType: string
  readonly content: Buffer | string
}

/** What a test message contains; everything has a plain default. */
export interface TestMessage {
  readonly from?: string
  readonly to?: string
  readonly subject?: string
  readonly date?: Date
  readonly messageId?: string
  readonly inReplyTo?: string
  readonly references?: readonly string[]
  readonly text?: string
  readonly html?: string
  readonly attachments?: readonly TestAttachment[]
}

let counter = 0

function wrapBase64(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')
}

function textPart(type: 'plain' | 'html', body: string): string {
  return `Content-Type: text/${type}; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`
}

function multipart(subtype: string, boundary: string, parts: readonly string[]): string {
  const body = parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\nThis is a multi-part message.\r\n${body}--${boundary}--\r\n`
}

/**
 * Builds an RFC 822 message (CRLF line ends): a single text part, or multipart/alternative
 * when there is HTML too, wrapped in multipart/mixed when there are attachments.
 */
export function buildMessage(spec: TestMessage = {}): string {
  counter++
  const headers = [
    `From: ${spec.from ?? 'Bo Partner <bo@lp.example>'}`,
    `To: ${spec.to ?? 'Ann <ann@fund.example>'}`,
    `Subject: ${spec.subject ?? `Test message ${counter}`}`,
    `Date: ${(spec.date ?? new Date(Date.UTC(2026, 0, 1, 12))).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${spec.messageId ?? `m${counter}.${Date.now()}@lp.example`}>`,
    ...(spec.inReplyTo === undefined ? [] : [`In-Reply-To: <${spec.inReplyTo}>`]),
    ...(spec.references === undefined ? [] : [`References: ${spec.references.map((r) => `<${r}>`).join(' ')}`]),
    'MIME-Version: 1.0',
  ]
  const text = spec.text ?? 'Hello from the test.'
  let body = spec.html === undefined
    ? textPart('plain', text)
    : multipart('alternative', `alt-${counter}`, [textPart('plain', text), textPart('html', spec.html)])
  if (spec.attachments !== undefined && spec.attachments.length > 0) {
    const files = spec.attachments.map((a) =>
      `Content-Type: ${a.contentType}; name="${a.filename}"\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${wrapBase64(Buffer.isBuffer(a.content) ? a.content : Buffer.from(a.content))}`)
    body = multipart('mixed', `mixed-${counter}`, [body, ...files])
  }
  return `${headers.join('\r\n')}\r\n${body}`
}
