/**
 * The audit's reading of messages it cannot account for: their headers (`format=metadata`,
 * batch gets through the account's quota limiter, each message read once per audit), matched
 * and decided as the sync would, so the audit and the sync agree on what CRM mail is.
 */
import { METADATA_HEADERS } from '../../capture/pipeline.js'
import type { MatchIndex } from '../../capture/match/match-index.js'
import { decideCapture, type CaptureSkipReason } from '../../capture/match/policy.js'
import { parseMetadataHeaders } from '../../capture/parse/full.js'
import type { ParsedHeaders } from '../../capture/parse/parsed-email.js'
import type { EmailConfig } from '../../config/index.js'
import type { GmailClient } from '../../gmail/client-types.js'
import type { GmailMessage } from '../../gmail/types.js'

/**
 * Messages read per batch-get call: the readings are kept, the messages are not, so memory
 * stays bounded on a window of any size.
 */
export const READ_CHUNK = 500

/** What a message's headers say. */
export type HeaderReading =
  /** Deleted since it was listed: nothing to report. */
  | { readonly kind: 'gone' }
  /** The headers could not be read (no payload, unparseable). */
  | { readonly kind: 'unreadable'; readonly date: string | null; readonly detail: string }
  /**
   * CRM mail (`crm`), or the policy's reason to skip it. `identities`: the identity keys its
   * From, To, Cc and Bcc addresses link to.
   */
  | { readonly kind: 'read'; readonly date: string | null; readonly crm: boolean; readonly skip: CaptureSkipReason | null; readonly identities: readonly string[] }

/** Reads and remembers the headers of messages of one account. */
export interface HeaderReader {
  /** Reads those of `ids` not read yet (one batch get), then answers from memory. */
  read(ids: readonly string[]): Promise<void>
  /** The reading of an id passed to `read` before; `undefined` otherwise. */
  get(id: string): HeaderReading | undefined
}

/** Gmail's internal date (ms since the epoch, as text) as ISO, or `null`. */
function dateOf(message: GmailMessage): string | null {
  const ms = Number(message.internalDate)
  return message.internalDate === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString()
}

/** The addresses Gmail's address operators search: From, To, Cc and Bcc. */
function searchedAddresses(headers: ParsedHeaders): Set<string> {
  const all = [...(headers.from === null ? [] : [headers.from]), ...headers.to, ...headers.cc, ...headers.bcc]
  return new Set(all.map((a) => a.address.trim().toLowerCase()))
}

/**
 * What the headers of `message` say: matched by `index`, decided by the capture policy, and
 * CRM mail only when the policy captures it and a link comes from a From, To, Cc or Bcc address
 * (a link through Sender or Reply-To alone never makes a message CRM mail, as Gmail's search
 * cannot see those headers; in `all` mode unlinked mail is captured but is not CRM mail).
 *
 * @example
 * ```ts
 * const reading = readingOf(message, index, config)
 * if (reading.kind === 'read' && reading.crm) console.log(reading.identities)
 * ```
 */
export function readingOf(message: GmailMessage, index: MatchIndex, config: Pick<EmailConfig, 'capture'>): HeaderReading {
  const date = dateOf(message)
  const parsed = parseMetadataHeaders(message)
  if (!parsed.ok) return { kind: 'unreadable', date, detail: `headers unreadable: ${parsed.reason}` }
  const match = index.matchHeaders(parsed.value)
  const searched = searchedAddresses(parsed.value)
  const visible = match.links.filter((l) => searched.has(l.address))
  const identities = [...new Set(visible.map((l) => l.identityKey))].sort()
  const decision = decideCapture({ labelIds: message.labelIds ?? [], match, config })
  if (!decision.capture) return { kind: 'read', date, crm: false, skip: decision.reason, identities }
  if (identities.length === 0) return { kind: 'read', date, crm: false, skip: 'unmatched', identities }
  return { kind: 'read', date, crm: true, skip: null, identities }
}

/**
 * A reader of headers over `client`. A message Gmail no longer has (404) reads as `gone`; any
 * other failure of a get rejects, since the audit cannot then say what the message is.
 *
 * @example
 * ```ts
 * const reader = createHeaderReader(client, index, context.config, signal)
 * await reader.read(['18c1f0a2b3c4d5e6'])
 * reader.get('18c1f0a2b3c4d5e6')
 * ```
 */
export function createHeaderReader(client: GmailClient, index: MatchIndex, config: Pick<EmailConfig, 'capture'>, signal?: AbortSignal): HeaderReader {
  const readings = new Map<string, HeaderReading>()
  return {
    async read(ids) {
      const unread = [...new Set(ids)].filter((id) => !readings.has(id))
      for (let start = 0; start < unread.length; start += READ_CHUNK) {
        const chunk = unread.slice(start, start + READ_CHUNK)
        const results = await client.batchGetMessages(chunk, { format: 'metadata', metadataHeaders: [...METADATA_HEADERS], ...(signal === undefined ? {} : { signal }) })
        for (const result of results) {
          if (result.ok) readings.set(result.id, readingOf(result.message, index, config))
          else if (result.error.upstreamStatus === 404) readings.set(result.id, { kind: 'gone' })
          else throw result.error
        }
      }
    },
    get: (id) => readings.get(id),
  }
}
