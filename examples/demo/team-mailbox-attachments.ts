/** The files CRM messages carry, named and filled in as the people in the thread would. */
import { csvModel, pdfAttachment, pngLogo } from './team-mailbox-files.js'
import type { AttachmentKind } from './team-mailbox-kinds.js'
import type { MailAttachment } from './team-mailbox-mime.js'
import type { Random } from './team-mailbox-random.js'

/** The thread's facts an attachment needs. */
export type AttachmentFacts = Readonly<Record<'company' | 'round' | 'amount' | 'pre' | 'quarter' | 'month' | 'fundName' | 'firm' | 'callNo' | 'callPct' | 'meeting' | 'blurb' | 'lawfirm', string>>

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

/** Builds the attachment of a step. */
export function attachmentFor(random: Random, kind: AttachmentKind, f: AttachmentFacts, year: number): MailAttachment {
  const round = f.round
  switch (kind) {
    case 'deck':
      return pdfAttachment(
        random.pick([`${f.company} - ${round} deck.pdf`, `${f.company}_${round.replace(' ', '_')}_Deck.pdf`, `${f.company} \u2013 investor presentation.pdf`]),
        `${f.company}: ${round}`,
        [f.blurb, '', '1. The problem', '2. Our product', '3. Traction: customers, revenue and retention', '4. Team', `5. The ask: ${f.amount}M ${round}`],
      )
    case 'term-sheet':
      return pdfAttachment(`${f.firm} - ${f.company} ${round} Term Sheet.pdf`, `Summary of Terms: ${f.company} ${round} Preferred`, [
        `Investor: ${f.fundName}`, `Amount: USD ${f.amount}M`, `Pre-money valuation: USD ${f.pre}M`, 'Liquidation preference: 1x non-participating',
        'Board: one seat for the lead investor', 'Option pool: 10% post-money', 'This term sheet is non-binding except for confidentiality.',
      ])
    case 'term-sheet-redline':
      return pdfAttachment(`${f.company} Term Sheet (company comments).pdf`, `${f.company} ${round}: company markup`, [
        'Comments of company counsel', '1. Protective provisions: limited to the matters listed in Schedule A', '2. Vesting: double-trigger acceleration for founders', '3. Information rights: major investors only',
      ])
    case 'signed-term-sheet':
      return pdfAttachment(`${f.company} Term Sheet - executed.pdf`, `Summary of Terms: ${f.company} ${round} (executed)`, [`Signed for ${f.company}`, `Signed for ${f.fundName}`])
    case 'model':
      return { filename: `${f.company} operating model.csv`, contentType: 'text/csv', content: csvModel(random, f.company, year - 1) }
    case 'board-pack':
      return pdfAttachment(`${f.company} Board Pack ${f.quarter}.pdf`, `${f.company} Board Meeting, ${f.meeting}`, [
        `1. ${f.quarter} results and KPIs`, '2. Hiring plan and organisation', '3. Fundraising timeline', '4. Closed session', '', 'Confidential: for board members only',
      ])
    case 'minutes':
      return pdfAttachment(`${f.company} board minutes DRAFT.pdf`, `Minutes of the Board of Directors of ${f.company}`, ['Present: the directors and observers', 'Resolutions: approval of option grants; approval of the budget'])
    case 'lp-report':
      return pdfAttachment(`${f.fundName} - ${f.quarter} Report.pdf`, `${f.fundName}: ${f.quarter} Report to Limited Partners`, [
        'Fund overview and performance', 'Portfolio highlights', 'Capital account statement', 'Schedule of investments',
      ])
    case 'capital-call':
      return pdfAttachment(`${f.fundName} - Capital Call Notice ${f.callNo}.pdf`, `${f.fundName}: Capital Call Notice No. ${f.callNo}`, [
        `Amount called: ${f.callPct}% of commitments`, `Due date: ${f.meeting}`, `Purpose: investment in ${f.company} and fund expenses`,
      ])
    case 'checklist':
      return pdfAttachment(`Closing Checklist - ${f.company} ${round}.pdf`, `${f.company} ${round}: Closing Checklist`, [
        'Stock purchase agreement', 'Investors rights agreement', 'Voting agreement', 'Board consent', 'Signature pages', 'Wire confirmation',
      ])
    case 'signature-pages':
      return pdfAttachment(`Signature pages - ${f.fundName}.pdf`, `${f.company} ${round}: Investor Signature Pages`, [`Investor: ${f.fundName}`, 'By: General Partner'])
    case 'logo':
      return { filename: `${slug(f.company)}-logo.png`, contentType: 'image/png', content: pngLogo(random) }
    case 'nav-pack':
      return pdfAttachment(`NAV pack ${f.quarter} - ${f.fundName}.pdf`, `${f.fundName}: Net Asset Value, ${f.quarter}`, ['Statement of assets and liabilities', 'Schedule of investments', 'Partners capital'])
  }
}
