import { Buffer } from 'node:buffer'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { decodeWords } from 'postal-mime'
import type { GmailHeader, GmailMessage, GmailMessagePart } from '../../src/gmail/types.js'

/** The directory of the mail corpus. */
export const MAIL_FIXTURES_DIR = fileURLToPath(new URL('../fixtures/mail/', import.meta.url))

/** The names of every `.eml` file of the corpus, sorted. */
export function mailFixtureNames(): string[] {
  return readdirSync(MAIL_FIXTURES_DIR)
    .filter((name) => name.endsWith('.eml'))
    .sort()
}

/** The bytes of one fixture of the corpus. */
export function loadMailFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${MAIL_FIXTURES_DIR}${name}`))
}

/*
 * A small, independent MIME splitter that builds the `format=full` tree Gmail would return for
 * a raw message, so tests can check that both readings give the same email. It works on bytes
 * held in latin1 strings (one char per byte), follows RFC 2046 (the line break before a
 * boundary belongs to the boundary) and decodes the transfer encoding like Gmail does.
 */

/** The header ends at a blank line or at the first line that is neither a field nor a continuation. */
function split(bytes: string): { head: string; body: string } {
  const lines = bytes.split(/(?<=\n)/)
  let at = 0
  for (const [i, line] of lines.entries()) {
    const bare = line.replace(/\r?\n$/, '')
    if (bare === '') return { head: bytes.slice(0, at), body: bytes.slice(at + line.length) }
    if (!/^[!-9;-~]+[ \t]*:/.test(bare) && !(i > 0 && /^[ \t]/.test(bare))) return { head: bytes.slice(0, at), body: bytes.slice(at) }
    at += line.length
  }
  return { head: bytes, body: '' }
}

function headersOf(head: string): GmailHeader[] {
  const headers: { name: string; value: string }[] = []
  for (const line of head.split(/\r?\n/)) {
    const last = headers.at(-1)
    if (/^[ \t]/.test(line) && last) last.value += `\r\n${line}`
    else if (line.includes(':')) {
      const at = line.indexOf(':')
      headers.push({ name: line.slice(0, at).trim(), value: line.slice(at + 1).trim() })
    }
  }
  // Header bytes are UTF-8 (RFC 6532); Gmail hands them over as JSON strings.
  return headers.map((h) => ({ name: h.name, value: Buffer.from(h.value, 'latin1').toString('utf8') }))
}

function header(headers: readonly GmailHeader[], name: string): string {
  return headers.find((h) => h.name.toLowerCase() === name)?.value.replace(/\r\n/g, '') ?? ''
}

function param(value: string, name: string): string | null {
  const plain = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value)
  if (plain) return plain[1] ?? plain[2] ?? ''
  const encoded = new RegExp(`;\\s*${name}\\*\\s*=\\s*([^']*)'[^']*'([^;\\s]*)`, 'i').exec(value)
  if (encoded) return decodeURIComponent(encoded[2] ?? '')
  const sections = [...value.matchAll(new RegExp(`;\\s*${name}\\*(\\d+)\\s*=\\s*"([^"]*)"`, 'gi'))]
  return sections.length > 0 ? sections.map((m) => m[2]).join('') : null
}

function decodeTransfer(body: string, encoding: string): Buffer {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')
  if (/quoted-printable/i.test(encoding)) {
    const decoded = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    return Buffer.from(decoded, 'latin1')
  }
  return Buffer.from(body, 'latin1')
}

function partsOf(body: string, boundary: string): string[] {
  const parts: string[] = []
  let current: string[] | null = null
  for (const line of body.split(/(?<=\n)/)) {
    const bare = line.replace(/[ \t]*\r?\n$/, '')
    if (bare === `--${boundary}` || bare === `--${boundary}--`) {
      if (current) parts.push(current.join('').replace(/\r?\n$/, ''))
      current = bare === `--${boundary}` ? [] : null
      if (current === null) return parts
    } else current?.push(line)
  }
  if (current) parts.push(current.join(''))
  return parts
}

function buildPart(bytes: string, partId: string): GmailMessagePart {
  const { head, body } = split(bytes)
  const headers = headersOf(head)
  const contentType = header(headers, 'content-type')
  // A Content-Type that is not type/subtype means text/plain (RFC 2045 5.2).
  const declared = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  const mimeType = /^[^\s/]+\/[^\s/]+$/.test(declared) ? declared : 'text/plain'
  const disposition = header(headers, 'content-disposition')
  const rawName = param(disposition, 'filename') ?? param(contentType, 'name') ?? ''
  const filename = decodeWords(Buffer.from(rawName, 'latin1').toString('utf8'))
  const childId = (i: number): string => (partId === '' ? String(i) : `${partId}.${i}`)
  if (mimeType.startsWith('multipart/')) {
    const boundary = param(contentType, 'boundary') ?? ''
    const parts = partsOf(body, boundary).map((p, i) => buildPart(p, childId(i)))
    return { partId, mimeType, filename, headers, body: { size: 0 }, parts }
  }
  const content = decodeTransfer(body, header(headers, 'content-transfer-encoding'))
  const size = content.byteLength
  const nested = mimeType === 'message/rfc822' ? { parts: [buildPart(content.toString('latin1'), childId(0))] } : {}
  const attachment = filename !== '' || mimeType === 'message/rfc822'
  return {
    partId,
    mimeType,
    filename,
    headers,
    body: attachment ? { attachmentId: `ANGjdJ_${partId || 'root'}`, size } : { size, data: content.toString('base64url') },
    ...nested,
  }
}

/**
 * The `format=full` Gmail message equivalent to a raw message: the part tree with bodies as
 * base64url data, parts with a file name (and nested messages) by attachment id.
 */
export function rawToFullMessage(raw: Uint8Array, meta: { id?: string; internalDate?: string } = {}): GmailMessage {
  return {
    id: meta.id ?? 'msg-1',
    threadId: 'thread-1',
    labelIds: ['INBOX'],
    ...(meta.internalDate === undefined ? {} : { internalDate: meta.internalDate }),
    sizeEstimate: raw.byteLength,
    payload: buildPart(Buffer.from(raw).toString('latin1'), ''),
  }
}

const ALLOWED_SRC = /^(?:cid:|data:image\/(?:png|jpe?g|gif|webp|bmp);)/i
const ALLOWED_HREF = /^(?:https?:|mailto:)/i
const BANNED_TAGS = new Set(['script', 'style', 'iframe', 'frame', 'object', 'embed', 'applet', 'form', 'input', 'button', 'meta', 'base', 'link', 'svg', 'math', 'video', 'audio', 'source', 'template', 'textarea', 'isindex'])
const BANNED_ATTRIBUTES = new Set(['srcset', 'background', 'poster', 'action', 'formaction', 'xlink:href', 'id', 'name', 'class', 'target'])

/**
 * What in sanitised HTML could run or load something: banned tags, handlers, URLs outside the
 * allowed schemes, dangerous styles, links without the enforced rel. Reads tags and quoted
 * attributes the way the sanitiser writes them (text and attribute values are escaped).
 */
export function htmlHazards(html: string): string[] {
  const problems: string[] = []
  if (/<(?![a-z/])/i.test(html)) problems.push('unescaped <')
  const tags = [...html.matchAll(/<([a-z0-9]+)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*\/?>/gi)]
  // Anything that opens a tag but is not in the sanitiser's quoted form is suspect in itself.
  if (tags.length !== [...html.matchAll(/<[a-z]/gi)].length) problems.push('tag not in sanitised form')
  for (const tag of tags) {
    const name = (tag[1] ?? '').toLowerCase()
    if (BANNED_TAGS.has(name)) problems.push(`tag ${name}`)
    const attrs = new Map([...(tag[2] ?? '').matchAll(/([^\s=]+)(?:="([^"]*)")?/g)].map((a) => [(a[1] ?? '').toLowerCase(), a[2] ?? '']))
    for (const [attr, value] of attrs) {
      if (attr.startsWith('on') || BANNED_ATTRIBUTES.has(attr)) problems.push(`attribute ${attr} on ${name}`)
      if (attr === 'src' && !ALLOWED_SRC.test(value)) problems.push(`src ${value}`)
      if (attr === 'href' && !ALLOWED_HREF.test(value)) problems.push(`href ${value}`)
      if (attr === 'style' && /url\(|expression|image-set|position|z-index|javascript/i.test(value)) problems.push(`style ${value}`)
    }
    if (name === 'a' && attrs.get('rel') !== 'noopener noreferrer nofollow') problems.push('a without rel')
  }
  return problems
}
