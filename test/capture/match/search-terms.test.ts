import { describe, expect, it } from 'vitest'
import { buildMatchIndex, type MatchIndexOptions } from '../../../src/capture/match/match-index.js'
import { MAX_MATCH_WARNINGS } from '../../../src/capture/match/directory.js'
import { compileSearchTerms, searchTermsOf, type SearchTerm } from '../../../src/capture/match/search-terms.js'
import { MAX_QUERY_CHARS, candidateQueries } from '../../../src/gmail/search-query.js'
import type { DirectoryEntry } from '../../../src/hooks.js'

const OPTIONS: MatchIndexOptions = { workspaceDomains: ['ourfund.example'] }

const keysOf = (terms: readonly SearchTerm[]): string[] => terms.map((t) => t.key)

describe('searchTermsOf: what becomes a term', () => {
  it('never makes a domain term of a free-mail or workspace domain, nor an address term of a workspace address', () => {
    const terms = searchTermsOf(
      [
        {
          type: 'org', id: 1, name: 'Everyone',
          domains: ['gmail.com', 'Hotmail.co.uk', 'nyc.rr.com', 'ourfund.example', 'eu.ourfund.example', 'acme.vc'],
          emails: ['partner@ourfund.example', 'ops@mail.ourfund.example', 'gp@acme.vc'],
        },
      ],
      OPTIONS,
    )
    expect(terms).toEqual([
      { key: 'addr:gp@acme.vc', kind: 'address', values: ['gp@acme.vc'], identities: ['org:1'] },
      { key: 'domain:acme.vc', kind: 'domain', values: ['acme.vc'], identities: ['org:1'] },
    ])
  })

  it('keeps an exact address on a free-mail domain', () => {
    expect(keysOf(searchTermsOf([{ type: 'contact', id: 'c', name: 'Dana', emails: ['dana@hotmail.co.uk'] }], OPTIONS))).toEqual([
      'addr:dana@hotmail.co.uk',
    ])
  })

  it('searches a gmail.com contact by match key and by each spelling the directory used', () => {
    const terms = searchTermsOf(
      [
        { type: 'contact', id: 3, name: 'Ann', emails: ['Ann.Lee+crm@GoogleMail.com', ' ann.lee@gmail.com '] },
        { type: 'contact', id: 4, name: 'Ann again', emails: ['annlee@gmail.com'] },
      ],
      OPTIONS,
    )
    expect(terms).toEqual([
      {
        key: 'addr:annlee@gmail.com',
        kind: 'address',
        values: ['annlee@gmail.com', 'ann.lee+crm@googlemail.com', 'ann.lee@gmail.com'],
        identities: ['contact:3', 'contact:4'],
      },
    ])
  })

  it('makes one term per domain, subdomains included, and keeps addresses a domain term covers', () => {
    const terms = searchTermsOf(
      [
        { type: 'fund', id: 7, name: 'Acme', domains: ['acme.vc', 'EU.Acme.VC.'], emails: ['dana+deals@eu.acme.vc'] },
        { type: 'org', id: 8, name: 'Acme Europe', domains: ['eu.acme.vc'] },
      ],
      OPTIONS,
    )
    expect(terms).toEqual([
      { key: 'addr:dana@eu.acme.vc', kind: 'address', values: ['dana@eu.acme.vc', 'dana+deals@eu.acme.vc'], identities: ['fund:7'] },
      { key: 'domain:acme.vc', kind: 'domain', values: ['acme.vc'], identities: ['fund:7'] },
      { key: 'domain:eu.acme.vc', kind: 'domain', values: ['eu.acme.vc'], identities: ['fund:7', 'org:8'] },
    ])
  })

  it('dedups a term shared by several identities, sorted, whatever the directory order', () => {
    const entries: DirectoryEntry[] = [
      { type: 'org', id: 2, name: 'Globex', domains: ['globex.example'], emails: ['info@globex.example'] },
      { type: 'fund', id: 9, name: 'Globex Fund', domains: ['Globex.Example'], emails: ['INFO+x@globex.example'] },
      { type: 'contact', id: 1, name: 'Info desk', emails: ['info@globex.example'] },
    ]
    const terms = searchTermsOf(entries, OPTIONS)
    expect(terms.map((t) => [t.key, t.identities])).toEqual([
      ['addr:info@globex.example', ['contact:1', 'fund:9', 'org:2']],
      ['domain:globex.example', ['fund:9', 'org:2']],
    ])
    expect(searchTermsOf([...entries].reverse(), OPTIONS)).toEqual(terms)
  })

  it('gives a term for exactly what the matcher links, and keys that are sorted and unique', () => {
    const entries: DirectoryEntry[] = Array.from({ length: 300 }, (_, i) => ({
      type: (['fund', 'org', 'contact'] as const)[i % 3]!,
      id: i,
      name: `Entity ${i}`,
      emails: [`person${i % 200}@entity${i % 150}.example`, `p.${i}+crm@gmail.com`],
      domains: i % 4 === 0 ? [`entity${i % 50}.example`, 'yahoo.com'] : [],
    }))
    const terms = searchTermsOf(entries, OPTIONS)
    const keys = keysOf(terms)
    expect(keys).toEqual([...new Set(keys)].sort())
    const index = buildMatchIndex(entries, OPTIONS)
    expect(terms.filter((t) => t.kind === 'address')).toHaveLength(index.stats.addresses)
    expect(terms.filter((t) => t.kind === 'domain')).toHaveLength(index.stats.domains)
    for (const term of terms.filter((t) => t.kind === 'address')) {
      for (const value of term.values) {
        const exact = index.matchAddress(value).filter((l) => l.matchKind === 'exact').map((l) => l.identityKey)
        expect(exact.sort(), value).toEqual(term.identities)
      }
    }
  })

  it('has no terms for an empty directory', () => {
    expect(searchTermsOf([], OPTIONS)).toEqual([])
  })
})

describe('compileSearchTerms: values left out', () => {
  it('leaves out spellings Gmail cannot carry plainly, with a warning, and keeps the rest', () => {
    const { terms, warnings } = compileSearchTerms(
      [{ type: 'contact', id: 5, name: 'Odd', emails: ['ann+a&b@acme.vc', 'o{x}@acme.vc', "o'brien@acme.vc"] }],
      OPTIONS,
    )
    expect(terms).toEqual([
      { key: "addr:o'brien@acme.vc", kind: 'address', values: ["o'brien@acme.vc"], identities: ['contact:5'] },
      { key: 'addr:ann@acme.vc', kind: 'address', values: ['ann@acme.vc'], identities: ['contact:5'] },
    ].sort((a, b) => (a.key < b.key ? -1 : 1)))
    expect(warnings).toEqual([
      `addr:ann@acme.vc: spelling "ann+a&b@acme.vc" not searched: Gmail's search cannot carry it plainly`,
      `addr:o{x}@acme.vc: not searched: Gmail's search cannot carry the address plainly; only the headers strategy finds its mail`,
    ])
  })

  it('leaves out blocklisted addresses and domains, whose mail is never captured', () => {
    const { terms, warnings } = compileSearchTerms(
      [{ type: 'org', id: 1, name: 'Vendor', emails: ['news+weekly@vendor.example', 'sales@ads.example', 'gp@acme.vc'], domains: ['track.ads.example', 'ads-free.example'] }],
      { workspaceDomains: ['ourfund.example'], blocklist: { addresses: ['news@vendor.example'], domains: ['ads.example'] } },
    )
    expect(keysOf(terms)).toEqual(['addr:gp@acme.vc', 'domain:ads-free.example'])
    expect(warnings).toEqual([
      'addr:news@vendor.example: not searched: blocklisted, its mail is never captured',
      'addr:sales@ads.example: not searched: blocklisted, its mail is never captured',
      'domain:track.ads.example: not searched: blocklisted, its mail is never captured',
    ])
  })

  it('keeps each term within one query: spellings past the length limit are left out, the match key never', () => {
    const local = 'a'.repeat(38)
    // Twelve dotted spellings of one Gmail mailbox: more than one query of 1,500 characters can carry.
    const emails = Array.from({ length: 12 }, (_, i) => `${local.slice(0, i + 1)}.${local.slice(i + 1)}@gmail.com`)
    const { terms, warnings } = compileSearchTerms([{ type: 'contact', id: 1, name: 'Many spellings', emails }], OPTIONS)
    expect(terms).toHaveLength(1)
    const [term] = terms
    expect(term!.values[0]).toBe(`${local}@gmail.com`)
    expect(term!.values.length).toBeGreaterThan(1)
    expect(term!.values.length + warnings.length).toBe(13)
    expect(warnings[0]).toMatch(/^addr:a{38}@gmail\.com: spelling "a+\.a+@gmail\.com" not searched: the term's query would pass the query length limit$/)
    const [query] = candidateQueries(terms, { after: 9_999_999_999, before: 9_999_999_999 })
    expect(query!.q.length).toBeLessThanOrEqual(MAX_QUERY_CHARS)
  })

  it('caps its warnings like the matcher does', () => {
    const entries: DirectoryEntry[] = Array.from({ length: MAX_MATCH_WARNINGS + 5 }, (_, i) => ({
      type: 'contact', id: i, name: `C${i}`, emails: [`a&${i}@acme.vc`],
    }))
    const { terms, warnings } = compileSearchTerms(entries, OPTIONS)
    expect(terms).toEqual([])
    expect(warnings).toHaveLength(MAX_MATCH_WARNINGS + 1)
    expect(warnings.at(-1)).toBe('... and 5 more warnings')
  })
})
