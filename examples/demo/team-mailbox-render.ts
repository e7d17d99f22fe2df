/** Turns message plans into the generated messages: RFC 822 text, oldest first. */
import { buildRawMessage } from './team-mailbox-mime.js'
import type { MailAddress } from './team-mailbox-mime.js'
import type { GeneratedMessage, MessagePlan } from './team-mailbox-types.js'

/** Only the name and address: people in plans carry more (titles, first names). */
function address(a: MailAddress): MailAddress {
  return { name: a.name, address: a.address }
}

/** One plan as a generated message. */
export function renderPlan(plan: MessagePlan): GeneratedMessage {
  return {
    messageId: plan.messageId,
    raw: buildRawMessage(plan),
    date: new Date(plan.date),
    category: plan.category,
    threadKey: plan.threadKey,
    subject: plan.subject,
    from: address(plan.from),
    to: plan.to.map(address),
    cc: plan.cc.map(address),
    references: [...plan.references],
    attachments: plan.attachments.map((a) => a.filename),
    copies: plan.copies,
  }
}

/** The plans rendered and sorted by date; equal dates keep the order they were planned in. */
export function renderPlans(plans: readonly MessagePlan[]): GeneratedMessage[] {
  return plans
    .map((plan, index) => ({ plan, index }))
    .sort((a, b) => a.plan.date - b.plan.date || a.index - b.index)
    .map(({ plan }) => renderPlan(plan))
}
