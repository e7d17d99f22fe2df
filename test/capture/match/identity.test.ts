import { describe, expect, it } from 'vitest'
import { MAX_IDENTITY_KEY_LENGTH, identityKeyOf, parseIdentityKey } from '../../../src/db/identity-keys.js'
import type { RankedLink } from '../../../src/capture/match/precedence.js'
import { IDENTITY_PRECEDENCE, compareIdentityPrecedence, resolveIdentity } from '../../../src/capture/match/precedence.js'

describe('identityKeyOf', () => {
  it('writes typed keys, numeric and string ids alike', () => {
    expect(identityKeyOf('fund', 7)).toBe('fund:7')
    expect(identityKeyOf('fund', '7')).toBe('fund:7')
    expect(identityKeyOf('contact', 'c-1')).toBe('contact:c-1')
    expect(identityKeyOf('addr', 'ann@x.example')).toBe('addr:ann@x.example')
  })
})

describe('parseIdentityKey', () => {
  it.each([
    ['fund:7', { type: 'fund', id: '7', key: 'fund:7' }],
    ['org:x', { type: 'org', id: 'x', key: 'org:x' }],
    ['contact:y', { type: 'contact', id: 'y', key: 'contact:y' }],
    ['contact:urn:crm:42', { type: 'contact', id: 'urn:crm:42', key: 'contact:urn:crm:42' }],
    ['addr:Someone@X.com', { type: 'addr', id: 'someone@x.com', key: 'addr:someone@x.com' }],
    ['ORG:Acme', { type: 'org', id: 'Acme', key: 'org:Acme' }],
    ['  fund:7\n', { type: 'fund', id: '7', key: 'fund:7' }],
  ])('reads %j', (input, expected) => {
    expect(parseIdentityKey(input)).toEqual(expected)
  })

  it('reads a bare id as a fund (back-compat)', () => {
    expect(parseIdentityKey('42')).toEqual({ type: 'fund', id: '42', key: 'fund:42' })
    expect(parseIdentityKey('grid-abc')).toEqual({ type: 'fund', id: 'grid-abc', key: 'fund:grid-abc' })
  })

  it.each(['grid:42', 'investor:7', 'http://x.example', ':7', 'unknown:'])('returns null for the unknown prefix of %j', (input) => {
    expect(parseIdentityKey(input)).toBeNull()
  })

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['an empty id', 'fund:'],
    ['an invalid addr', 'addr:not an address'],
    ['an empty addr', 'addr:'],
    ['a NUL', 'fund:7\u0000'],
    ['a control character in a bare id', '4\u00072'],
    ['over-long input', `fund:${'9'.repeat(MAX_IDENTITY_KEY_LENGTH)}`],
    ['over-long whitespace', ' '.repeat(MAX_IDENTITY_KEY_LENGTH + 1)],
  ])('returns null for %s', (_, input) => {
    expect(parseIdentityKey(input)).toBeNull()
  })

  it('accepts a key at the length bound', () => {
    const input = `org:${'a'.repeat(MAX_IDENTITY_KEY_LENGTH - 4)}`
    expect(parseIdentityKey(input)?.id).toHaveLength(MAX_IDENTITY_KEY_LENGTH - 4)
  })
})

describe('precedence', () => {
  const link = (identityKey: string, matchKind: 'exact' | 'domain', address = 'a@x.example'): RankedLink => ({
    identityKey,
    type: identityKey.slice(0, identityKey.indexOf(':')) as RankedLink['type'],
    matchKind,
    address,
  })

  it('orders fund, org, contact, addr', () => {
    expect(IDENTITY_PRECEDENCE).toEqual(['fund', 'org', 'contact', 'addr'])
    expect(Object.isFrozen(IDENTITY_PRECEDENCE)).toBe(true)
  })

  it('resolves a contact matched exactly and a fund matched by domain to the fund', () => {
    expect(resolveIdentity([link('contact:c1', 'exact'), link('fund:7', 'domain')])?.identityKey).toBe('fund:7')
  })

  it('prefers fund over org over contact over addr, whatever the input order', () => {
    const links = [link('addr:a@x.example', 'exact'), link('contact:c', 'exact'), link('org:o', 'domain'), link('fund:f', 'domain')]
    expect(resolveIdentity(links)?.identityKey).toBe('fund:f')
    expect(resolveIdentity(links.slice(0, 3))?.identityKey).toBe('org:o')
    expect(resolveIdentity(links.slice(0, 2))?.identityKey).toBe('contact:c')
    expect(links.toReversed().toSorted(compareIdentityPrecedence).map((l) => l.identityKey)).toEqual([
      'fund:f', 'org:o', 'contact:c', 'addr:a@x.example',
    ])
  })

  it('prefers exact over domain within a type, then the smaller key', () => {
    expect(resolveIdentity([link('fund:a', 'domain'), link('fund:b', 'exact')])?.identityKey).toBe('fund:b')
    expect(resolveIdentity([link('org:b', 'domain'), link('org:a', 'domain')])?.identityKey).toBe('org:a')
  })

  it('is total: ties break on the address', () => {
    const a = link('fund:7', 'domain', 'a@acme.vc')
    const b = link('fund:7', 'domain', 'b@acme.vc')
    expect(resolveIdentity([b, a])).toBe(a)
    expect(compareIdentityPrecedence(a, a)).toBe(0)
  })

  it('treats a missing match kind as domain', () => {
    const stored: RankedLink = { identityKey: 'fund:x', type: 'fund' }
    expect(resolveIdentity([stored, link('fund:y', 'exact')])?.identityKey).toBe('fund:y')
  })

  it('returns null without links', () => {
    expect(resolveIdentity([])).toBeNull()
  })
})
