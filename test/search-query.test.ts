import { describe, expect, it } from 'vitest'
import { ValidationError } from '../src/errors.js'
import { searchTermsOf, type SearchTerm } from '../src/capture/search-terms.js'
import { MAX_QUERY_CHARS, candidateQueries, dayQuery, sizeQueries, windowQuery } from '../src/gmail/search-query.js'
import type { DirectoryEntry } from '../src/hooks.js'

const WINDOW = { after: 1_700_000_000 }

function term(key: string, values: string[]): SearchTerm {
  return { key, kind: key.startsWith('domain:') ? 'domain' : 'address', values, identities: ['org:1'] }
}

/** A directory of `size` identities with addresses and domains of varied lengths. */
function directoryOf(size: number): DirectoryEntry[] {
  return Array.from({ length: size }, (_, i) => ({
    type: (['fund', 'org', 'contact'] as const)[i % 3]!,
    id: i,
    name: `Entity ${i}`,
    emails: [`${'p'.repeat(1 + (i % 40))}${i}@entity${i}.example`, ...(i % 5 === 0 ? [`Some.One${i}+crm@gmail.com`] : [])],
    domains: i % 2 === 0 ? [`${i % 7 === 0 ? 'eu.' : ''}entity${i}.example`] : [],
  }))
}

/** The `{ }` group of a query, split back into its operators. */
function operatorsOf(q: string): string[] {
  const match = /^\{(.*)\} (.*)$/.exec(q)
  expect(match, q).not.toBeNull()
  return match![1]!.split(' ')
}

describe('windowQuery, dayQuery and sizeQueries', () => {
  it('writes the window with drafts excluded', () => {
    expect(windowQuery({ after: 1_700_000_000 })).toBe('after:1700000000 -in:drafts')
    expect(windowQuery({ after: null })).toBe('-in:drafts')
    expect(windowQuery({ after: 10, before: 20 })).toBe('after:10 before:20 -in:drafts')
    expect(windowQuery({ after: null, before: null })).toBe('-in:drafts')
  })

  it('refuses a window that is not whole epoch seconds', () => {
    for (const after of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => windowQuery({ after }), String(after)).toThrow(ValidationError)
    }
    expect(() => windowQuery({ after: 1, before: Number.NaN })).toThrow(/window\.before/)
  })

  it('gives one day for the recall guard', () => {
    expect(dayQuery(1_700_006_400)).toBe('after:1700006400 before:1700092800 -in:drafts')
    expect(() => dayQuery(-5)).toThrow(/dayStartEpochS/)
  })

  it('lists the window\'s messages over 1M and over 10M', () => {
    expect(sizeQueries(WINDOW)).toEqual({
      medium: 'after:1700000000 -in:drafts larger:1M',
      large: 'after:1700000000 -in:drafts larger:10M',
    })
  })
})

describe('candidateQueries', () => {
  it('writes each value under from:, to:, cc: and bcc: in one OR group, with the window', () => {
    const queries = candidateQueries([term('addr:dana@acme.vc', ['dana@acme.vc', 'dana+x@acme.vc']), term('domain:globex.example', ['globex.example'])], WINDOW)
    expect(queries).toEqual([
      {
        q:
          '{from:dana@acme.vc to:dana@acme.vc cc:dana@acme.vc bcc:dana@acme.vc ' +
          'from:dana+x@acme.vc to:dana+x@acme.vc cc:dana+x@acme.vc bcc:dana+x@acme.vc ' +
          'from:globex.example to:globex.example cc:globex.example bcc:globex.example} after:1700000000 -in:drafts',
        terms: ['addr:dana@acme.vc', 'domain:globex.example'],
      },
    ])
  })

  it('has no queries without terms', () => {
    expect(candidateQueries([], WINDOW)).toEqual([])
  })

  it.each([MAX_QUERY_CHARS, 600, 300])('chunks 300 identities within %i characters, every term in exactly one chunk, whole', (maxChars) => {
    const terms = searchTermsOf(directoryOf(300), { workspaceDomains: ['ourfund.example'] })
    const queries = candidateQueries(terms, WINDOW, maxChars === MAX_QUERY_CHARS ? undefined : { maxChars })
    expect(queries.length).toBeGreaterThan(1)
    const seen: string[] = []
    for (const query of queries) {
      expect(query.q.length).toBeLessThanOrEqual(maxChars)
      expect(query.q.endsWith('} after:1700000000 -in:drafts')).toBe(true)
      // The group holds exactly the chunk's terms, each value under its four operators, in order.
      const byKey = new Map(terms.map((t) => [t.key, t]))
      const expected = query.terms.flatMap((key) => byKey.get(key)!.values.flatMap((v) => [`from:${v}`, `to:${v}`, `cc:${v}`, `bcc:${v}`]))
      expect(operatorsOf(query.q)).toEqual(expected)
      seen.push(...query.terms)
    }
    expect(seen).toEqual(terms.map((t) => t.key))
  })

  it('fills chunks: no two neighbouring chunks would have fitted in one', () => {
    const terms = searchTermsOf(directoryOf(300), { workspaceDomains: [] })
    const queries = candidateQueries(terms, WINDOW)
    expect(queries.length).toBeGreaterThan(1)
    const byKey = new Map(terms.map((t) => [t.key, t]))
    for (let i = 0; i + 1 < queries.length; i += 1) {
      const next = byKey.get(queries[i + 1]!.terms[0]!)!
      const nextText = next.values.flatMap((v) => [`from:${v}`, `to:${v}`, `cc:${v}`, `bcc:${v}`]).join(' ')
      expect(queries[i]!.q.length + 1 + nextText.length).toBeGreaterThan(MAX_QUERY_CHARS)
    }
  })

  it('refuses, naming it, a single term longer than the limit', () => {
    const long = `${'a'.repeat(60)}@${'b'.repeat(60)}.example`
    const terms = [term('addr:ok@acme.vc', ['ok@acme.vc']), term(`addr:${long}`, [long, long.replace('@', '+x@')])]
    expect(() => candidateQueries(terms, WINDOW, { maxChars: 600 })).toThrow(ValidationError)
    expect(() => candidateQueries(terms, WINDOW, { maxChars: 600 })).toThrow(
      new RegExp(`^search term addr:${long}: its query takes \\d+ characters, more than the limit of 600`),
    )
    expect(candidateQueries(terms, WINDOW, { maxChars: 2000 })).toHaveLength(1)
  })

  it('refuses a limit that is not a positive whole number', () => {
    for (const maxChars of [0, -1, Number.NaN, 10.5]) {
      expect(() => candidateQueries([term('domain:acme.vc', ['acme.vc'])], WINDOW, { maxChars }), String(maxChars)).toThrow(/maxChars/)
    }
  })
})
