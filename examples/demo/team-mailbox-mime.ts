/**
 * RFC 5322 / MIME assembly for the generated mailbox, written the way common mail clients
 * write it: RFC 2047 encoded words for non-ASCII names and subjects, quoted-printable text
 * that is not plain ASCII, multipart/alternative for HTML, multipart/mixed with base64
 * attachments, folded header lines. The output is pure ASCII with CRLF line ends.
 */
import { rfc5322Date } from './team-mailbox-dates.js'

/** A name and an address, as in `From: Ann Marsh <ann@larkmoor.example>`. */
export interface MailAddress {
  readonly name: string
  readonly address: string
}

/** A file attached to a message. */
export interface MailAttachment {
  readonly filename: string
  readonly contentType: string
  readonly content: Buffer
}

/** Everything a message is made of; {@link buildRawMessage} turns it into RFC 822 text. */
export interface MailContent {
  readonly from: MailAddress
  readonly to: readonly MailAddress[]
  readonly cc: readonly MailAddress[]
  readonly subject: string
  /** Epoch milliseconds. */
  readonly date: number
  /** Without angle brackets. */
  readonly messageId: string
  /** The thread's Message-IDs, oldest first; the last one is the parent (In-Reply-To). */
  readonly references: readonly string[]
  readonly text: string
  /** The HTML alternative, or null for a text-only message. */
  readonly html: string | null
  readonly attachments: readonly MailAttachment[]
  /** Further headers in order (List-Id, List-Unsubscribe, ...); values must be ASCII. */
  readonly headers?: readonly (readonly [string, string])[]
  /** Makes the MIME boundaries unique to the message (hex digits). */
  readonly boundary: string
}

/** RFC 5322 recommends header lines of at most 78 characters. */
const HEADER_LINE = 78
/** RFC 2045: encoded lines (quoted-printable, base64) of at most 76 characters. */
const ENCODED_LINE = 76
/** Bytes of UTF-8 per encoded word: 45 bytes are 60 base64 characters, within RFC 2047's 75. */
const ENCODED_WORD_BYTES = 45
/** RFC 5322's hard limit on a line; longer text lines are sent quoted-printable. */
const MAX_LINE = 998
const CRLF = '\r\n'

const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s)

/** RFC 2047 B-encoded words, split on character boundaries, folded onto continuation lines. */
export function encodeWords(text: string): string {
  const words: string[] = []
  let chunk = ''
  for (const char of text) {
    if (Buffer.byteLength(chunk + char) > ENCODED_WORD_BYTES) {
      words.push(chunk)
      chunk = ''
    }
    chunk += char
  }
  if (chunk !== '') words.push(chunk)
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `)
}

/** A display name as a quoted string, an atom run, or encoded words. */
function displayName(name: string): string {
  if (!isAscii(name)) return encodeWords(name)
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`
}

/** One mailbox in header form. */
export function formatAddress(a: MailAddress): string {
  return a.name === '' ? a.address : `${displayName(a.name)} <${a.address}>`
}

/** `Name: item, item, ...`, breaking after a separator before a line grows past 78 characters. */
function listHeader(name: string, items: readonly string[], separator = ','): string {
  let out = `${name}:`
  let line = out.length
  items.forEach((item, i) => {
    const head = item.split(CRLF)[0] ?? item
    const tail = item.slice(item.lastIndexOf(CRLF) + 2)
    const sep = i === 0 ? '' : separator
    if (i > 0 && line + sep.length + 1 + head.length > HEADER_LINE) {
      out += `${sep}${CRLF} ${item}`
      line = item.includes(CRLF) ? tail.length : 1 + item.length
    } else {
      out += `${sep} ${item}`
      line = item.includes(CRLF) ? tail.length : line + sep.length + 1 + item.length
    }
  })
  return out
}

/** An unstructured header (Subject), encoded when not ASCII, folded at spaces when long. */
function textHeader(name: string, value: string): string {
  return isAscii(value) ? listHeader(name, value.split(' '), '') : `${name}: ${encodeWords(value)}`
}

/** Quoted-printable (RFC 2045 §6.7) over the UTF-8 bytes of each line. */
export function quotedPrintable(text: string): string {
  return text.split('\n').map((line) => {
    const bytes = Buffer.from(line, 'utf8')
    const tokens: string[] = []
    bytes.forEach((b, i) => {
      const last = i === bytes.length - 1
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last)
      tokens.push(literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)
    })
    const out: string[] = []
    let current = ''
    for (const token of tokens) {
      if (current.length + token.length > ENCODED_LINE - 1) {
        out.push(`${current}=`)
        current = ''
      }
      current += token
    }
    out.push(current)
    return out.join(CRLF)
  }).join(CRLF)
}

function base64Lines(content: Buffer): string {
  const b64 = content.toString('base64')
  const lines: string[] = []
  for (let i = 0; i < b64.length; i += ENCODED_LINE) lines.push(b64.slice(i, i + ENCODED_LINE))
  return lines.join(CRLF)
}

/** A text part: 7bit when it is short-lined ASCII, quoted-printable otherwise. */
function textPart(subtype: 'plain' | 'html', body: string): string {
  const normalized = body.replace(/\r\n/g, '\n')
  const plain = normalized.split('\n').every((l) => isAscii(l) && l.length <= MAX_LINE)
  return [
    `Content-Type: text/${subtype}; charset="UTF-8"`,
    `Content-Transfer-Encoding: ${plain ? '7bit' : 'quoted-printable'}`,
    '',
    plain ? normalized.split('\n').join(CRLF) : quotedPrintable(normalized),
  ].join(CRLF)
}

function attachmentPart(a: MailAttachment): string {
  const ascii = isAscii(a.filename) && !/["\\]/.test(a.filename)
  const name = ascii ? `"${a.filename}"` : `"${encodeWords(a.filename).replace(/\r\n /g, ' ')}"`
  const disposition = ascii
    ? `attachment; filename="${a.filename}"`
    : `attachment;${CRLF} filename*=UTF-8''${encodeURIComponent(a.filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`
  return [
    `Content-Type: ${a.contentType}; name=${name}`,
    `Content-Disposition: ${disposition}`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(a.content),
  ].join(CRLF)
}

function multipart(subtype: 'alternative' | 'mixed', boundary: string, parts: readonly string[]): string {
  return [
    `Content-Type: multipart/${subtype}; boundary="${boundary}"`,
    '',
    ...parts.map((p) => `--${boundary}${CRLF}${p}`),
    `--${boundary}--`,
    '',
  ].join(CRLF)
}

/** The message as RFC 822 text (ASCII, CRLF). */
export function buildRawMessage(mail: MailContent): string {
  const headers: string[] = [
    'MIME-Version: 1.0',
    `Date: ${rfc5322Date(mail.date)}`,
    `Message-ID: <${mail.messageId}>`,
  ]
  const parent = mail.references[mail.references.length - 1]
  if (parent !== undefined) {
    headers.push(`In-Reply-To: <${parent}>`)
    headers.push(listHeader('References', mail.references.map((id) => `<${id}>`), ''))
  }
  headers.push(textHeader('Subject', mail.subject))
  headers.push(listHeader('From', [formatAddress(mail.from)]))
  if (mail.to.length > 0) headers.push(listHeader('To', mail.to.map(formatAddress)))
  if (mail.cc.length > 0) headers.push(listHeader('Cc', mail.cc.map(formatAddress)))
  for (const [name, value] of mail.headers ?? []) headers.push(`${name}: ${value}`)

  let body = mail.html === null
    ? textPart('plain', mail.text)
    : multipart('alternative', `000000000000${mail.boundary}a`, [textPart('plain', mail.text), textPart('html', mail.html)])
  if (mail.attachments.length > 0) {
    body = multipart('mixed', `000000000000${mail.boundary}m`, [body, ...mail.attachments.map(attachmentPart)])
  }
  return `${headers.join(CRLF)}${CRLF}${body}`
}
