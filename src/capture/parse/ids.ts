import { MAX_MESSAGE_ID_LENGTH, MAX_REFERENCES } from './limits.js'

/*
 * Message-IDs are kept as the exact text between the angle brackets, trimmed, so that an id
 * read from one message's Message-ID compares equal to the same id in another message's
 * References. Nothing else is normalised: two ids that differ in case are different ids.
 */

const BRACKETED = /<([^<>]*)>/g

/** The ids a header value holds: everything in angle brackets, or bare tokens when it has none. */
function idsIn(value: string): string[] {
  const ids: string[] = []
  for (const match of value.matchAll(BRACKETED)) {
    const id = clean(match[1] ?? '')
    if (id !== null) ids.push(id)
  }
  if (ids.length > 0 || value.includes('<')) return ids
  // Some mailers drop the brackets; only a token that looks like an id is taken then, so
  // free text such as `In-Reply-To: your message of Monday` yields nothing.
  for (const token of value.split(/[\s,]+/)) {
    const id = token.includes('@') ? clean(token) : null
    if (id !== null) ids.push(id)
  }
  return ids
}

function clean(raw: string): string | null {
  const id = raw.replace(/\0/g, '').trim()
  // Counted in UTF-8 bytes: the limit protects index entries (PostgreSQL's are byte-limited).
  return id === '' || Buffer.byteLength(id, 'utf8') > MAX_MESSAGE_ID_LENGTH ? null : id
}

/**
 * The Message-ID of a `Message-ID` (or `In-Reply-To`) header value without its brackets, or
 * `null` when the value holds none. When several ids are present the first one wins.
 *
 * @example
 * ```ts
 * parseMessageId(' <abc@mail.example> ') // 'abc@mail.example'
 * parseMessageId('abc@mail.example')     // 'abc@mail.example' (brackets missing)
 * parseMessageId('<>')                   // null
 * ```
 */
export function parseMessageId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const bare = value.trim()
  // A Message-ID without brackets is taken whole, even without an '@', as long as it is one token.
  if (!bare.includes('<') && bare !== '' && !/\s/.test(bare)) return clean(bare)
  return idsIn(value)[0] ?? null
}

/**
 * The ids of a `References` header value, oldest first, without brackets or duplicates and
 * ignoring whatever stands between them. Past {@link MAX_REFERENCES} the first id (the thread's
 * root) and the most recent ones are kept.
 *
 * @example
 * ```ts
 * parseMessageIdList('<a@x> <b@x>,<c@x> (garbage) <a@x>') // ['a@x', 'b@x', 'c@x']
 * ```
 */
export function parseMessageIdList(value: string | null | undefined): string[] {
  if (value === null || value === undefined) return []
  const ids = [...new Set(idsIn(value))]
  if (ids.length <= MAX_REFERENCES) return ids
  return [ids[0] ?? '', ...ids.slice(ids.length - (MAX_REFERENCES - 1))]
}
