/**
 * What the emulator's search reads of a message, computed once when the message is added so
 * that a query over a mailbox of tens of thousands of messages never re-parses MIME.
 */
import { parseAddressList } from './address-list.js'
import { decodeText, parseRawHeaders, splitHeaders } from './mime-headers.js'
import { walkMime } from './mime.js'
import type { MimeNode } from './mime.js'
import { htmlToText } from './payload.js'

/**
 * Text indexed per message, in characters: enough for any test message, and a bound on the
 * memory a mailbox of 50,000 messages with large text bodies takes. Words past it are not found.
 */
export const MAX_INDEXED_TEXT_CHARS = 1_000_000

/** The addresses of the headers search operators read, lower-cased, in header order. */
export interface SearchAddresses {
  readonly from: readonly string[]
  readonly to: readonly string[]
  readonly cc: readonly string[]
  readonly bcc: readonly string[]
  readonly deliveredTo: readonly string[]
}

/** The precomputed search fields of one message. */
export interface SearchFields {
  readonly addresses: SearchAddresses
  /** The size of the raw message in bytes (what `larger:` and `smaller:` compare). */
  readonly size: number
  /**
   * Every address operator's value that matches the message, as `<field>:<value>`: each
   * address (`from:jo@mail.acme.com`) and each domain it lies in (`from:mail.acme.com`,
   * `from:acme.com`), so an address or domain term is one set lookup.
   */
  readonly addressKeys: ReadonlySet<string>
  /** Whether some part is an attachment (a filename, or `Content-Disposition: attachment`). */
  readonly hasAttachment: boolean
  /**
   * Lower-cased full text, whitespace collapsed: the subject, the text bodies (the HTML ones'
   * text when there is no plain one), and the addresses and display names of the headers above.
   */
  readonly text: string
}

const ADDRESS_HEADERS: Readonly<Record<string, keyof SearchAddresses>> = {
  from: 'from', to: 'to', cc: 'cc', bcc: 'bcc', 'delivered-to': 'deliveredTo',
}

function bodyText(root: MimeNode): string {
  const leaves = walkMime(root).filter((n) => n.children.length === 0 && !n.isAttachment)
  const plain = leaves.filter((n) => n.mimeType === 'text/plain')
  if (plain.length > 0) return plain.map((n) => decodeText(n.body, n.charset)).join(' ')
  return leaves.filter((n) => n.mimeType === 'text/html').map((n) => htmlToText(decodeText(n.body, n.charset))).join(' ')
}

/**
 * The keys of one address under one field: the address, its domain, and each parent domain
 * of at least two labels (a one-label value such as `com` is not a domain search terms use).
 */
function keysOf(field: keyof SearchAddresses, address: string): string[] {
  const keys = [`${field}:${address}`]
  const labels = address.slice(address.lastIndexOf('@') + 1).split('.')
  for (let i = 0; i < labels.length - 1; i++) keys.push(`${field}:${labels.slice(i).join('.')}`)
  return keys
}

/**
 * Computes a message's search fields from its bytes and its parsed tree. Addresses come from
 * the raw headers (a header may repeat, e.g. Delivered-To); the subject from the decoded ones.
 *
 * @example
 * ```ts
 * const raw = Buffer.from('From: Bo <BO@lp.example>\r\nSubject: Hi\r\n\r\nHello')
 * searchFieldsOf(raw, parseMime(raw)).addresses.from // ['bo@lp.example']
 * ```
 */
export function searchFieldsOf(raw: Buffer, root: MimeNode): SearchFields {
  const lists: Record<keyof SearchAddresses, string[]> = { from: [], to: [], cc: [], bcc: [], deliveredTo: [] }
  const names: string[] = []
  for (const h of parseRawHeaders(splitHeaders(raw.toString('latin1')).header)) {
    const field = ADDRESS_HEADERS[h.name.toLowerCase()]
    if (field === undefined) continue
    for (const listed of parseAddressList(h.value)) {
      lists[field].push(listed.address)
      names.push(listed.name, listed.address)
    }
  }
  const subject = root.headers.find((h) => h.name.toLowerCase() === 'subject')?.value ?? ''
  const text = [subject, bodyText(root), ...names].join(' ').replace(/\s+/g, ' ').trim().toLowerCase()
  const addressKeys = new Set<string>()
  for (const field of Object.values(ADDRESS_HEADERS)) for (const a of lists[field]) for (const k of keysOf(field, a)) addressKeys.add(k)
  return {
    addresses: lists,
    addressKeys,
    size: raw.length,
    hasAttachment: walkMime(root).some((n) => n.children.length === 0 && n.isAttachment),
    text: text.slice(0, MAX_INDEXED_TEXT_CHARS),
  }
}
