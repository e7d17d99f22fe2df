/** Portfolio conversations: board meetings, investor updates, hiring, closings and housekeeping. */
import type { ThreadKind } from './team-mailbox-kinds.js'

const board: ThreadKind = {
  name: 'board-meeting',
  weight: 7,
  ext: ['portfolio'],
  ext2: 'coinvestor',
  company: 'ext',
  leads: ['ann', 'bob', 'cy'],
  to: ['lead', 'ext2'],
  cc: ['team2'],
  subjects: ['{company} board meeting \u2014 {meeting}', 'Board pack for {meeting}', '{company}: {quarter} board meeting'],
  html: 0.4,
  steps: [
    {
      by: 'ext',
      attach: 'board-pack',
      says: [
        'Ahead of our meeting on {meeting}, please find the board pack attached. Proposed agenda:\n\n1. {quarter} results and KPIs\n2. Hiring plan and organisation\n3. Fundraising timeline\n4. Closed session',
        'Attached are the materials for {meeting}. The main discussion item is the budget for next year; I would value your views on the hiring pace.',
      ],
    },
    { by: 'ext2', says: ['Thanks {ext}. Could we spend more time on the fundraising timeline? I think we should start conversations earlier than planned.', 'Thank you, very clear pack. I would like to add ten minutes on pricing.'] },
    { by: 'lead', says: ['Agree with {ext2}. I would also like ten minutes on the sales hiring plan; the ramp looks aggressive.', 'Thanks {ext}. Nice progress on gross margin. Happy with the agenda, with {ext2}\u2019s addition.'] },
    { by: 'ext', says: ['Updated agenda: fundraising moves to item 2 and gets 30 minutes. See you all on {meeting}.', 'Noted, both added. I will circulate the updated agenda tomorrow.'] },
    { by: 'team2', attach: 'minutes', says: ['Draft minutes from today attached. Please send any changes by Friday.', 'Please find the draft minutes attached, including the resolutions on the option grants.'] },
    { by: 'ext', says: ['Thanks {team2}, looks good to me.', 'Approved from my side. Thank you for turning them around so quickly.'] },
  ],
}

const update: ThreadKind = {
  name: 'investor-update',
  weight: 9,
  ext: ['portfolio'],
  ext2: 'coinvestor',
  company: 'ext',
  leads: ['ann', 'bob', 'cy', 'dee'],
  to: ['lead', 'team2', 'ext2'],
  cc: [],
  subjects: ['{company} {quarter} investor update', '{company} update: {quarter}', '{company} monthly update ({month})'],
  html: 0.75,
  tab: 'CATEGORY_UPDATES',
  steps: [
    {
      by: 'ext',
      says: [
        'Here is our update for {quarter}.\n\nHighlights\n- ARR reached {arr}M, up {growth}% on the previous quarter\n- Signed {customers} new customers, including our largest contract to date\n- Hired a {hire}\n\nLowlights\n- Two enterprise deals slipped into next quarter\n\nAsks\n- Introductions to heads of operations at logistics companies\n- Candidates for {hire2}\n\nThank you for the continued support.',
        'A short update on {month}.\n\nRevenue grew {growth}% and burn came in at {burn}k, below plan. Runway is {runway} months.\n\nThe product team shipped the new onboarding flow; activation is up by a third.\n\nAsk: we are hiring a {hire2}; referrals are very welcome.',
      ],
    },
    { by: 'lead', says: ['Great quarter, {ext}. Happy to help with the intros; I will send two this week.', 'Congratulations to the whole team. I know a strong {hire2} candidate and will connect you.'] },
    { by: 'ext', says: ['Thank you, {lead}, much appreciated!', 'That would be great, thank you.'] },
    { by: 'ext2', says: ['Congrats on a strong quarter. Happy to make an intro to the ops team at one of our portfolio companies.', 'Well done {ext}. Let us find time to discuss the fundraising plan.'] },
  ],
}

const recruiting: ThreadKind = {
  name: 'recruiting',
  weight: 3,
  ext: ['contact'],
  roles: ['recruiter'],
  ext2: 'founder',
  company: 'portfolio',
  leads: ['cy', 'dee', 'eve'],
  to: ['lead'],
  cc: [],
  subjects: ['Candidate for {hire2} at {company}', 'R\u00e9sum\u00e9: {hire2} candidate for {company}', '{hire2} search for {company}'],
  html: 0.3,
  steps: [
    { by: 'ext', says: ['I met a strong {hire2} candidate this week who is looking for a {round} company. Eight years of experience, the last three scaling a team from 5 to 40. Would {company} be interested?', 'Following our chat: I have two candidates for the {hire2} role at {company}. Both have built teams in B2B software.'] },
    { by: 'lead', adds: 'ext2', says: ['Thanks {ext}, that sounds like a great fit. Adding {ext2}, CEO of {company}, to take it from here.', 'Thank you! Copying {ext2}, who is running the search.'] },
    { by: 'ext2', says: ['Thanks {lead}. {ext}, I would love to speak with them. Could you share their CV?', 'Thanks both. {ext}, please send the profiles; I can do calls later this week.'] },
    { by: 'ext', says: ['Sending the CVs separately. They are free on {weekday} afternoon.', 'Will do. I will set up the first call for {weekday}.'] },
  ],
}

const closing: ThreadKind = {
  name: 'closing',
  weight: 4,
  ext: ['law'],
  ext2: 'founder',
  company: 'portfolio',
  leads: ['eve', 'ann'],
  to: ['lead'],
  cc: ['ext2', 'team2'],
  subjects: ['{company} {round}: closing checklist', 'Signature pages: {company} {round}', '{company} financing: closing set'],
  html: 0.2,
  steps: [
    { by: 'ext', attach: 'checklist', says: ['Attached is the closing checklist for the {company} {round}. Outstanding items on the investor side are the signature pages and the wire details.', 'Please find the updated closing checklist attached. We are targeting a closing on {meeting}.'] },
    { by: 'lead', says: ['Thanks {ext}. Signature pages will come from me today; the wire is scheduled for {weekday}.', 'Thank you. Our counsel has reviewed; we will send signature pages shortly.'] },
    { by: 'lead', attach: 'signature-pages', says: ['Signed pages for {fundName} attached.', 'Please find our executed signature pages attached.'] },
    { by: 'ext', says: ['Received, thank you. We will release the pages once all parties have signed.', 'Thanks, all in order. We will circulate the closing set next week.'] },
    { by: 'ext2', says: ['Thank you all for getting this done. Funds have arrived.', 'Confirming receipt of the wire. Thank you for the support!'] },
  ],
}

const logo: ThreadKind = {
  name: 'logo',
  weight: 2,
  ext: ['portfolio'],
  company: 'ext',
  leads: ['dee', 'eve'],
  to: ['lead'],
  cc: [],
  subjects: ['New logo for your portfolio page', '{company} rebrand: updated logo'],
  html: 0.5,
  steps: [
    { by: 'ext', attach: 'logo', says: ['We have just finished our rebrand. Could you update the logo on your portfolio page? The new version is attached.', 'Attached is our new logo. Would you mind swapping it on the {firm} website?'] },
    { by: 'lead', says: ['Looks great! Updated on the site now.', 'Thanks {ext}, done. Congratulations on the new look.'] },
    { by: 'ext', says: ['Thank you!', 'Perfect, thanks for the quick turnaround.'] },
  ],
}

/** The portfolio-side kinds. */
export const PORTFOLIO_KINDS: readonly ThreadKind[] = [board, update, recruiting, closing, logo]
