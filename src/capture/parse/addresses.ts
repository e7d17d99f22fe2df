import { addressParser, type Address } from 'postal-mime'
import { normalizeAddress } from '../../address.js'
import type { ParsedAddress } from './parsed-email.js'
import { MAX_ADDRESSES_PER_FIELD } from './limits.js'
import { repairC1 } from './text.js'

/*
 * postal-mime's addressParser does the RFC 5322 work (quoted names, comments, groups, RFC 2047
 * encoded names); this module decides which of its results are addresses the CRM can use.
 */

function* mailboxes(list: readonly Address[]): Generator<{ name: string; address: string }> {
  for (const entry of list) {
    // Groups are flattened: `Team: a@x, b@x;` is two recipients. addressParser already bounds
    // how deeply groups nest, so this recursion is bounded too.
    if (entry.group !== undefined) yield* mailboxes(entry.group)
    else yield { name: entry.name, address: entry.address }
  }
}

function toParsed(name: string, address: string): ParsedAddress | null {
  const normalized = normalizeAddress(address)
  if (normalized === null) return null
  const cleanName = repairC1(name.replace(/\0/g, '')).trim()
  // Some mailers repeat the address as the name; that is no name at all.
  return { address: normalized, name: cleanName === '' || cleanName.toLowerCase() === normalized ? null : cleanName }
}

function parseValue(value: string): readonly Address[] {
  try {
    return addressParser(value)
  } catch {
    // addressParser is not documented to throw; a hostile header must not take the message down.
    return []
  }
}

/**
 * The mailboxes of one or more occurrences of an address header (To, Cc, Bcc, Reply-To), in
 * order, groups flattened, addresses lower-cased; invalid addresses are dropped and a mailbox
 * listed twice is kept once. Past {@link MAX_ADDRESSES_PER_FIELD} the rest is ignored.
 *
 * @example
 * ```ts
 * parseAddressList(['=?UTF-8?Q?J=C3=B6rg?= <Joerg@Fund.Example>, broken@, Team: b@x.example;'])
 * // [{ address: 'joerg@fund.example', name: 'Jörg' }, { address: 'b@x.example', name: null }]
 * ```
 */
export function parseAddressList(values: readonly string[]): ParsedAddress[] {
  const result: ParsedAddress[] = []
  const seen = new Set<string>()
  for (const value of values) {
    for (const mailbox of mailboxes(parseValue(value))) {
      const parsed = toParsed(mailbox.name, mailbox.address)
      if (parsed === null || seen.has(parsed.address)) continue
      seen.add(parsed.address)
      result.push(parsed)
      if (result.length >= MAX_ADDRESSES_PER_FIELD) return result
    }
  }
  return result
}

/**
 * The first usable mailbox of a From or Sender header, or `null`. An invalid first mailbox is
 * skipped in favour of a valid later one.
 *
 * @example
 * ```ts
 * parseMailbox('"Ann Lee" <Ann@Fund.Example>') // { address: 'ann@fund.example', name: 'Ann Lee' }
 * ```
 */
export function parseMailbox(value: string | null | undefined): ParsedAddress | null {
  if (value === null || value === undefined) return null
  for (const mailbox of mailboxes(parseValue(value))) {
    const parsed = toParsed(mailbox.name, mailbox.address)
    if (parsed !== null) return parsed
  }
  return null
}
