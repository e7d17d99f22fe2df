/** Fund-side conversations: limited partners, banks and administrators, and the firm's network. */
import type { ThreadKind } from './team-mailbox-kinds.js'

const lpReport: ThreadKind = {
  name: 'lp-report',
  weight: 5,
  ext: ['lp'],
  ext2: 'colleague',
  company: 'portfolio',
  leads: ['eve', 'ann'],
  to: ['ext'],
  cc: ['team2'],
  subjects: ['{fundName}: {quarter} quarterly report', '{fundName} \u2013 {quarter} letter to limited partners'],
  html: 0.6,
  steps: [
    {
      by: 'lead',
      attach: 'lp-report',
      says: [
        'Please find attached the {quarter} report for {fundName}.\n\nThe fund is 68% called. During the quarter we led the {round} round of {company} and made two follow-on investments. Net IRR since inception is 21.4%.\n\nWe would be glad to walk you through it.',
        'Our quarterly letter and the capital account statements for {quarter} are attached. Highlights include the {company} financing and a partial exit in the portfolio.',
      ],
    },
    { by: 'ext', says: ['Thank you, {lead}. Could you say more about the mark-up of {company}? It is a large move for one quarter.', 'Thanks for the report. Is the annual meeting still planned for {meeting}?'] },
    { by: 'lead', says: ['Of course: the mark-up follows the priced {round} round led by {fund}, at a price set by a new lead investor. The valuation committee reviewed it with {valuer}.', 'Yes, {meeting} in our office, with lunch afterwards. Invitations follow next week.'] },
    { by: 'ext2', says: ['Very helpful, thank you. We have updated our records.', 'Thank you. Two of us will attend.'] },
  ],
}

const capitalCall: ThreadKind = {
  name: 'capital-call',
  weight: 3,
  ext: ['lp'],
  company: 'portfolio',
  leads: ['eve'],
  to: ['ext'],
  cc: ['team2'],
  subjects: ['{fundName}: capital call notice no. {callNo}', 'Capital call {callNo}: {fundName}'],
  html: 0.3,
  steps: [
    { by: 'lead', attach: 'capital-call', says: ['Please find attached capital call notice no. {callNo} for {fundName}: {callPct}% of commitments, due on {meeting}. The proceeds fund the {round} round of {company} and fund expenses.\n\nWire instructions are unchanged.', 'Attached is notice no. {callNo}, due on {meeting}. Please use the wire instructions on file and note the reference on the payment.'] },
    { by: 'ext', says: ['Thank you, received. Payment will be sent on {weekday}.', 'Noted. Could you confirm the wire instructions by phone, as per our policy?'] },
    { by: 'lead', says: ['Thanks, confirmed. We will send a receipt once funds arrive.', 'Of course. I will call you this afternoon.'] },
    { by: 'ext', says: ['Funds were sent this morning.', 'Thank you for the call. Payment released.'] },
  ],
}

const administration: ThreadKind = {
  name: 'fund-administration',
  weight: 3,
  ext: ['admin'],
  company: 'portfolio',
  leads: ['eve'],
  to: ['lead'],
  cc: [],
  subjects: ['{quarter} NAV pack: {fundName}', 'Draft NAV for review ({quarter})'],
  html: 0.5,
  tab: 'CATEGORY_UPDATES',
  steps: [
    { by: 'ext', attach: 'nav-pack', says: ['Please find attached the {quarter} NAV pack for {fundName} for your review. Comments by {weekday} please, so we can issue the investor statements.', 'Attached is the draft {quarter} NAV for {fundName}. The valuations follow the marks you sent last week.'] },
    { by: 'lead', says: ['Thanks {ext}, received. I will come back with comments by {weekday}.', 'Thanks {ext}. Reviewing today.'] },
    { by: 'lead', says: ['Two comments on the pack: the {company} position should reflect the new round, and the management fee accrual looks one month short.', 'One comment: the {company} position should reflect the new round. Otherwise good to go.'] },
    { by: 'ext', says: ['Thanks, both corrected. The final version follows tomorrow.', 'Corrected, thank you. We will issue the statements on Friday.'] },
  ],
}

const banking: ThreadKind = {
  name: 'banking',
  weight: 2,
  ext: ['bank'],
  company: 'portfolio',
  leads: ['eve'],
  to: ['lead'],
  cc: [],
  subjects: ['KYC refresh for {fundName}', 'Wire confirmation: {fundName}'],
  alignedSubjects: true,
  html: 0.5,
  tab: 'CATEGORY_UPDATES',
  steps: [
    { by: 'ext', says: ['As part of our annual review we need to refresh the KYC documents for {fundName}: certificate of good standing, list of authorised signatories and the latest audited accounts. The portal accepts uploads until the end of the month.', 'We confirm the outgoing wire of USD {check},000,000 from the account of {fundName} to {company}, value date today.'] },
    { by: 'lead', says: ['Thanks {ext}. I will upload the documents this week.', 'Thank you {ext}, received.'] },
    { by: 'lead', says: ['All documents are uploaded. Let me know if anything is missing.', 'Could you also send the confirmation as a bank letter for the closing set?'] },
    { by: 'ext', says: ['Thank you, everything is complete.', 'Of course, the letter will follow this afternoon.'] },
  ],
}

const catchUp: ThreadKind = {
  name: 'catch-up',
  weight: 6,
  ext: ['contact'],
  roles: ['angel', 'advisor'],
  company: 'prospect',
  leads: ['ann', 'bob', 'cy', 'dee', 'eve'],
  to: ['lead'],
  cc: [],
  subjects: ['Catch up soon?', 'Coffee next week?', 'Caf\u00e9 in {city}?', 'Quick question about {company}', 'Following up'],
  html: 0.4,
  steps: [
    { by: 'ext', says: ['It has been too long. Are you around next week for a coffee? I would love to hear what you are seeing, and I have a couple of companies to tell you about.', 'I will be in {city} on {weekday}. Any chance of a coffee? I also wanted to ask what you think of {company}.'] },
    { by: 'lead', says: ['Would love to. {weekday} at {time} at the usual place?', 'Great to hear from you! {weekday} works; I will book a table near our office.'] },
    { by: 'ext', says: ['Perfect, see you then.', 'Done. Looking forward to it.'] },
    { by: 'lead', says: ['Great seeing you today. Here is the intro I mentioned: {company} ({blurb}). Let me know if you want me to connect you.', 'Thanks for the coffee. I will send you the deck we discussed.'] },
    { by: 'ext', says: ['Yes please, happy to help them.', 'Thank you, that would be great.'] },
  ],
}

const press: ThreadKind = {
  name: 'press',
  weight: 1,
  ext: ['contact'],
  roles: ['press'],
  company: 'portfolio',
  leads: ['ann'],
  to: ['lead'],
  cc: [],
  subjects: ['Interview request: {firm} on {topic}', 'Quick comment for a piece on {topic}?'],
  html: 0.3,
  steps: [
    { by: 'ext', says: ['I am writing a piece on {topic} and would love a short comment from {firm}. Would you have 15 minutes before {weekday}?', 'We are preparing a feature on {topic}. Could we include {firm}\u2019s view, and perhaps mention {company}?'] },
    { by: 'lead', adds: 'team2', says: ['Happy to help. Copying {team2}, who can set up a time.', 'Thanks {ext}, glad to. Adding {team2} to find a slot.'] },
    { by: 'team2', says: ['{weekday} at {time} works for {lead}. I will send an invite.', 'Would {weekday} at {time} suit you?'] },
    { by: 'ext', says: ['That works, thank you.', 'Perfect, speak then.'] },
  ],
}

/** The fund-side kinds. */
export const FUND_KINDS: readonly ThreadKind[] = [lpReport, capitalCall, administration, banking, catchUp, press]
