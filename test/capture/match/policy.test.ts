import { describe, expect, it } from 'vitest'
import type { AddressMatch, MessageMatch } from '../../../src/capture/match/match-index.js'
import type { CaptureDecision } from '../../../src/capture/match/policy.js'
import { decideCapture } from '../../../src/capture/match/policy.js'

const LINK: AddressMatch = { identityKey: 'fund:7', type: 'fund', id: '7', name: 'Acme', address: 'bob@acme.vc', matchKind: 'domain' }

const MATCHES = {
  linked: { links: [LINK], internalOnly: false, blocked: false, visibleToSearch: true },
  unmatched: { links: [], internalOnly: false, blocked: false, visibleToSearch: false },
  internal: { links: [], internalOnly: true, blocked: false, visibleToSearch: false },
  blocked: { links: [LINK], internalOnly: false, blocked: true, visibleToSearch: true },
  // Linked only through Sender or Reply-To: Gmail's search does not see it, so it is not CRM mail.
  replyToOnly: { links: [LINK], internalOnly: false, blocked: false, visibleToSearch: false },
} satisfies Record<string, MessageMatch>

type MatchName = keyof typeof MATCHES
type Mode = 'matched' | 'all'

const CAPTURE: CaptureDecision = { capture: true }
const skip = (reason: Exclude<CaptureDecision, { capture: true }>['reason']): CaptureDecision => ({ capture: false, reason })

describe('decideCapture', () => {
  const cases: [Mode, MatchName, CaptureDecision][] = [
    ['matched', 'linked', CAPTURE],
    ['matched', 'unmatched', skip('unmatched')],
    ['matched', 'internal', skip('internal')],
    ['matched', 'blocked', skip('blocked')],
    ['matched', 'replyToOnly', skip('unmatched')],
    ['all', 'linked', CAPTURE],
    ['all', 'unmatched', CAPTURE],
    ['all', 'internal', CAPTURE],
    ['all', 'blocked', skip('blocked')],
    ['all', 'replyToOnly', CAPTURE],
  ]

  it.each(cases)('%s mode, %s mail in the inbox: %j', (mode, match, expected) => {
    expect(decideCapture({ labelIds: ['INBOX', 'UNREAD'], match: MATCHES[match], config: { capture: mode } })).toEqual(expected)
  })

  const labels = [
    ['SPAM', 'spam'],
    ['TRASH', 'trash'],
    ['DRAFT', 'draft'],
  ] as const
  const everyCombination = labels.flatMap(([label, reason]) =>
    (['matched', 'all'] as const).flatMap((mode) => (Object.keys(MATCHES) as MatchName[]).map((match) => [label, reason, mode, match] as const)),
  )

  it.each(everyCombination)('never captures %s (%s) in %s mode, %s mail', (label, reason, mode, match) => {
    expect(decideCapture({ labelIds: [label, 'INBOX'], match: MATCHES[match], config: { capture: mode } })).toEqual(skip(reason))
  })

  it('reports spam before trash before draft', () => {
    const config = { capture: 'all' } as const
    expect(decideCapture({ labelIds: ['DRAFT', 'TRASH', 'SPAM'], match: MATCHES.linked, config })).toEqual(skip('spam'))
    expect(decideCapture({ labelIds: ['DRAFT', 'TRASH'], match: MATCHES.linked, config })).toEqual(skip('trash'))
  })

  it('captures SENT and labelled mail, and mail without label ids', () => {
    const config = { capture: 'matched' } as const
    expect(decideCapture({ labelIds: ['SENT', 'Label_12'], match: MATCHES.linked, config })).toEqual(CAPTURE)
    expect(decideCapture({ labelIds: undefined, match: MATCHES.linked, config })).toEqual(CAPTURE)
    expect(decideCapture({ labelIds: null, match: MATCHES.unmatched, config })).toEqual(skip('unmatched'))
  })

  it('matches label ids exactly (Gmail system labels are upper-case)', () => {
    expect(decideCapture({ labelIds: ['spam', 'Label_SPAM'], match: MATCHES.linked, config: { capture: 'all' } })).toEqual(CAPTURE)
  })
})
