import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AddressMatch, MatchIndexOptions } from '../../../src/capture/match/match-index.js'
import { buildMatchIndex } from '../../../src/capture/match/match-index.js'
import { MAX_MATCH_WARNINGS } from '../../../src/capture/match/directory.js'
import { resolveIdentity } from '../../../src/capture/match/precedence.js'
import type { ParsedAddress, ParsedHeaders } from '../../../src/capture/parse/parsed-email.js'
import type { DirectoryEntry } from '../../../src/hooks.js'

const OPTIONS: MatchIndexOptions = {
  workspaceDomains: ['ourfund.example'],
  blocklist: { addresses: ['newsletter+weekly@vendor.example', 'spam.bot@gmail.com'], domains: ['ads.example'] },
}

const DIRECTORY: readonly DirectoryEntry[] = [
  { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] },
  { type: 'org', id: 'o-1', name: 'Globex', domains: ['globex.example'], emails: ['info@globex.example'] },
  { type: 'contact', id: 'c-1', name: 'Dana Lee', emails: ['Dana.Lee@gmail.com', 'dana@acme.vc'] },
  { type: 'contact', id: 'c-2', name: 'Ann', emails: ['ann@personal.example'] },
]

function addr(address: string): ParsedAddress {
  return { address, name: null }
}

function headers(parts: Partial<Record<'from' | 'sender', string>> & Partial<Record<'replyTo' | 'to' | 'cc' | 'bcc', string[]>>): ParsedHeaders {
  return {
    messageId: 'm@x',
    subject: 's',
    headerDate: null,
    from: parts.from === undefined ? null : addr(parts.from),
    sender: parts.sender === undefined ? null : addr(parts.sender),
    replyTo: (parts.replyTo ?? []).map(addr),
    to: (parts.to ?? []).map(addr),
    cc: (parts.cc ?? []).map(addr),
    bcc: (parts.bcc ?? []).map(addr),
  }
}

const keysOf = (links: readonly AddressMatch[]): string[] => links.map((l) => `${l.identityKey}/${l.matchKind}`)

describe('buildMatchIndex: exact matches', () => {
  const index = buildMatchIndex(DIRECTORY, OPTIONS)

  it('matches case-insensitively, without +tags, ignoring Gmail dots and googlemail', () => {
    for (const spelling of ['DANA.LEE@GMAIL.COM', 'danalee@gmail.com', 'd.a.n.a.l.e.e+crm@googlemail.com', ' Dana.Lee+x@Gmail.com ']) {
      expect(keysOf(index.matchAddress(spelling)), spelling).toEqual(['contact:c-1/exact'])
    }
    expect(keysOf(index.matchAddress('Ann+news@Personal.Example'))).toEqual(['contact:c-2/exact'])
  })

  it('keeps dots significant outside Gmail', () => {
    expect(index.matchAddress('a.nn@personal.example')).toEqual([])
  })

  it('returns the full link, with the participant address as seen (lower-cased)', () => {
    expect(index.matchAddress('Dana.Lee+X@gmail.com')).toEqual([
      { identityKey: 'contact:c-1', type: 'contact', id: 'c-1', name: 'Dana Lee', address: 'dana.lee+x@gmail.com', matchKind: 'exact' },
    ])
  })

  it('returns nothing for an invalid address', () => {
    expect(index.matchAddress('not an address')).toEqual([])
  })
})

describe('buildMatchIndex: domain matches', () => {
  const index = buildMatchIndex(DIRECTORY, OPTIONS)

  it('matches the domain and its subdomains, not look-alikes', () => {
    expect(keysOf(index.matchAddress('bob@acme.vc'))).toEqual(['fund:7/domain'])
    expect(keysOf(index.matchAddress('bob@eu.mail.acme.vc'))).toEqual(['fund:7/domain'])
    expect(index.matchAddress('bob@notacme.vc')).toEqual([])
    expect(index.matchAddress('bob@acme.vc.evil.example')).toEqual([])
  })

  it('gives one link per identity, exact winning over domain', () => {
    expect(keysOf(index.matchAddress('info@globex.example'))).toEqual(['org:o-1/exact'])
    expect(keysOf(index.matchAddress('dana@acme.vc'))).toEqual(['contact:c-1/exact', 'fund:7/domain'])
  })

  it('never domain-matches a free-mail domain, even when the directory lists one', () => {
    const withFreeMail = buildMatchIndex(
      [{ type: 'org', id: 1, name: 'Gmail users', domains: ['gmail.com', 'Hotmail.co.uk'] }, ...DIRECTORY],
      OPTIONS,
    )
    expect(withFreeMail.matchAddress('someone@gmail.com')).toEqual([])
    expect(withFreeMail.matchAddress('someone@hotmail.co.uk')).toEqual([])
    expect(keysOf(withFreeMail.matchAddress('dana.lee@gmail.com'))).toEqual(['contact:c-1/exact'])
    expect(withFreeMail.warnings).toEqual([
      'org:1: ignored domain "gmail.com": free-mail domain',
      'org:1: ignored domain "hotmail.co.uk": free-mail domain',
    ])
  })

  it('never domain-matches a parent of a free-mail domain for a free-mail address', () => {
    const withParent = buildMatchIndex([{ type: 'org', id: 1, name: 'Too broad', domains: ['co.uk'] }], OPTIONS)
    expect(withParent.matchAddress('someone@yahoo.co.uk')).toEqual([])
    expect(keysOf(withParent.matchAddress('someone@shop.co.uk'))).toEqual(['org:1/domain'])
  })

  it('never matches the workspace domains, even when listed', () => {
    const withWorkspace = buildMatchIndex(
      [{ type: 'fund', id: 9, name: 'Us', domains: ['ourfund.example', 'eu.ourfund.example'], emails: ['me@ourfund.example'] }],
      OPTIONS,
    )
    expect(withWorkspace.matchAddress('me@ourfund.example')).toEqual([])
    expect(withWorkspace.matchAddress('you@eu.ourfund.example')).toEqual([])
    expect(withWorkspace.warnings).toEqual([
      'fund:9: ignored email "me@ourfund.example": in a workspace domain (teammates are never linked)',
      'fund:9: ignored domain "ourfund.example": a workspace domain',
      'fund:9: ignored domain "eu.ourfund.example": a workspace domain',
    ])
  })
})

describe('buildMatchIndex: directory hygiene', () => {
  it('warns about and skips unusable entries, emails and domains', () => {
    const messy = [
      { type: 'investor', id: 1, name: 'Old type' },
      { type: 'fund', id: '', name: 'No id' },
      { type: 'fund', id: Number.NaN, name: 'NaN id' },
      { type: 'org', id: 2, name: 'Bad values', emails: ['nope', null], domains: ['localhost', 'x'.repeat(200)] },
    ] as unknown as DirectoryEntry[]
    const index = buildMatchIndex(messy, OPTIONS)
    expect(index.stats).toEqual({ identities: 1, addresses: 0, domains: 0 })
    expect(index.warnings).toHaveLength(7)
    expect(index.warnings[0]).toBe('directory entry #0: ignored: needs a type of fund, org or contact and an id (got type "investor", id 1)')
    expect(index.warnings[3]).toBe('org:2: ignored email "nope": not an address')
    expect(index.warnings[4]).toBe('org:2: ignored email null: not an address')
    expect(index.warnings[6]).toBe(`org:2: ignored domain ${JSON.stringify('x'.repeat(200)).slice(0, 80)}...: not a domain name`)
  })

  it('merges an identity listed twice and keys numeric and string ids alike', () => {
    const index = buildMatchIndex(
      [
        { type: 'fund', id: 7, name: 'Acme', domains: ['acme.vc'] },
        { type: 'fund', id: '7', name: 'Acme again', emails: ['gp@elsewhere.example'] },
      ],
      OPTIONS,
    )
    expect(index.stats).toEqual({ identities: 1, addresses: 1, domains: 1 })
    expect(index.warnings).toEqual(['fund:7: listed more than once; merged'])
    expect(index.matchAddress('gp@elsewhere.example')).toEqual([
      { identityKey: 'fund:7', type: 'fund', id: '7', name: 'Acme', address: 'gp@elsewhere.example', matchKind: 'exact' },
    ])
  })

  it('caps the warnings with a count of the rest', () => {
    const entries: DirectoryEntry[] = Array.from({ length: MAX_MATCH_WARNINGS + 50 }, (_, i) => ({
      type: 'org', id: i, name: `Org ${i}`, domains: ['gmail.com'],
    }))
    const { warnings } = buildMatchIndex(entries, OPTIONS)
    expect(warnings).toHaveLength(MAX_MATCH_WARNINGS + 1)
    expect(warnings.at(-1)).toBe('... and 50 more warnings')
  })

  it('warns about invalid configuration values instead of throwing', () => {
    const index = buildMatchIndex([], { workspaceDomains: ['bad domain'], blocklist: { addresses: ['nope'], domains: [] } })
    expect(index.warnings).toEqual(['workspace domain: ignored "bad domain": not a domain name', 'blocklist address: ignored "nope": not an address'])
  })
})

describe('matchHeaders', () => {
  const index = buildMatchIndex(DIRECTORY, OPTIONS)

  it('links every external participant of every header, once per (identity, address)', () => {
    const match = index.matchHeaders(
      headers({
        from: 'Dana.Lee@gmail.com',
        sender: 'danalee@gmail.com',
        replyTo: ['DANA.LEE@gmail.com'],
        to: ['partner@ourfund.example', 'bob@acme.vc'],
        cc: ['ann@personal.example', 'bob@acme.vc'],
        bcc: ['x@globex.example'],
      }),
    )
    expect(match.links.map((l) => `${l.identityKey} ${l.address}`)).toEqual([
      'contact:c-1 dana.lee@gmail.com',
      'contact:c-1 danalee@gmail.com',
      'fund:7 bob@acme.vc',
      'contact:c-2 ann@personal.example',
      'org:o-1 x@globex.example',
    ])
    expect(match).toMatchObject({ internalOnly: false, blocked: false, visibleToSearch: true })
  })

  it('counts as CRM mail only a link Gmail search sees: From, To, Cc or Bcc, never Sender or Reply-To alone', () => {
    const replyToOnly = index.matchHeaders(headers({ from: 'me@ourfund.example', replyTo: ['bob@acme.vc'], to: ['stranger@elsewhere.example'] }))
    expect(replyToOnly.links.map((l) => l.identityKey)).toEqual(['fund:7'])
    expect(replyToOnly.visibleToSearch).toBe(false)
    const senderOnly = index.matchHeaders(headers({ from: 'list@elsewhere.example', sender: 'info@globex.example', to: ['me@ourfund.example'] }))
    expect(senderOnly.links.map((l) => l.identityKey)).toEqual(['org:o-1'])
    expect(senderOnly.visibleToSearch).toBe(false)
    for (const field of ['to', 'cc', 'bcc'] as const) {
      const match = index.matchHeaders(headers({ from: 'me@ourfund.example', [field]: ['bob@eu.acme.vc'] }))
      expect(match.visibleToSearch, field).toBe(true)
    }
    expect(index.matchHeaders(headers({ from: 'Dana.Lee@gmail.com' })).visibleToSearch).toBe(true)
  })

  it('keeps the Reply-To link of a message linked by its From', () => {
    const match = index.matchHeaders(headers({ from: 'bob@acme.vc', replyTo: ['ann@personal.example'], to: ['me@ourfund.example'] }))
    expect(match.links.map((l) => `${l.identityKey} ${l.address}`)).toEqual(['fund:7 bob@acme.vc', 'contact:c-2 ann@personal.example'])
    expect(match.visibleToSearch).toBe(true)
  })

  it('sees an address in Reply-To and in Cc as visible (it is read once, at Reply-To)', () => {
    const match = index.matchHeaders(headers({ from: 'me@ourfund.example', replyTo: ['bob@acme.vc'], cc: ['BOB@acme.vc'] }))
    expect(match.links.map((l) => l.address)).toEqual(['bob@acme.vc'])
    expect(match.visibleToSearch).toBe(true)
  })

  it('never links internal participants', () => {
    const index2 = buildMatchIndex([{ type: 'contact', id: 1, name: 'Teammate', emails: ['me@ourfund.example'] }], OPTIONS)
    const match = index2.matchHeaders(headers({ from: 'me@ourfund.example', to: ['you@mail.ourfund.example'] }))
    expect(match).toEqual({ links: [], internalOnly: true, blocked: false, visibleToSearch: false })
  })

  it('is internal-only when every participant is internal or there is none', () => {
    expect(index.matchHeaders(headers({ from: 'a@ourfund.example', cc: ['b@eu.ourfund.example'] })).internalOnly).toBe(true)
    expect(index.matchHeaders(headers({})).internalOnly).toBe(true)
    expect(index.matchHeaders(headers({ from: 'undisclosed-recipients' })).internalOnly).toBe(true)
    expect(index.matchHeaders(headers({ from: 'a@ourfund.example', bcc: ['stranger@elsewhere.example'] })).internalOnly).toBe(false)
  })

  it('is blocked by a blocklisted address, by match key', () => {
    for (const address of ['newsletter@vendor.example', 'Newsletter+other@Vendor.example', 'spambot@googlemail.com']) {
      expect(index.matchHeaders(headers({ from: 'bob@acme.vc', cc: [address] })).blocked, address).toBe(true)
    }
    expect(index.matchHeaders(headers({ from: 'other@vendor.example' })).blocked).toBe(false)
  })

  it('is blocked by a blocklisted domain and its subdomains', () => {
    expect(index.matchHeaders(headers({ from: 'x@ads.example' })).blocked).toBe(true)
    expect(index.matchHeaders(headers({ to: ['x@eu.ads.example'] })).blocked).toBe(true)
    expect(index.matchHeaders(headers({ from: 'x@notads.example' })).blocked).toBe(false)
    expect(index.isBlocked('y@track.ads.example')).toBe(true)
    expect(index.isInternal('y@ourfund.example')).toBe(true)
  })

  it('resolves an address matched exactly as a contact and by domain as a fund to the fund', () => {
    const links = index.matchAddress('dana@acme.vc')
    expect(resolveIdentity(links)?.identityKey).toBe('fund:7')
  })

  it('handles a header of 10,000 recipients', () => {
    const to = Array.from({ length: 10_000 }, (_, i) => `person${i}@${i % 2 === 0 ? 'acme.vc' : 'unknown.example'}`)
    const match = index.matchHeaders(headers({ from: 'dana.lee@gmail.com', to }))
    expect(match.links).toHaveLength(5_001)
  })
})

describe('scale', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  function directoryOf(size: number): DirectoryEntry[] {
    return Array.from({ length: size }, (_, i) => ({
      type: (['fund', 'org', 'contact'] as const)[i % 3]!,
      id: i,
      name: `Entity ${i}`,
      emails: [`person${i}@entity${i}.example`],
      domains: [`entity${i}.example`],
    }))
  }

  /** Map reads of one `matchAddress` call. */
  function lookupsFor(size: number, address: string): { reads: number; links: AddressMatch[] } {
    const index = buildMatchIndex(directoryOf(size), OPTIONS)
    const get = vi.spyOn(Map.prototype, 'get')
    const links = index.matchAddress(address)
    const reads = get.mock.calls.length
    get.mockRestore()
    return { reads, links }
  }

  it('indexes 10,000 entries and answers with a map read per domain suffix, whatever the size', () => {
    const big = buildMatchIndex(directoryOf(10_000), OPTIONS)
    expect(big.stats).toEqual({ identities: 10_000, addresses: 10_000, domains: 10_000 })
    expect(keysOf(big.matchAddress('person9999@a.b.entity9999.example'))).toEqual(['fund:9999/domain'])

    const address = 'someone@x.y.entity5.example' // 4 suffixes: x.y.entity5.example ... entity5.example, example excluded
    const small = lookupsFor(10, address)
    const large = lookupsFor(10_000, address)
    expect(large.links.map((l) => l.identityKey)).toEqual(['contact:5'])
    // One exact read plus one read per suffix (3), and nothing that grows with the directory.
    expect(large.reads).toBe(small.reads)
    expect(large.reads).toBe(1 + 3)
  })
})
