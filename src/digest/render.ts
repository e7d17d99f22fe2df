import type { Address } from '../mail/types.js'
import type { DigestGroup, DigestThread } from './types.js'
import type { DigestWindow } from './window.js'

/** Participants named per thread line: the rest are counted, so a long cc list stays one line. */
export const RENDER_PARTICIPANTS = 5

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * Escapes text for HTML element content and quoted attribute values. Everything from mail
 * (subjects, names, addresses, summaries quoting it) goes through here: mail is untrusted.
 *
 * @example
 * ```ts
 * escapeHtml('<script>alert("x")</script>') // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
}

/** An ISO instant as `2026-06-01 10:00 UTC`: short, and unambiguous whatever the reader's zone. */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

function person(p: Address): string {
  return p.name === null || p.name === '' ? p.address : `${p.name} <${p.address}>`
}

function people(list: readonly Address[]): string {
  const named = list.slice(0, RENDER_PARTICIPANTS).map(person).join(', ')
  return list.length > RENDER_PARTICIPANTS ? `${named} and ${list.length - RENDER_PARTICIPANTS} more` : named
}

function threadFacts(t: DigestThread): string {
  return `${t.messageCount} ${t.messageCount === 1 ? 'message' : 'messages'}, last ${shortTime(t.lastAt)}`
}

/** What {@link renderText} and {@link renderHtml} show. */
export interface RenderInput {
  readonly window: DigestWindow
  readonly groups: readonly DigestGroup[]
  readonly summary: string
}

/**
 * The digest as plain text.
 *
 * @example
 * ```ts
 * const text = renderText({ window, groups, summary })
 * ```
 */
export function renderText(input: RenderInput): string {
  const lines = [`CRM email digest, ${shortTime(input.window.from)} to ${shortTime(input.window.to)}`, '', input.summary]
  for (const g of input.groups) {
    lines.push('', `${g.identity.name} (${g.identity.type}), ${g.emailCount} ${g.emailCount === 1 ? 'email' : 'emails'}`, g.summary)
    for (const t of g.threads) lines.push(`  - ${t.subject} (${threadFacts(t)}): ${people(t.participants)}`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * The digest as a self-contained HTML fragment, every piece of mail content escaped.
 *
 * @example
 * ```ts
 * const html = renderHtml({ window, groups, summary })
 * ```
 */
export function renderHtml(input: RenderInput): string {
  const e = escapeHtml
  const parts = [
    `<h1>CRM email digest</h1>`,
    `<p>${e(shortTime(input.window.from))} to ${e(shortTime(input.window.to))}</p>`,
    `<p>${e(input.summary)}</p>`,
  ]
  for (const g of input.groups) {
    parts.push(
      `<h2>${e(g.identity.name)} <small>(${e(g.identity.type)}, ${g.emailCount} ${g.emailCount === 1 ? 'email' : 'emails'})</small></h2>`,
      `<p>${e(g.summary)}</p>`,
      '<ul>',
      ...g.threads.map((t) => `<li><strong>${e(t.subject)}</strong> (${e(threadFacts(t))}): ${e(people(t.participants))}</li>`),
      '</ul>',
    )
  }
  return `<div class="crm-email-digest">\n${parts.join('\n')}\n</div>\n`
}
