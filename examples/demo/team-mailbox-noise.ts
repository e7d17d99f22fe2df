/**
 * Mail the CRM must not keep: personal mail with friends and family at consumer providers,
 * internal mail among teammates only, and spam that spoofs CRM domains (excluded by its label).
 */
import type { Cast, Person } from './team-mailbox-cast.js'
import { finishPlan } from './team-mailbox-copies.js'
import type { PlanContext } from './team-mailbox-copies.js'
import { DAY, monthDay, previousQuarter, replyTime, threadStart } from './team-mailbox-dates.js'
import type { Rhythm } from './team-mailbox-dates.js'
import { csvModel, pdfAttachment, pngLogo } from './team-mailbox-files.js'
import type { MailAttachment } from './team-mailbox-mime.js'
import type { Random } from './team-mailbox-random.js'
import { fill, htmlText, plainText, replySubject } from './team-mailbox-text.js'
import type { Composition } from './team-mailbox-text.js'
import type { MessagePlan } from './team-mailbox-types.js'

/** A short exchange: a subject, then the lines of each message in turn. */
type Exchange = readonly [subject: string, ...lines: string[]]

const PERSONAL: readonly Exchange[] = [
  ['Dinner on Saturday?', 'Are you free for dinner on Saturday? We want to try the new Thai place near the park.', 'Yes, we would love to! 7:30?', 'Perfect, I will book a table.'],
  ['Photos from the lake', 'Here are a few photos from last weekend. The kids loved it.', 'These are wonderful, thank you for sending them!', 'Let us do it again in August.'],
  ['Flights for Thanksgiving', 'I found flights on the Wednesday morning. Should I book for all four of us?', 'Yes please, the earlier one is better.', 'Booked! Confirmation to follow.'],
  ['Book club: next pick', 'Next month we are reading the new novel everyone is talking about. Are you in?', 'I am in, just ordered it.', 'Great, see you on the 14th.'],
  ['Soccer carpool this week', 'Could you take the kids on Thursday? I have a late meeting.', 'Sure, I will pick them up at 5.', 'You are a lifesaver, thank you!'],
  ['Happy birthday!', 'Happy birthday! Hope you have a wonderful day. Lunch next week to celebrate?', 'Thank you! Lunch sounds great. Tuesday?', 'Tuesday it is.'],
  ['Marathon training plan', 'Here is the 16-week plan I mentioned. Long runs on Sundays.', 'Looks brutal. I am in.', 'First run Sunday at 7 by the bridge.'],
  ['Wedding RSVP', 'Just checking you got the invitation. Can you make it in June?', 'We would not miss it!', 'Wonderful, we are so happy.'],
  ['Recipe you asked for', 'Here is the lasagne recipe. The trick is to let it rest for twenty minutes.', 'Thank you! Making it this weekend.', 'Let me know how it turns out.'],
  ['Weekend plans?', 'Any plans this weekend? The weather looks great for a hike.', 'Would love a hike. Saturday morning?', 'Saturday at 9, I will drive.'],
]

const INTERNAL: readonly Exchange[] = [
  ['Partner meeting agenda, {date}', 'Agenda for Monday:\n\n1. Pipeline review\n2. {company}: investment committee memo\n3. Portfolio: {company2} bridge\n4. Hiring for the platform team\n\nPlease add anything by Sunday evening.', 'Can we add ten minutes on the LP meeting?', 'Added, thanks.'],
  ['IC memo: {company}', 'The draft IC memo for {company} is attached. Key risks are on page 3. Comments by Thursday please.', 'Read it. I would push harder on the competitive section.', 'Agree. Happy to support at the proposed price.'],
  ['Pipeline review', 'Updated pipeline attached: 14 active opportunities, three in diligence, {company} the most advanced.', 'Thanks. Let us drop the two that have gone quiet.', 'Done.'],
  ['Expense reports due Friday', 'Friendly reminder: expense reports for last month are due on Friday.', 'Done!', 'Will submit tonight.'],
  ['Offsite planning: venue options', 'Three options for the offsite: a farmhouse two hours north, a hotel by the coast, or staying in town. Votes by Friday please.', 'Farmhouse gets my vote.', 'Coast please!'],
  ['{quarter} portfolio valuations', 'Draft marks for {quarter} are in the shared folder. Please review your companies by Wednesday.', '{company} looks right to me.', 'I would hold {company2} flat until the round closes.'],
  ['Holiday schedule', 'Please add your holidays to the team calendar so we can plan cover for the summer.', 'Added mine.', 'Done, I am out the first two weeks of August.'],
  ['Lunch today?', 'Anyone up for lunch at 12:30?', 'In!', 'Cannot today, next time.'],
  ['Notes from the {company} call', 'Quick notes from my call with the founder of {company}: strong team, early traction, raising a round this quarter. Worth a second meeting?', 'Yes, let us do it.', 'I would like to join the next one.'],
]

/** Spoofed senders at CRM domains; the local part and name make the scam, the domain the risk. */
const SPAM: readonly (readonly [name: string, local: string, subject: string, text: string])[] = [
  ['Security Team', 'security-alert', 'Action required: confirm your wire details', 'Your account has been temporarily limited. Confirm your wire details within 24 hours to avoid suspension.'],
  ['Accounts Payable', 'accounts', 'Invoice INV-{n} is overdue', 'Please open the overdue invoice at the link below and settle it today to avoid late fees.'],
  ['Document Share', 'docs-share', 'You have received a secure document', 'A secure document has been shared with you. Sign in with your email password to view it.'],
  ['Office of the CEO', 'ceo.office', 'Urgent request', 'Are you at your desk? I need you to process a payment discreetly before the end of the day.'],
]

/** Friends write like friends; teammates write to each other like colleagues. */
function composition(random: Random, category: 'personal' | 'internal', to: readonly Person[], from: Person, body: string): Composition {
  const [first] = to
  const hello = first === undefined ? '' : to.length > 1
    ? random.pick(['Hi all,', 'All,', 'Hi team,', ''])
    : category === 'personal' ? random.pick([`Hi ${first.first},`, `Hey ${first.first}!`, `${first.first},`, '']) : random.pick([`Hi ${first.first},`, `${first.first},`, ''])
  const bye = category === 'personal' ? random.pick(['x', 'Love,', 'Cheers,', 'See you soon,', 'Thanks,']) : random.pick(['Thanks,', 'Best,', 'Cheers,', ''])
  return { greeting: hello, body, signOff: bye, signature: [from.first], quote: null }
}

/** An exchange between two or more people, alternating between the first writer and the others. */
function exchange(random: Random, context: PlanContext, e: Exchange, opts: {
  readonly key: string; readonly category: 'personal' | 'internal'; readonly rhythm: Rhythm; readonly start: number
  readonly writer: Person; readonly others: readonly Person[]; readonly vars: Readonly<Record<string, string>>
  readonly attachment: MailAttachment | null
}): MessagePlan[] {
  const [subjectTemplate, ...lines] = e
  const subject = fill(subjectTemplate, opts.vars)
  const count = Math.min(lines.length, random.weighted([[1, 3], [2, 4], [3, 3]]))
  const plans: MessagePlan[] = []
  let date = opts.start
  for (let i = 0; i < count; i++) {
    const prev = plans[plans.length - 1]
    if (prev !== undefined) date = replyTime(random, prev.date, opts.rhythm, DAY)
    if (date > context.now) break
    const from = i === 0 ? opts.writer : i % 2 === 1 ? random.pick(opts.others) : opts.writer
    const everyone = [opts.writer, ...opts.others].filter((p) => p !== from)
    const to = i === 0 ? opts.others : everyone
    const words = composition(random, opts.category, to, from, fill(lines[i] ?? '', opts.vars))
    plans.push(finishPlan(random, {
      category: opts.category,
      threadKey: opts.key,
      from,
      to,
      cc: [],
      subject: i === 0 ? subject : replySubject(subject),
      date,
      references: prev === undefined ? [] : [...prev.references, prev.messageId],
      text: plainText(words),
      html: random.chance(0.4) ? htmlText(words) : null,
      attachments: i === 0 && opts.attachment !== null ? [opts.attachment] : [],
    }, context))
  }
  return plans
}

/** About `target` personal messages: friends and family writing to teammates' work addresses. */
export function personalMail(random: Random, cast: Cast, context: PlanContext, days: number, target: number): MessagePlan[] {
  const plans: MessagePlan[] = []
  for (let n = 0; plans.length < target; n++) {
    const teammate = random.pick(cast.team)
    const friend = random.pick(cast.friends.get(teammate.address) ?? [])
    const friendFirst = random.chance(0.65)
    const e = random.pick(PERSONAL)
    const photo = e[0].startsWith('Photos') ? { filename: `IMG_${random.int(1000, 9999)}.png`, contentType: 'image/png', content: pngLogo(random) } : null
    plans.push(...exchange(random, context, e, {
      key: `personal:${n}`, category: 'personal', rhythm: 'personal', start: threadStart(random, context.now, days, 'personal'),
      writer: friendFirst ? friend : teammate, others: [friendFirst ? teammate : friend], vars: {}, attachment: photo,
    }))
  }
  return plans
}

/** About `target` internal messages among teammates (deal talk too, but no outsider on it). */
export function internalMail(random: Random, cast: Cast, context: PlanContext, days: number, target: number): MessagePlan[] {
  const companies = cast.parties.filter((p) => p.kind === 'portfolio' || p.kind === 'prospect').map((p) => p.name)
  const plans: MessagePlan[] = []
  for (let n = 0; plans.length < target; n++) {
    const writer = random.pick(cast.team)
    const e = random.pick(INTERNAL)
    const broadcast = /agenda|Expense|Holiday|Offsite|Lunch/.test(e[0])
    const others = broadcast ? cast.team.filter((p) => p !== writer) : random.sample(cast.team.filter((p) => p !== writer), random.int(1, 2))
    const [company = '', company2 = ''] = random.sample(companies, 2)
    const start = threadStart(random, context.now, days, 'work')
    const vars = { company, company2, quarter: previousQuarter(start), date: monthDay(start) }
    const attachment = e[0].startsWith('IC memo')
      ? pdfAttachment(`IC memo - ${company}.pdf`, `Investment Committee Memo: ${company}`, ['Summary and recommendation', 'Market', 'Team', 'Risks', 'Terms'])
      : e[0] === 'Pipeline review' ? { filename: 'pipeline.csv', contentType: 'text/csv', content: csvModel(random, 'Pipeline', new Date(start).getUTCFullYear()) } : null
    plans.push(...exchange(random, context, e, {
      key: `internal:${n}`, category: 'internal', rhythm: 'work', start, writer, others, vars, attachment,
    }))
  }
  return plans
}

/** `count` spam messages spoofing CRM domains, each to one teammate. */
export function spamMail(random: Random, cast: Cast, context: PlanContext, days: number, count: number): MessagePlan[] {
  const domains = cast.parties.filter((p) => p.kind !== 'contact').map((p) => (p.people[0]?.address ?? '').split('@')[1] ?? '')
  const plans: MessagePlan[] = []
  for (let n = 0; n < count; n++) {
    const [name, local, subject, text] = random.pick(SPAM)
    const target = random.pick(cast.team)
    plans.push(finishPlan(random, {
      category: 'spam',
      threadKey: `spam:${n}`,
      from: { name, address: `${local}@${random.pick(domains)}` },
      to: [target],
      cc: [],
      subject: fill(subject, { n: String(random.int(10_000, 99_999)) }),
      date: threadStart(random, context.now, days, 'personal'),
      references: [],
      text: `Dear ${target.first},\n\n${text}\n\nhttps://secure-verify.example/${random.hex(10)}\n`,
      html: null,
      attachments: [],
    }, context))
  }
  return plans
}
