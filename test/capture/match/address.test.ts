import { describe, expect, it } from 'vitest'
import { domainSuffixes, isFreeMailDomain, isWithinDomainSet, matchKeyOf, normalizeMatchDomain } from '../../../src/capture/match/address.js'
import { FREE_MAIL_DOMAINS } from '../../../src/capture/match/free-mail.js'

describe('matchKeyOf', () => {
  it.each([
    ['Dana@Acme.VC', 'dana@acme.vc'],
    ['  dana@acme.vc ', 'dana@acme.vc'],
    ['dana+deals@acme.vc', 'dana@acme.vc'],
    ['dana+deals+q3@acme.vc', 'dana@acme.vc'],
    ['d.ana@acme.vc', 'd.ana@acme.vc'],
    ['Ann.Lee@gmail.com', 'annlee@gmail.com'],
    ['a.n.n.l.e.e+crm@gmail.com', 'annlee@gmail.com'],
    ['Ann.Lee@GoogleMail.com', 'annlee@gmail.com'],
    ['annlee+x@googlemail.com', 'annlee@gmail.com'],
    ['ann.lee@mail.gmail.com', 'ann.lee@mail.gmail.com'],
    ['+tagonly@acme.vc', '+tagonly@acme.vc'],
  ])('%s -> %s', (input, key) => {
    expect(matchKeyOf(input)).toBe(key)
  })

  it('gives every Gmail spelling of a mailbox the same key', () => {
    const spellings = ['annlee@gmail.com', 'Ann.Lee@gmail.com', 'ann.lee+news@googlemail.com', 'ANNLEE@GOOGLEMAIL.COM']
    expect(new Set(spellings.map(matchKeyOf))).toEqual(new Set(['annlee@gmail.com']))
  })

  it.each(['', 'not an address', 'dana@', '@acme.vc', 'dana@localhost', `${'a'.repeat(250)}@acme.vc`, 'a@b@c.example'])(
    'rejects %j',
    (input) => {
      expect(matchKeyOf(input)).toBeNull()
    },
  )
})

describe('normalizeMatchDomain', () => {
  it.each([
    ['acme.vc', 'acme.vc'],
    [' Acme.VC ', 'acme.vc'],
    ['@acme.vc', 'acme.vc'],
    ['acme.vc.', 'acme.vc'],
    ['eu.mail.acme.co.uk', 'eu.mail.acme.co.uk'],
  ])('%j -> %s', (input, domain) => {
    expect(normalizeMatchDomain(input)).toBe(domain)
  })

  it.each(['', 'localhost', 'acme', 'acme..vc', 'https://acme.vc', 'dana@acme.vc', '-acme.vc', '10.0.0.1'])('rejects %j', (input) => {
    expect(normalizeMatchDomain(input)).toBeNull()
  })
})

describe('domainSuffixes', () => {
  it('lists the domain and its parents with at least two labels, most specific first', () => {
    expect(domainSuffixes('eu.mail.acme.vc')).toEqual(['eu.mail.acme.vc', 'mail.acme.vc', 'acme.vc'])
    expect(domainSuffixes('acme.vc')).toEqual(['acme.vc'])
    expect(domainSuffixes('localhost')).toEqual([])
  })

  it('matches a domain set by suffix, not by substring', () => {
    const set = new Set(['acme.vc'])
    expect(isWithinDomainSet('acme.vc', set)).toBe(true)
    expect(isWithinDomainSet('eu.acme.vc', set)).toBe(true)
    expect(isWithinDomainSet('notacme.vc', set)).toBe(false)
    expect(isWithinDomainSet('acme.vc.evil.example', set)).toBe(false)
  })
})

describe('FREE_MAIL_DOMAINS', () => {
  it('holds a few hundred valid, lower-case domains', () => {
    expect(FREE_MAIL_DOMAINS.size).toBeGreaterThanOrEqual(200)
    for (const domain of FREE_MAIL_DOMAINS) expect(normalizeMatchDomain(domain), domain).toBe(domain)
  })

  it.each([
    'gmail.com', 'googlemail.com', 'outlook.com', 'outlook.de', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'live.com',
    'live.co.uk', 'msn.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.co.jp', 'ymail.com', 'rocketmail.com', 'icloud.com',
    'me.com', 'mac.com', 'aol.com', 'proton.me', 'protonmail.com', 'pm.me', 'gmx.de', 'gmx.net', 'web.de', 'mail.ru',
    'yandex.ru', 'yandex.com', 'qq.com', '163.com', '126.com', 'zoho.com', 'fastmail.com', 'tutanota.com', 'hey.com',
  ])('includes %s', (domain) => {
    expect(FREE_MAIL_DOMAINS.has(domain)).toBe(true)
    expect(isFreeMailDomain(domain)).toBe(true)
  })

  it('counts subdomains of a free-mail domain as free-mail, and nothing else', () => {
    expect(isFreeMailDomain('nyc.rr.com')).toBe(true)
    expect(isFreeMailDomain('acme.vc')).toBe(false)
    expect(isFreeMailDomain('gmail.com.acme.vc')).toBe(false)
    expect(isFreeMailDomain('notgmail.com')).toBe(false)
  })

  it('is read-only', () => {
    expect(Object.isFrozen(FREE_MAIL_DOMAINS)).toBe(true)
  })
})
