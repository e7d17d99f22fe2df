/**
 * The naive sync's decision to store a message, written the straightforward way: an outside
 * participant whose address, or whose domain, is in the CRM directory, and not spam, trash or
 * a draft. It only has to make the naive sync do the work a real one would (read every
 * message and decide); its count is reported next to the workload's CRM mail.
 */
import type { DirectoryEntry } from 'crm-email-integration'

/** A header of Gmail's `payload.headers`. */
export interface NaiveHeader {
  readonly name: string
  readonly value: string
}

const PARTICIPANT_HEADERS = new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc'])
const EXCLUDED_LABELS = ['SPAM', 'TRASH', 'DRAFT']
/** Domains shared by strangers: matching them by domain would link everyone's personal mail. */
const FREE_MAIL = new Set(['gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'yahoo.com', 'icloud.com', 'me.com', 'aol.com', 'proton.me'])
const ADDRESS = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+\.[a-z0-9-]+/gi

/** Decides from the labels and headers of a message whether the naive sync would store it. */
export type NaiveMatcher = (labelIds: readonly string[], headers: readonly NaiveHeader[]) => boolean

/** Builds the decision over the CRM directory and the team's own domain. */
export function createNaiveMatcher(directory: readonly DirectoryEntry[], workspaceDomain: string): NaiveMatcher {
  const own = workspaceDomain.toLowerCase()
  const emails = new Set(directory.flatMap((e) => e.emails ?? []).map((a) => a.toLowerCase()))
  const domains = new Set(directory.flatMap((e) => e.domains ?? []).map((d) => d.toLowerCase()).filter((d) => !FREE_MAIL.has(d)))
  const domainMatches = (domain: string): boolean => {
    const labels = domain.split('.')
    for (let i = 0; i < labels.length - 1; i++) if (domains.has(labels.slice(i).join('.'))) return true
    return false
  }
  return (labelIds, headers) => {
    if (labelIds.some((l) => EXCLUDED_LABELS.includes(l))) return false
    for (const header of headers) {
      if (!PARTICIPANT_HEADERS.has(header.name.toLowerCase())) continue
      for (const match of header.value.matchAll(ADDRESS)) {
        const address = match[0].toLowerCase()
        const domain = address.slice(address.lastIndexOf('@') + 1)
        if (domain === own || domain.endsWith(`.${own}`)) continue
        if (emails.has(address) || domainMatches(domain)) return true
      }
    }
    return false
  }
}
