/** Deal-side conversations: introductions, pitches, term sheets, diligence and co-investments. */
import type { ThreadKind } from './team-mailbox-kinds.js'

const intro: ThreadKind = {
  name: 'intro',
  weight: 10,
  ext: ['contact', 'contact', 'coinvestor'],
  roles: ['angel', 'advisor'],
  ext2: 'founder',
  company: 'prospect',
  leads: ['ann', 'bob', 'cy'],
  to: ['lead', 'ext2'],
  cc: [],
  subjects: ['Intro: {lead} <> {ext2} ({company})', 'Intro {company} / {firm}', '{lead} meet {ext2} of {company}'],
  html: 0.5,
  steps: [
    {
      by: 'ext',
      says: [
        '{lead}, meet {ext2}, founder of {company}. They are building {blurb} and the early numbers are impressive.\n\n{ext2}, {lead} is {leadTitle} at {firm} and has backed several companies in the space. I will let you two take it from here.',
        'Making the intro I promised. {ext2} runs {company} ({blurb}) and is starting to think about raising a {round} round.\n\n{lead}, I think you will enjoy the conversation. Over to you both.',
      ],
    },
    {
      by: 'lead',
      drops: 'ext',
      says: [
        'Thanks {ext} (moving you to bcc).\n\n{ext2}, great to e-meet you. Would you have 30 minutes next {weekday}? Happy to do a video call or to meet at our office.',
        'Thank you {ext}, much appreciated (to bcc).\n\n{ext2}, I would love to learn more about {company}. Could you send over a deck, and a couple of times that work for you next week?',
      ],
    },
    {
      by: 'ext2',
      attach: 'deck',
      says: [
        'Thanks {lead}, and thanks {ext} for connecting us.\n\n{weekday} at {time} works well. I have attached our deck so you have some context before we talk.',
        'Great to meet you, {lead}. Deck attached. We are raising {amount}M and have about half of it committed.\n\n{weekday} at {time} would be ideal.',
      ],
    },
    {
      by: 'lead',
      adds: 'team2',
      says: ['Perfect, invite sent. I am also copying {team2}, who works with me on the space and will join the call.', 'Thanks, the deck is very clear. Looping in my colleague {team2}; we will both be on the call on {weekday}.'],
    },
    {
      by: 'ext2',
      says: ['Thank you both for the time today. As promised, a few numbers: {customers} paying customers, net revenue retention of 131%, and {runway} months of runway.\n\nHappy to introduce you to two customers.', 'Really enjoyed the conversation. I have given you both access to the data room; the customer list is in folder 3.'],
    },
    {
      by: 'team2',
      says: ['Thanks {ext2}. Could you share the operating model and the current cap table? We would like to bring {company} to our partner meeting on Monday.', 'Very helpful, thank you. Two follow-ups: how do you think about pricing for larger customers, and what does the hiring plan for the next 12 months look like?'],
    },
    {
      by: 'ext2',
      attach: 'model',
      says: ['Attached is the model; the first four quarters are actuals. The cap table is in the data room under Legal.', 'Attached is the model; the first four quarters are actuals. Pricing: we move to annual contracts above 50 seats. Hiring plan is on the second tab.'],
    },
    {
      by: 'lead',
      says: ['Thank you. We will come back to you by the end of next week either way.', 'Thanks {ext2}. The partnership discussed {company} this morning and we would like to move forward with diligence. {team2} will send a short request list.'],
    },
  ],
}

const pitch: ThreadKind = {
  name: 'pitch',
  weight: 5,
  ext: ['prospect'],
  company: 'ext',
  leads: ['ann', 'bob', 'cy', 'dee'],
  to: ['lead'],
  cc: [],
  subjects: ['{company}: raising our {round} round', '{company} deck', 'Introducing {company}'],
  html: 0.6,
  steps: [
    {
      by: 'ext',
      attach: 'deck',
      says: [
        'I am the founder of {company}. We are building {blurb}, and we are raising a {amount}M {round} round to expand the team.\n\nOur deck is attached. Would you be open to a short call?',
        '{company} builds {blurb}. Revenue grew {growth}% last quarter and we are opening our {round} round.\n\nI have followed {firm} for a while and would value your view. Deck attached.',
      ],
    },
    { by: 'lead', says: ['Thanks for reaching out, {ext}. A few questions before we meet: who is your typical buyer, how long are sales cycles, and who else is in the round?', 'Thanks {ext}, this is interesting. Are you free on {weekday} at {time} for 30 minutes?'] },
    { by: 'ext', says: ['Our buyer is usually the head of operations; cycles are six to ten weeks. {fund} is considering leading. Would {weekday} at {time} work for a call?', 'Happy to. {weekday} at {time} is perfect; I will send a video link.'] },
    { by: 'lead', adds: 'team2', says: ['Great. Copying {team2}, who will join us.', 'Thanks. I have added {team2} to the invite.'] },
    { by: 'team2', says: ['Looking forward to it, {ext}. Could you send the latest monthly metrics ahead of the call?', 'Nice to meet you, {ext}. See you on {weekday}.'] },
    { by: 'ext', attach: 'model', says: ['Monthly metrics and the model are attached.', 'Here is our model; happy to walk through it on the call.'] },
  ],
}

const termSheet: ThreadKind = {
  name: 'term-sheet',
  weight: 6,
  ext: ['prospect', 'portfolio'],
  ext2: 'law',
  company: 'ext',
  leads: ['ann', 'bob'],
  to: ['ext'],
  cc: ['team2'],
  subjects: ['{company} {round} term sheet', 'Term sheet: {company} {round}', '{firm} / {company}: proposed terms'],
  html: 0.4,
  steps: [
    {
      by: 'lead',
      attach: 'term-sheet',
      says: [
        'Following our conversation, please find attached our proposed term sheet for the {round} round of {company}.\n\nHeadline terms: {amount}M at a {pre}M pre-money valuation, 1x non-participating preference, one board seat and a 10% post-money option pool.\n\nHappy to walk you through it whenever suits.',
        'It was a pleasure to spend time with the team this week. Attached is our term sheet: we propose to lead the {amount}M {round} at {pre}M pre-money, with a board seat for me.',
      ],
    },
    { by: 'ext', says: ['Thank you, this is exciting news for the whole team. A couple of questions: could the option pool be sized on the hiring plan rather than fixed at 10%, and how do you think about pro-rata for existing investors?', 'Thank you {lead}. We are reviewing with the board. Two points: the pool size and the information rights for smaller investors.'] },
    { by: 'team2', says: ['On the pool: we sized it to cover the hires in your plan for 18 months. Happy to revisit if the plan changes. Existing investors keep their pro-rata.', 'Thanks {ext}. We can be flexible on information rights; the pool we would like to keep as proposed.'] },
    { by: 'ext', adds: 'ext2', says: ['That makes sense. I am copying our counsel, {ext2} at {extCompany2}, who will send a markup.', 'Great. Looping in {ext2} from {extCompany2} to take it from here on the legal side.'] },
    { by: 'ext2', attach: 'term-sheet-redline', says: ['Please find attached our markup of the term sheet. The changes are mostly to the protective provisions and the vesting acceleration.', 'Attached is a redline with our comments; happy to set up a call with your counsel.'] },
    { by: 'lead', says: ['Thanks {ext2}. We can accept most of the changes; we would keep the original wording on protective provisions. Our counsel at {lawfirm} will confirm.', 'Thank you. We are fine with the markup except for single-trigger acceleration.'] },
    { by: 'ext', attach: 'signed-term-sheet', says: ['Signed term sheet attached. Thrilled to be working together!', 'Please find the countersigned term sheet attached. Looking forward to the next chapter.'] },
    { by: 'team2', says: ['Congratulations all! {lawfirm} will circulate the first drafts of the long-form documents next week.', 'Fantastic news. I will set up a kickoff call with both legal teams.'] },
  ],
}

const diligence: ThreadKind = {
  name: 'diligence',
  weight: 6,
  ext: ['prospect', 'prospect', 'portfolio'],
  company: 'ext',
  leads: ['cy', 'dee'],
  to: ['ext'],
  cc: ['team2'],
  subjects: ['{company}: diligence request list', 'Follow-ups from our call ({company})', 'Diligence: {company} {round}'],
  html: 0.3,
  steps: [
    {
      by: 'lead',
      says: [
        'Thanks again for the time. As discussed, here is our request list:\n\n1. Monthly revenue by customer for the last 24 months\n2. Current cap table and option grants\n3. The operating model for the next two years\n4. Two customer references\n\nNo rush; the end of next week would be great.',
        'Following up on our meeting, could you share the cohort data, the pipeline report and your current burn? We would also like to speak with two customers.',
      ],
    },
    { by: 'ext', attach: 'model', says: ['Please find the model attached; cohort data and the cap table are in the data room. References: I will introduce you separately.', 'Attached is the operating model. Burn is {burn}k per month; the cohort analysis is on the third tab.'] },
    { by: 'lead', says: ['Thank you, this is very thorough. One question on the model: what drives the step-up in gross margin next year?', 'Thanks {ext}. Could you break down churn by customer size?'] },
    { by: 'ext', says: ['Mostly moving hosting to committed-use pricing and automating onboarding, which today takes two engineers.', 'Churn is almost all in the under-20-seat segment; larger customers have not churned to date.'] },
    { by: 'team2', says: ['Very helpful. We would like to speak with two customers this week if possible.', 'Thanks both. We are aiming to take this to our investment committee on {weekday}.'] },
    { by: 'ext', says: ['Of course. I have asked two of our customers; expect intros tomorrow.', 'Great, keep me posted and let me know if anything else would help.'] },
  ],
}

const coinvest: ThreadKind = {
  name: 'co-invest',
  weight: 5,
  ext: ['coinvestor'],
  ext2: 'colleague',
  company: 'portfolio',
  leads: ['ann', 'bob'],
  to: ['lead'],
  cc: ['ext2'],
  subjects: ['Co-invest: {company} {round}', '{company} {round}: allocation', 'Syndicate for {company}'],
  html: 0.5,
  steps: [
    {
      by: 'ext',
      attach: 'deck',
      says: [
        'We are leading the {amount}M {round} round of {company} and have room for one more investor. Given your history with the company, we wanted to ask you first.\n\nDeck attached; we are aiming to close within four weeks.',
        'As discussed at the dinner, we have term sheets out on {company}. Would {firm} like to take part? Deck attached.',
      ],
    },
    { by: 'lead', adds: 'team2', says: ['Thank you, {ext}, we would very much like to look at it. I am copying {team2}, who will coordinate on our side.', 'Thanks for thinking of us. Interested. Adding {team2} to the thread.'] },
    { by: 'team2', says: ['Thanks {ext}. What is the allocation available, and is there a data room we could access?', 'Could you share the pro-forma cap table and the terms you have agreed?'] },
    { by: 'ext2', says: ['The allocation is up to {check}M. I have sent data room invites to you both.', 'Pro-forma cap table is in the data room; the terms are standard, 1x non-participating.'] },
    { by: 'lead', says: ['We would like to take {check}M of the allocation, subject to the usual confirmations.', 'Thanks both. We are in for {check}M.'] },
    { by: 'ext', says: ['Wonderful. Counsel will circulate the documents this week.', 'Great news, thank you. {lawfirm} is running the docs; expect drafts shortly.'] },
  ],
}

/** The deal-side kinds. */
export const DEAL_KINDS: readonly ThreadKind[] = [intro, pitch, termSheet, diligence, coinvest]
