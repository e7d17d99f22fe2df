import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { candidateQueries, sizeQueries, windowQuery } from '../../../src/gmail/search-query.js'
import type { GmailMessageListPage } from '../../../src/gmail/types.js'
import { startGmailEmulator } from '../../../src/testing/index.js'
import type { GmailEmulator } from '../../../src/testing/index.js'
import { accessToken, gmailGet } from '../../helpers/emulator-auth.js'
import type { ErrorBody } from '../../helpers/emulator-auth.js'

const ANN = 'ann@fund.example'
const DAY = 24 * 3600 * 1000
const START = Date.UTC(2026, 2, 1, 12)

let emu: GmailEmulator
let token: string
/** Message name -> Gmail id, and back. */
const idOf: Record<string, string> = {}
const nameOf = new Map<string, string>()

/** An RFC 822 message from header lines and a text body. */
function rfc822(headers: readonly string[], body = 'Nothing much.'): string {
  return `${headers.join('\r\n')}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${body}\r\n`
}

const BIG_BODY = 'x'.repeat(1024 * 1024 + 100)
const ATTACHED = [
  'From: pat@lp.example', 'To: ann@fund.example', 'Subject: Deck', 'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'See the deck.',
  '--b1', 'Content-Type: application/pdf; name="deck.pdf"', 'Content-Disposition: attachment; filename="deck.pdf"',
  'Content-Transfer-Encoding: base64', '', 'JVBERi0xLjQK', '--b1--', '',
].join('\r\n')
const HTML_ONLY = [
  'From: pat@lp.example', 'To: ann@fund.example', 'Subject: Newsletter', 'MIME-Version: 1.0',
  'Content-Type: text/html; charset=UTF-8', '', '<p>Quarterly <b>figures</b> &amp; more</p>', '',
].join('\r\n')

/** The mailbox: name -> [raw, labels]; dates follow the order, one day apart. */
const MAIL: readonly (readonly [string, string, readonly string[]])[] = [
  ['acme', rfc822(['From: Jo Lee <Jo@Acme.com>', 'To: ann@fund.example', 'Subject: Term sheet', 'Message-ID: <term.1@acme.com>'],
    'Shall we meet on Friday? The Q3 report is attached.'), ['INBOX', 'UNREAD']],
  ['sub', rfc822(['From: ops@mail.acme.com', 'To: ann@fund.example', 'Subject: Status']), ['INBOX']],
  ['lookalike', rfc822(['From: fake@notacme.com', 'To: ann@fund.example', 'Subject: Invoice']), ['INBOX']],
  ['suffixed', rfc822(['From: fake@acme.com.evil.example', 'To: ann@fund.example', 'Subject: Invoice again']), ['INBOX']],
  ['cc', rfc822(['From: ann@fund.example', 'To: pat@lp.example', 'Cc: jo@acme.com', 'Subject: Intro']), ['SENT']],
  ['bcc', rfc822(['From: ann@fund.example', 'To: kim@lp.example', 'Bcc: jo@acme.com', 'Subject: Quiet intro']), ['SENT', 'STARRED']],
  ['encoded', rfc822(['From: =?UTF-8?Q?Doe=2C_Jan_=3Cboss=40ceo=2Eexample=3E?= <jan@lp.example>', 'To: ann@fund.example',
    'Subject: =?UTF-8?B?w5xiZXJ3ZWlzdW5n?=']), ['INBOX', 'IMPORTANT']],
  ['group', rfc822(['From: kim@lp.example', 'To: Partners: a@lp.example, "Smith, Bo" <bo@other.example>;, ann@fund.example',
    'Subject: Circular']), ['INBOX']],
  ['delivered', rfc822(['Delivered-To: ann+crm@fund.example', 'From: kim@lp.example', 'To: list@lp.example', 'Subject: List mail']), ['INBOX']],
  ['draft', rfc822(['From: ann@fund.example', 'To: jo@acme.com', 'Subject: Unsent']), ['DRAFT']],
  ['spam', rfc822(['From: jo@acme.com', 'To: ann@fund.example', 'Subject: Spammy']), ['SPAM']],
  ['big', rfc822(['From: pat@lp.example', 'To: ann@fund.example', 'Subject: Scan'], BIG_BODY), ['INBOX']],
  ['attached', ATTACHED, ['INBOX']],
  ['html', HTML_ONLY, ['INBOX']],
]
const ALL_LISTED = MAIL.map(([name]) => name).filter((n) => n !== 'spam').sort()

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 'search', quota: Infinity })
  MAIL.forEach(([name, raw, labelIds], i) => {
    const { id } = emu.addMessage(ANN, raw, { labelIds, internalDate: START + i * DAY })
    idOf[name] = id
    nameOf.set(id, name)
  })
  token = await accessToken(emu, ANN)
})
afterAll(() => emu.close())

async function listPage(q: string, extra = ''): Promise<GmailMessageListPage> {
  const answer = await gmailGet<GmailMessageListPage>(emu, token, `users/me/messages?q=${encodeURIComponent(q)}${extra}`)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

/** The names of the messages `q` lists, sorted. */
async function found(q: string): Promise<string[]> {
  const page = await listPage(q, '&maxResults=500')
  expect(page.resultSizeEstimate).toBe(page.messages?.length ?? 0)
  return (page.messages ?? []).map((m) => nameOf.get(m.id) ?? m.id).sort()
}

async function refused(q: string): Promise<string> {
  const answer = await gmailGet<ErrorBody>(emu, token, `users/me/messages?q=${encodeURIComponent(q)}`)
  expect(answer.status, q).toBe(400)
  expect(answer.body.error.status).toBe('INVALID_ARGUMENT')
  return answer.body.error.message
}

describe('address operators', () => {
  it('matches an address exactly and case-insensitively, under the header the operator names', async () => {
    expect(await found('from:jo@acme.com')).toEqual(['acme'])
    expect(await found('from:JO@ACME.COM')).toEqual(['acme'])
    expect(await found('to:jo@acme.com')).toEqual(['draft'])
    expect(await found('cc:jo@acme.com')).toEqual(['cc'])
    expect(await found('bcc:jo@acme.com')).toEqual(['bcc'])
    expect(await found('from:<jo@acme.com>')).toEqual(['acme'])
    expect(await found('from:o@acme.com')).toEqual([])
  })

  it('matches a domain and its subdomains, never a look-alike', async () => {
    expect(await found('from:acme.com')).toEqual(['acme', 'sub'])
    expect(await found('from:mail.acme.com')).toEqual(['sub'])
    expect(await found('from:notacme.com')).toEqual(['lookalike'])
    expect(await found('from:evil.example')).toEqual(['suffixed'])
    expect(await found('from:cme.com')).toEqual([])
  })

  it('reads Bcc only where the header is present', async () => {
    expect(await found('bcc:acme.com')).toEqual(['bcc'])
    expect(await found('bcc:lp.example')).toEqual([])
  })

  it('reads RFC 2047 names without taking an encoded bracket or comma for an address', async () => {
    expect(await found('from:jan@lp.example')).toEqual(['encoded'])
    expect(await found('from:boss@ceo.example')).toEqual([])
    expect(await found('from:ceo.example')).toEqual([])
    expect(await found('"doe, jan"')).toEqual(['encoded'])
    expect(await found('Überweisung')).toEqual(['encoded'])
  })

  it('gives the members of an address group, not its name', async () => {
    expect(await found('to:a@lp.example')).toEqual(['group'])
    expect(await found('to:bo@other.example')).toEqual(['group'])
    expect(await found('to:ann@fund.example')).toEqual(['acme', 'attached', 'big', 'encoded', 'group', 'html', 'lookalike', 'sub', 'suffixed'])
    expect(await found('partners')).toEqual([])
  })

  it('reads Delivered-To with deliveredto:', async () => {
    expect(await found('deliveredto:ann+crm@fund.example')).toEqual(['delivered'])
    expect(await found('deliveredto:fund.example')).toEqual(['delivered'])
    expect(await found('to:fund.example')).not.toContain('delivered')
  })

  it('takes a group of values: {a b} is OR, (a OR b) too, (a b) is AND', async () => {
    expect(await found('from:{notacme.com evil.example}')).toEqual(['lookalike', 'suffixed'])
    expect(await found('from:(notacme.com OR evil.example)')).toEqual(['lookalike', 'suffixed'])
    expect(await found('from:(acme.com mail.acme.com)')).toEqual(['sub'])
    expect(await found('to:(-lp.example fund.example)')).toEqual(['acme', 'attached', 'big', 'encoded', 'html', 'lookalike', 'sub', 'suffixed'])
  })
})

describe('boolean structure', () => {
  it('answers the exact shape the library sends', async () => {
    const after = Math.floor((START + 2 * DAY) / 1000)
    const q = `{from:jo@acme.com to:jo@acme.com cc:jo@acme.com bcc:jo@acme.com from:lp.example to:lp.example cc:lp.example bcc:lp.example} after:${after} -in:drafts`
    expect(await found(q)).toEqual(['attached', 'bcc', 'cc', 'delivered', 'encoded', 'group', 'big', 'html'].sort())
    const built = candidateQueries([{ key: 'addr:jo@acme.com', values: ['jo@acme.com'] }, { key: 'domain:lp.example', values: ['lp.example'] }], { after })
    expect(built.map((c) => c.q)).toEqual([q])
    expect(await found(windowQuery({ after }))).toEqual(ALL_LISTED.filter((n) => !['acme', 'sub', 'draft'].includes(n)))
    expect(await found(sizeQueries({ after: null }).medium)).toEqual(['big'])
    expect(await found(sizeQueries({ after: null }).large)).toEqual([])
  })

  it('reads implicit AND, OR binding tighter, parentheses and negation', async () => {
    expect(await found('from:acme.com is:unread')).toEqual(['acme'])
    expect(await found('from:jo@acme.com OR from:notacme.com')).toEqual(['acme', 'lookalike'])
    expect(await found('in:inbox from:jo@acme.com OR in:sent')).toEqual(['acme'])
    expect(await found('(in:inbox from:jo@acme.com) OR in:sent')).toEqual(['acme', 'bcc', 'cc'])
    expect(await found('{in:sent from:acme.com} -is:unread')).toEqual(['bcc', 'cc', 'sub'])
    expect(await found('-{in:inbox in:sent}')).toEqual(['draft'])
    expect(await found('-(in:inbox -from:acme.com) -in:sent -in:drafts')).toEqual(['acme', 'sub'])
    expect(await found('from:acme.com AND is:unread')).toEqual(['acme'])
  })

  it('lifts the spam exclusion only when spam is named', async () => {
    expect(await found('from:jo@acme.com')).toEqual(['acme'])
    expect(await found('from:jo@acme.com in:spam')).toEqual(['spam'])
    expect(await found('from:jo@acme.com in:anywhere')).toEqual(['acme', 'spam'])
    expect(await found('from:jo@acme.com -in:spam')).toEqual(['acme'])
  })
})

describe('other operators', () => {
  it('finds rfc822msgid with or without angle brackets, exactly', async () => {
    expect(await found('rfc822msgid:term.1@acme.com')).toEqual(['acme'])
    expect(await found('rfc822msgid:<term.1@acme.com>')).toEqual(['acme'])
    expect(await found('rfc822msgid:term.1')).toEqual([])
  })

  it('compares sizes on the raw message, K and M being 1024 and 1024^2', async () => {
    const size = Buffer.byteLength(MAIL.find(([n]) => n === 'acme')?.[1] ?? '')
    expect(await found(`from:jo@acme.com larger:${size - 1}`)).toEqual(['acme'])
    expect(await found(`from:jo@acme.com larger:${size}`)).toEqual([])
    expect(await found(`from:jo@acme.com smaller:${size + 1}`)).toEqual(['acme'])
    expect(await found(`from:jo@acme.com smaller:${size}`)).toEqual([])
    expect(await found(`from:jo@acme.com size:${size - 1}`)).toEqual(['acme'])
    expect(await found('larger:1M')).toEqual(['big'])
    expect(await found('larger:1025K')).toEqual([])
    expect(await found('smaller:1K')).toEqual(ALL_LISTED.filter((n) => !['big'].includes(n)))
  })

  it('reads is:, has:attachment and label:', async () => {
    expect(await found('is:unread')).toEqual(['acme'])
    expect(await found('is:starred')).toEqual(['bcc'])
    expect(await found('is:important')).toEqual(['encoded'])
    expect(await found('is:read')).toEqual(ALL_LISTED.filter((n) => n !== 'acme'))
    expect(await found('has:attachment')).toEqual(['attached'])
    expect(await found('label:starred')).toEqual(['bcc'])
  })

  it('reads dates, epoch seconds and YYYY/MM/DD, after: inclusive and before: exclusive', async () => {
    const second = Math.floor((START + DAY) / 1000)
    expect(await found(`after:${second} before:${second + 2 * 86_400}`)).toEqual(['lookalike', 'sub'])
    expect(await found('newer:2026/03/13 older:2026/03/15')).toEqual(['attached', 'html'])
  })
})

describe('full text', () => {
  it('matches whole words and phrases, case-insensitively, in subject, body and addresses', async () => {
    expect(await found('term')).toEqual(['acme'])
    expect(await found('FRIDAY')).toEqual(['acme'])
    expect(await found('fri')).toEqual([])
    expect(await found('"q3 report"')).toEqual(['acme'])
    expect(await found('"report q3"')).toEqual([])
    expect(await found('meet')).toEqual(['acme'])
    expect(await found('jo lee')).toEqual(['acme'])
    expect(await found('kim@lp.example')).toEqual(['bcc', 'delivered', 'group'])
    expect(await found('figures')).toEqual(['html'])
    expect(await found('intro -quiet')).toEqual(['cc'])
  })
})

describe('refusals', () => {
  it.each([
    'from:amy', 'to:me', 'cc:@acme.com', 'from:jo@localhost', 'subject:hello', 'has:drive', 'is:snoozed',
    'in:elsewhere', '-in:anywhere', 'larger:big', 'after:2026/13/45', 'older_than:1d', 'rfc822msgid:<>', 'category:primary',
  ])('answers 400 naming the unmodelled term %s', async (q) => {
    const message = await refused(q)
    expect(message).toContain('Unsupported search term in q:')
    expect(message).toContain(JSON.stringify(q.replace(/^-/, '')))
  })

  it.each([
    '{from:acme.com to:acme.com', 'from:acme.com}', '(in:inbox', 'in:inbox)', '{from:a.example )', '"unclosed phrase',
    'OR in:inbox', 'in:inbox OR', 'in:inbox -', 'in:inbox - in:sent', 'from:', 'from: acme.com', '{}', '()', 'from:(to:acme.com)', '""',
  ])('answers 400 for malformed syntax %j', async (q) => {
    expect(await refused(q)).toMatch(/^(Invalid search query|Unsupported search term) in q: /)
  })
})

describe('hideFromSearch', () => {
  it('hides a message from every query that reads the index, whatever else it says, and nothing else', async () => {
    emu.hideFromSearch(ANN, idOf.acme ?? '')
    try {
      for (const q of ['from:jo@acme.com', 'from:acme.com', 'rfc822msgid:term.1@acme.com', 'friday', '{from:nobody.example in:inbox}',
        '-from:nobody.example', 'in:inbox OR friday']) {
        expect(await found(q), q).not.toContain('acme')
      }
      expect(await found('from:acme.com')).toEqual(['sub'])
      for (const q of ['in:inbox', 'is:unread', `after:${Math.floor(START / 1000)}`, 'larger:10', '-in:sent', 'label:inbox']) {
        expect(await found(q), q).toContain('acme')
      }
      const all = await gmailGet<GmailMessageListPage>(emu, token, 'users/me/messages?maxResults=500')
      expect(all.body.messages?.map((m) => m.id)).toContain(idOf.acme)
    } finally {
      emu.hideFromSearch(ANN, idOf.acme ?? '', false)
    }
    expect(await found('from:jo@acme.com')).toEqual(['acme'])
  })

  it('throws for an unknown message or mailbox', () => {
    expect(() => { emu.hideFromSearch(ANN, 'ffffffffffffffff') }).toThrow(/ffffffffffffffff/)
    expect(() => { emu.hideFromSearch('nobody@fund.example', idOf.acme ?? '') }).toThrow(/nobody@fund.example/)
  })
})

describe('paging with q', () => {
  it('pages through exactly the matches, each page token still valid after new mail arrives', async () => {
    const paging = await startGmailEmulator({ seed: 'search-paging', quota: Infinity })
    try {
      const expected: string[] = []
      for (let i = 0; i < 30; i++) {
        const from = i % 3 === 0 ? `p${i}@lp.example` : `x${i}@elsewhere.example`
        const { id } = paging.addMessage(ANN, rfc822([`From: ${from}`, 'To: ann@fund.example', `Subject: m${i}`]), { internalDate: START + i * 60_000 })
        if (i % 3 === 0) expected.unshift(id)
      }
      const t = await accessToken(paging, ANN)
      const q = encodeURIComponent('{from:lp.example to:lp.example} -in:drafts')
      const seen: string[] = []
      let pageToken: string | undefined
      let pages = 0
      do {
        const answer = await gmailGet<GmailMessageListPage>(paging, t,
          `users/me/messages?q=${q}&maxResults=4${pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`}`)
        expect(answer.status).toBe(200)
        expect(answer.body.resultSizeEstimate).toBe(pages === 0 ? 10 : 11)
        seen.push(...(answer.body.messages ?? []).map((m) => m.id))
        pageToken = answer.body.nextPageToken
        // New matching mail, newer than everything listed, must not shift the pages already handed out.
        if (pages++ === 0) paging.addMessage(ANN, rfc822(['From: late@lp.example', 'Subject: late']), { internalDate: START + DAY })
      } while (pageToken !== undefined)
      expect(pages).toBe(3)
      expect(seen).toEqual(expected)
    } finally {
      await paging.close()
    }
  })
})
