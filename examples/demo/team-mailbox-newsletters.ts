/**
 * Newsletters and service notices: bulk mail from senders outside the CRM, each issue sent to
 * every subscriber under its own Message-ID, with the List-* headers bulk senders use.
 */
import type { Cast } from './team-mailbox-cast.js'
import { finishPlan } from './team-mailbox-copies.js'
import type { CategoryTab, PlanContext } from './team-mailbox-copies.js'
import { DAY, HOUR, MINUTE, monthDay } from './team-mailbox-dates.js'
import type { Random } from './team-mailbox-random.js'
import { escapeHtml, fill } from './team-mailbox-text.js'
import type { MessagePlan } from './team-mailbox-types.js'

interface Newsletter {
  readonly name: string
  readonly address: string
  readonly tab: CategoryTab
  /** Share of the newsletter volume. */
  readonly weight: number
  readonly subjects: readonly string[]
  readonly items: readonly string[]
}

const NEWSLETTERS: readonly Newsletter[] = [
  {
    name: 'The Seed Ledger', address: 'briefing@news.seedledger.example', tab: 'CATEGORY_UPDATES', weight: 4,
    subjects: ['The Seed Ledger #{n}: {item}', 'This week in early-stage: {item}'],
    items: ['seed valuations keep climbing', 'what LPs asked this quarter', 'the secondary market thaws', 'why bridge rounds are back', 'pro-rata rights, explained', 'the state of European seed'],
  },
  {
    name: 'Capital Flows Weekly', address: 'digest@updates.capitalflows.example', tab: 'CATEGORY_UPDATES', weight: 3,
    subjects: ['Capital Flows Weekly: {item}', 'Your weekly deal digest: {item}'],
    items: ['42 rounds announced this week', 'growth equity slows', 'fintech rebounds', 'climate deals hit a record', 'the top ten Series A rounds'],
  },
  {
    name: 'SaaS Metrics Monthly', address: 'hello@mail.saasmetrics.example', tab: 'CATEGORY_PROMOTIONS', weight: 2,
    subjects: ['SaaS Metrics Monthly: {item}', '{item} (SaaS Metrics Monthly)'],
    items: ['net revenue retention benchmarks', 'pricing pages that convert', 'burn multiples by stage', 'the magic number revisited'],
  },
  {
    name: 'Climate Tech Dispatch', address: 'dispatch@news.climatedispatch.example', tab: 'CATEGORY_UPDATES', weight: 2,
    subjects: ['Climate Tech Dispatch: {item}'],
    items: ['grid storage economics', 'heat pumps go mainstream', 'carbon removal buyers', 'battery supply chains'],
  },
  {
    name: 'Founder Forum Events', address: 'events@founderforum.example', tab: 'CATEGORY_PROMOTIONS', weight: 1,
    subjects: ['Invitation: {item} on {date}', 'Last chance to register: {item}'],
    items: ['Founder Forum Summit', 'Investor breakfast', 'Climate founders meetup', 'AI in the enterprise panel'],
  },
  {
    name: 'Stratus Cloud', address: 'no-reply@billing.stratuscloud.example', tab: 'CATEGORY_UPDATES', weight: 1,
    subjects: ['Your Stratus Cloud invoice for {month}', 'Stratus Cloud: {item}'],
    items: ['scheduled maintenance this weekend', 'new regions available', 'changes to our terms of service'],
  },
]

/** Newsletters every teammate reads, and those only some do. */
function subscribers(random: Random, team: readonly string[], n: number): string[] {
  return n === 0 ? [...team] : random.sample(team, n)
}

function render(random: Random, n: Newsletter, subject: string, item: string, issue: number): { text: string; html: string } {
  const lines = [
    `${n.name}, issue ${issue}`,
    '',
    `Top story: ${item}.`,
    random.pick(['Founders and investors tell us what changed this month, and what they expect next.', 'Our analysts look at the numbers behind the headlines.', 'Three charts and one long read.']),
    '',
    `Read online: https://${n.address.split('@')[1] ?? ''}/issues/${issue}`,
    '',
    'You receive this because you subscribed. Unsubscribe at any time from the link in the footer.',
  ]
  const html = `<!doctype html><html><body style="font-family:Helvetica,Arial,sans-serif">` +
    `<table width="600" align="center"><tr><td><h1>${escapeHtml(n.name)}</h1><h2>${escapeHtml(subject)}</h2>` +
    `<p>${escapeHtml(lines[3] ?? '')}</p><p><a href="https://${escapeHtml(n.address.split('@')[1] ?? '')}/issues/${issue}">Read online</a></p>` +
    `<p style="font-size:11px;color:#888">You receive this because you subscribed. <a href="https://${escapeHtml(n.address.split('@')[1] ?? '')}/u">Unsubscribe</a></p>` +
    `</td></tr></table></body></html>`
  return { text: `${lines.join('\n')}\n`, html: `${html}\n` }
}

/** About `target` newsletter deliveries, spread evenly over the window, oldest first. */
export function newsletters(random: Random, cast: Cast, context: PlanContext, days: number, target: number): MessagePlan[] {
  const team = cast.team.map((p) => p.address)
  const totalWeight = NEWSLETTERS.reduce((sum, n) => sum + n.weight, 0)
  const plans: MessagePlan[] = []
  NEWSLETTERS.forEach((n, index) => {
    const readers = subscribers(random, team, index === 0 ? 0 : random.int(1, 3))
    const issues = Math.max(1, Math.round((target * n.weight) / totalWeight / readers.length))
    const spacing = (days * DAY) / issues
    const domain = n.address.split('@')[1] ?? ''
    const sendHour = random.int(6, 10)
    for (let i = 0; i < issues; i++) {
      const day = Math.floor((context.now - days * DAY + (i + 0.5) * spacing) / DAY) * DAY
      const date = day + sendHour * HOUR + random.int(0, 50) * MINUTE + random.int(0, 59) * 1000
      if (date > context.now || date < context.now - days * DAY) continue
      const item = random.pick(n.items)
      const issue = 100 + i
      const subject = fill(random.pick(n.subjects), {
        n: String(issue),
        item: item.charAt(0).toUpperCase() + item.slice(1),
        date: monthDay(date + 14 * DAY),
        month: new Date(date).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }),
      })
      const body = render(random, n, subject, item, issue)
      for (const reader of readers) {
        const token = random.hex(20)
        plans.push(finishPlan(random, {
          category: 'newsletter',
          threadKey: `newsletter:${domain}:${issue}:${reader}`,
          from: { name: n.name, address: n.address },
          to: [{ name: '', address: reader }],
          cc: [],
          subject,
          date,
          references: [],
          text: body.text,
          html: body.html,
          attachments: [],
          headers: [
            ['List-Id', `${n.name} <list.${domain}>`],
            ['List-Unsubscribe', `<https://${domain}/u/${token}>, <mailto:unsubscribe@${domain}?subject=${token}>`],
            ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
            ['Precedence', 'bulk'],
          ],
        }, context, n.tab))
      }
    }
  })
  return plans
}
