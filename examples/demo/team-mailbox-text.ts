/**
 * How the generated mail reads: greetings, sign-offs, signatures, quoted parents and the HTML
 * alternative, composed around the few lines each message says. Templates name their
 * variables in braces (`{company}`), filled by {@link fill}.
 */
import { quoteDate } from './team-mailbox-dates.js'
import type { Person } from './team-mailbox-cast.js'
import type { MailAddress } from './team-mailbox-mime.js'
import type { Random } from './team-mailbox-random.js'

/** Lines of a parent message quoted below a reply: enough for context, not the whole thread. */
const QUOTED_LINES = 8

/** A message's own words and what surrounds them. */
export interface Composition {
  readonly greeting: string
  /** Paragraphs separated by blank lines. */
  readonly body: string
  readonly signOff: string
  /** Signature lines; the first is the sender's name. */
  readonly signature: readonly string[]
  /** The parent, when the message quotes it. */
  readonly quote: { readonly from: MailAddress; readonly date: number; readonly text: string } | null
}

/** Replaces `{name}` with `vars[name]`; an unknown name is a mistake in a template. */
export function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-zA-Z0-9]+)\}/g, (_, name: string) => {
    const value = vars[name]
    if (value === undefined) throw new Error(`The template variable {${name}} has no value: ${template.slice(0, 60)}`)
    return value
  })
}

/** How a message opens, given who it is addressed to; replies are terser, sometimes bare. */
export function greeting(random: Random, to: readonly Person[], first = true): string {
  const [only, second] = to
  if (only === undefined || (!first && random.chance(0.2))) return ''
  if (second !== undefined) {
    return to.length === 2 && random.chance(0.5)
      ? `Hi ${only.first} and ${second.first},`
      : random.pick(['Hi all,', 'Hi everyone,', 'All,', 'Hi both,'])
  }
  return first
    ? random.pick([`Hi ${only.first},`, `Hi ${only.first},`, `${only.first},`, `Hello ${only.first},`, `Dear ${only.first},`])
    : random.pick([`Hi ${only.first},`, `Hi ${only.first},`, `${only.first},`])
}

/** The closing phrase and signature: longer on a first message, often just a name on replies. */
export function closing(random: Random, sender: Person, first: boolean): { signOff: string; signature: string[] } {
  const signOff = random.pick(['Best,', 'Best,', 'Thanks,', 'Cheers,', 'Best regards,', 'Kind regards,', 'Thank you,', 'All the best,'])
  if (!first && random.chance(0.6)) return { signOff, signature: [sender.first] }
  const lines = [sender.name]
  if (sender.title !== '') lines.push(sender.company === '' ? sender.title : `${sender.title} | ${sender.company}`)
  return { signOff, signature: lines }
}

/** The parent's own words (its quote of older mail left out), as `>` lines. */
function quoted(text: string): string[] {
  const own = text.split('\n').filter((line) => !line.startsWith('>'))
  const cut = own.findIndex((line) => /^On .+ wrote:$/.test(line))
  const lines = (cut === -1 ? own : own.slice(0, cut)).slice(0, QUOTED_LINES)
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines.map((line) => (line === '' ? '>' : `> ${line}`))
}

function quoteIntro(from: MailAddress, date: number): string {
  return `On ${quoteDate(date)}, ${from.name === '' ? from.address : `${from.name} <${from.address}>`} wrote:`
}

/** The text/plain body. */
export function plainText(c: Composition): string {
  const parts = [c.greeting, c.body, [c.signOff, ...c.signature].filter((l) => l !== '').join('\n')].filter((p) => p !== '')
  let text = parts.join('\n\n')
  if (c.quote !== null) text += `\n\n${quoteIntro(c.quote.from, c.quote.date)}\n${quoted(c.quote.text).join('\n')}`
  return `${text}\n`
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function htmlParagraphs(text: string): string {
  return text
    .split('\n\n')
    .map((p) => `<div>${p.split('\n').map(escapeHtml).join('<br>')}</div>`)
    .join('<div><br></div>')
}

/** The text/html alternative, shaped as a webmail client writes it. */
export function htmlText(c: Composition): string {
  const blocks = [c.greeting, c.body, [c.signOff, ...c.signature].filter((l) => l !== '').join('\n')].filter((p) => p !== '').map(htmlParagraphs)
  let html = `<div dir="ltr">${blocks.join('<div><br></div>')}</div>`
  if (c.quote !== null) {
    const lines = quoted(c.quote.text).map((l) => escapeHtml(l.replace(/^> ?/, '')))
    html += `<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">${escapeHtml(quoteIntro(c.quote.from, c.quote.date))}<br></div>` +
      `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">` +
      `${lines.join('<br>')}</blockquote></div>`
  }
  return `${html}\n`
}

/** The subject of a reply: one `Re:` however deep the thread. */
export function replySubject(subject: string): string {
  return /^re:/i.test(subject) ? subject : `Re: ${subject}`
}

/** A forwarded message's header block and text, as webmail clients write it. */
export function forwardedBlock(from: MailAddress, to: readonly MailAddress[], date: number, subject: string, text: string): string {
  const who = (a: MailAddress) => (a.name === '' ? a.address : `${a.name} <${a.address}>`)
  return [
    '---------- Forwarded message ---------',
    `From: ${who(from)}`,
    `Date: ${quoteDate(date)}`,
    `Subject: ${subject}`,
    `To: ${to.map(who).join(', ')}`,
    '',
    text.trimEnd(),
  ].join('\n')
}
