/**
 * Address lists of the emulator's search index: the mailboxes of From, To, Cc, Bcc and
 * Delivered-To as RFC 5322 writes them (display names, quoted strings, comments, angle
 * addresses, groups), read from the raw header value so that an RFC 2047 encoded name that
 * decodes to a comma or an angle bracket never splits or forges an address.
 */
import { decodeHeaderValue } from './mime-headers.js'

/** One mailbox of an address list: the address lower-cased, the display name decoded. */
export interface ListedAddress {
  readonly address: string
  readonly name: string
}

/** Comments nest (RFC 5322 3.2.2); deeper nesting is treated as closed, bounding the scan. */
const MAX_COMMENT_DEPTH = 32

/** The characters that end a run of phrase text. */
const SPECIALS = '"(<,;:'
const SPECIAL = /["(<,;:]/g

interface Cursor {
  readonly raw: string
  at: number
}

/** Reads a quoted string from its opening quote; returns its content, escapes removed. */
function readQuoted(cursor: Cursor): string {
  let text = ''
  cursor.at++
  while (cursor.at < cursor.raw.length) {
    const c = cursor.raw.charAt(cursor.at++)
    if (c === '"') return text
    if (c === '\\' && cursor.at < cursor.raw.length) text += cursor.raw.charAt(cursor.at++)
    else text += c
  }
  return text
}

/** Skips a comment from its opening parenthesis, nested comments and quoted pairs included. */
function skipComment(cursor: Cursor): void {
  let depth = 0
  while (cursor.at < cursor.raw.length) {
    const c = cursor.raw.charAt(cursor.at++)
    if (c === '\\') cursor.at++
    else if (c === '(') depth = Math.min(depth + 1, MAX_COMMENT_DEPTH)
    else if (c === ')' && --depth === 0) return
  }
}

/** Reads an angle address from `<`; a source route (`<@relay:a@b>`) is dropped. */
function readAngle(cursor: Cursor): string {
  const end = cursor.raw.indexOf('>', cursor.at)
  const inner = cursor.raw.slice(cursor.at + 1, end === -1 ? cursor.raw.length : end)
  cursor.at = end === -1 ? cursor.raw.length : end + 1
  return inner.replace(/^\s*@[^:]*:/, '').trim()
}

/** Decodes only what needs it: most header text has no encoded word and no 8-bit byte. */
function decoded(text: string): string {
  return /=\?|[\x80-\xff]/.test(text) ? decodeHeaderValue(text) : text
}

function mailboxOf(phrase: string, angle: string | null): ListedAddress | null {
  const text = phrase.replace(/\s+/g, ' ').trim()
  if (angle !== null) {
    const address = decoded(angle).replace(/\s+/g, '').toLowerCase()
    return address.includes('@') ? { address, name: decoded(text) } : null
  }
  // A bare addr-spec; words around it (a broken list) are not part of the address.
  const bare = text.split(' ').find((word) => word.includes('@'))
  return bare === undefined ? null : { address: decoded(bare).toLowerCase(), name: '' }
}

/**
 * Parses a raw (still encoded) address-list header value into its mailboxes; a group
 * (`Team: a@x, b@y;`) gives its members, its name is dropped.
 *
 * @example
 * ```ts
 * parseAddressList('=?UTF-8?Q?Doe=2C_Jo?= <JO@Acme.example>, Team: a@x.example;')
 * // [{ address: 'jo@acme.example', name: 'Doe, Jo' }, { address: 'a@x.example', name: '' }]
 * ```
 */
export function parseAddressList(raw: string): ListedAddress[] {
  const found: ListedAddress[] = []
  const cursor: Cursor = { raw, at: 0 }
  let phrase = ''
  let angle: string | null = null
  let inGroup = false
  const flush = (): void => {
    const mailbox = mailboxOf(phrase, angle)
    if (mailbox !== null) found.push(mailbox)
    phrase = ''
    angle = null
  }
  while (cursor.at < raw.length) {
    const c = raw.charAt(cursor.at)
    if (c === '"') phrase += readQuoted(cursor)
    else if (c === '(') {
      skipComment(cursor)
      phrase += ' '
    } else if (c === '<') angle = readAngle(cursor)
    else if (!SPECIALS.includes(c)) {
      // A run of ordinary characters joins the phrase in one step.
      SPECIAL.lastIndex = cursor.at
      const end = SPECIAL.exec(raw)?.index ?? raw.length
      phrase += raw.slice(cursor.at, end)
      cursor.at = end
    } else {
      cursor.at++
      if (c === ',') flush()
      else if (c === ';' && inGroup) {
        flush()
        inGroup = false
      } else if (c === ':' && angle === null && !inGroup) {
        // The phrase so far named a group; its members follow.
        phrase = ''
        inGroup = true
      } else phrase += c
    }
  }
  flush()
  return found
}
