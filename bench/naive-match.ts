/**
 * The naive sync's decision to store a message, written the straightforward way: an outside
 * address in From, To, Cc or Bcc that, or whose domain, is in the CRM directory, no address on
 * the host's blocklist, and not spam, trash or a draft. It only has to make the naive sync do the work a real one would (read every
 * message and decide); its count is reported next to the workload's CRM mail.
 */
import type { DirectoryEntry } from 'crm-email-integration'

/** A header of Gmail's `payload.headers`. */
export interface NaiveHeader {
  readonly name: string
  readonly value: string
}

/** What makes CRM mail (SPEC §6): Sender and Reply-To alone do not. */
const PARTICIPANT_HEADERS = new Set(['from', 'to', 'cc', 'bcc'])
const EXCLUDED_LABELS = ['SPAM', 'TRASH', 'DRAFT']
/** Domains shared by strangers: matching them by domain would link everyone's personal mail. */
const FREE_MAIL = new Set(['gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'yahoo.com', 'icloud.com', 'me.com', 'aol.com', 'proton.me'])
const ADDRESS = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+\.[a-z0-9-]+/gi

/** Decides from the labels and headers of a message whether the naive sync would store it. */
export type NaiveMatcher = (labelIds: readonly string[], headers: readonly NaiveHeader[]) => boolean

/**
 * Builds the decision over the CRM directory, the team's own domain and the blocklisted addresses.
 *
 * @example
 * ```ts
 * const decide = createNaiveMatcher(directory, 'larkmoor.example', ['alerts@ferrovia.example'])
 * decide(['INBOX'], [{ name: 'From', value: 'Maya <maya@quillstack.example>' }]) // true
 * ```
 */
export function createNaiveMatcher(directory: readonly DirectoryEntry[], workspaceDomain: string, blocked: readonly string[]): NaiveMatcher {
  const own = workspaceDomain.toLowerCase()
  const blocklist = new Set(blocked.map((a) => a.toLowerCase()))
  const emails = new Set(directory.flatMap((e) => e.emails ?? []).map((a) => a.toLowerCase()))
  const domains = new Set(directory.flatMap((e) => e.domains ?? []).map((d) => d.toLowerCase()).filter((d) => !FREE_MAIL.has(d)))
  const domainMatches = (domain: string): boolean => {
    const labels = domain.split('.')
    for (let i = 0; i < labels.length - 1; i++) if (domains.has(labels.slice(i).join('.'))) return true
    return false
  }
  return (labelIds, headers) => {
    if (labelIds.some((l) => EXCLUDED_LABELS.includes(l))) return false
    let matched = false
    for (const header of headers) {
      if (!PARTICIPANT_HEADERS.has(header.name.toLowerCase())) continue
      for (const match of header.value.matchAll(ADDRESS)) {
        const address = match[0].toLowerCase()
        const domain = address.slice(address.lastIndexOf('@') + 1)
        if (blocklist.has(address)) return false
        if (domain === own || domain.endsWith(`.${own}`)) continue
        if (emails.has(address) || domainMatches(domain)) matched = true
      }
    }
    return matched
  }
}
