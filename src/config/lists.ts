import { normalizeAddress } from '../address.js'
import type { QuotaCosts } from './types.js'
import { fail, isPlainObject, ok, type Parsed, type Parser } from './values.js'

/** DNS limits (RFC 1035): a label is at most 63 octets, a whole name at most 253 characters. */
const MAX_DOMAIN_LENGTH = 253
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
/** RFC 5321's limit on the local part of an address. */
const MAX_LOCAL_PART_LENGTH = 64

/** The Gmail quota cost table in force from 2026. */
export const QUOTA_COSTS_2026: QuotaCosts = Object.freeze({ get: 20, list: 5, history: 2, profile: 1, attachment: 20 })
/** The cost table Google documented before 2026. */
export const QUOTA_COSTS_LEGACY: QuotaCosts = Object.freeze({ get: 5, list: 5, history: 2, profile: 1, attachment: 5 })
/** No single call can cost more than Gmail's whole per-user budget of 250 units per second. */
const MAX_QUOTA_COST = 250
const QUOTA_METHODS = Object.keys(QUOTA_COSTS_2026) as readonly (keyof QuotaCosts)[]

/** A lowercase domain name with at least two labels and no trailing dot, or `null`. */
export function normalizeDomain(entry: string): string | null {
  const domain = entry.toLowerCase().replace(/\.$/, '')
  if (domain.length > MAX_DOMAIN_LENGTH) return null
  const labels = domain.split('.')
  const tld = labels.at(-1) ?? ''
  // All-digit top-level labels would let an IP address pass as a domain.
  if (labels.length < 2 || /^\d+$/.test(tld) || !labels.every((l) => DOMAIN_LABEL.test(l))) return null
  return domain
}

/**
 * A blocklisted address in {@link normalizeAddress}'s form (the form the matcher compares), or
 * `null`. Two configuration rules stay on top of it: the domain may end in a dot, as the domain
 * lists allow, and the local part keeps RFC 5321's limit of 64 characters.
 */
function blocklistAddress(entry: string): string | null {
  const address = normalizeAddress(entry.replace(/\.$/, ''))
  return address === null || address.lastIndexOf('@') > MAX_LOCAL_PART_LENGTH ? null : address
}

/** The trimmed, non-blank entries of a comma-separated string or of an array of strings. */
function entries(value: unknown): string[] | null {
  const parts = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? (value as unknown[]) : null
  if (!parts?.every((p): p is string => typeof p === 'string')) return null
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

function quoteAll(items: readonly string[]): string {
  return items.map((i) => JSON.stringify(i.length > 60 ? `${i.slice(0, 59)}…` : i)).join(', ')
}

/** Comma-separated domain names (or an array of them), lowercased and deduplicated. */
export const parseDomainList: Parser<readonly string[]> = (value) => {
  const list = entries(value)
  if (list === null) return fail('expected comma-separated domain names like fund.example (or an array of them)')
  const bad = list.filter((d) => normalizeDomain(d) === null)
  if (bad.length > 0) return fail(`expected domain names like fund.example; invalid: ${quoteAll(bad)}`, false)
  return ok([...new Set(list.map((d) => normalizeDomain(d) ?? d))])
}

/** The resolved blocklist. */
export interface Blocklist {
  /** Exact addresses, lowercase. */
  readonly addresses: readonly string[]
  /** Domains, lowercase; subdomains are blocked too. */
  readonly domains: readonly string[]
}

function classify(list: readonly string[], only?: 'address' | 'domain'): { result: Blocklist; bad: string[] } {
  const addresses = new Set<string>()
  const domains = new Set<string>()
  const bad: string[] = []
  for (const entry of list) {
    // `@fund.example` is a common way to write "the whole domain"; anything else with `@` is an address.
    const isAddress = only === 'address' || (only === undefined && entry.indexOf('@') > 0)
    const normal = isAddress ? blocklistAddress(entry) : normalizeDomain(entry.replace(/^@/, ''))
    if (normal === null) bad.push(entry)
    else (isAddress ? addresses : domains).add(normal)
  }
  return { result: { addresses: [...addresses], domains: [...domains] }, bad }
}

const BLOCKLIST_EXPECTED = 'expected comma-separated addresses (ann@x.example) and domains (x.example or @x.example)'

/**
 * The blocklist: comma-separated entries (or an array), or the resolved shape
 * `{ addresses, domains }`. Invalid entries are quoted in the issue; the rest is never echoed.
 */
export const parseBlocklist: Parser<Blocklist> = (value) => {
  if (isPlainObject(value)) {
    const unknown = Object.keys(value).filter((k) => k !== 'addresses' && k !== 'domains')
    if (unknown.length > 0) return fail(`expected { addresses, domains }; unknown properties: ${quoteAll(unknown)}`, false)
    const addresses = entries(value.addresses ?? [])
    const domains = entries(value.domains ?? [])
    if (addresses === null || domains === null) return fail('expected { addresses, domains } with arrays of strings', false)
    const a = classify(addresses, 'address')
    const d = classify(domains, 'domain')
    const bad = [...a.bad, ...d.bad]
    if (bad.length > 0) return fail(`${BLOCKLIST_EXPECTED}; invalid: ${quoteAll(bad)}`, false)
    return ok({ addresses: a.result.addresses, domains: d.result.domains })
  }
  const list = entries(value)
  if (list === null) return fail(BLOCKLIST_EXPECTED)
  const { result, bad } = classify(list)
  if (bad.length > 0) return fail(`${BLOCKLIST_EXPECTED}; invalid: ${quoteAll(bad)}`, false)
  return ok(result)
}

/**
 * An IANA time zone, in the canonical spelling `Intl` reports (`utc` becomes `UTC`). Offsets
 * like `+02:00` are refused: some Node versions accept them, and they ignore daylight saving.
 */
export const parseTimeZone: Parser<string> = (value) => {
  if (typeof value === 'string' && !/^[+-]/.test(value)) {
    try {
      return ok(new Intl.DateTimeFormat(undefined, { timeZone: value }).resolvedOptions().timeZone)
    } catch {
      // An unknown zone throws RangeError; reported below.
    }
  }
  return fail('expected an IANA time zone such as UTC or Europe/Berlin')
}

const QUOTA_EXPECTED = `expected 2026, legacy, or a JSON object of costs (keys ${QUOTA_METHODS.join(', ')}; whole numbers from 1 to ${MAX_QUOTA_COST}) such as {"get":5}`

function mergeCosts(overrides: Record<string, unknown>): Parsed<QuotaCosts> {
  const problems: string[] = []
  const merged: Record<string, number> = { ...QUOTA_COSTS_2026 }
  for (const [method, cost] of Object.entries(overrides)) {
    if (!(QUOTA_METHODS as readonly string[]).includes(method)) {
      problems.push(`unknown method ${quoteAll([method])}`)
    } else if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1 || cost > MAX_QUOTA_COST) {
      problems.push(`the cost of ${method} must be a whole number from 1 to ${MAX_QUOTA_COST}`)
    } else {
      merged[method] = cost
    }
  }
  if (problems.length > 0) return fail(`${QUOTA_EXPECTED}; ${problems.join('; ')}`, false)
  return ok(merged as unknown as QuotaCosts)
}

/**
 * The quota cost table: `2026`, `legacy`, or a JSON object (or, from a plain object, the
 * object itself) of per-method costs merged over the 2026 table.
 */
export const parseQuotaCosts: Parser<QuotaCosts> = (value) => {
  if (isPlainObject(value)) return mergeCosts(value)
  if (typeof value !== 'string') return fail(QUOTA_EXPECTED)
  const word = value.toLowerCase()
  if (word === '2026') return ok(QUOTA_COSTS_2026)
  if (word === 'legacy') return ok(QUOTA_COSTS_LEGACY)
  let json: unknown
  try {
    json = JSON.parse(value)
  } catch {
    return fail(`${QUOTA_EXPECTED}; the value is not valid JSON`)
  }
  return isPlainObject(json) ? mergeCosts(json) : fail(QUOTA_EXPECTED)
}
