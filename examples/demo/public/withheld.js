/**
 * What a reader may not see, shown as withheld rather than as empty: each mailbox's sharing
 * level says what teammates see of its mail, and a thread an owner marked private shows only
 * who and when to everyone else. The API empties a withheld field and names it in `withheld`.
 */
import { el, icon } from './dom.js'
import { owners } from './format.js'

/** What each field is called in a marker. */
const FIELD_NAMES = {
  subject: 'Subject',
  snippet: 'Preview',
  body: 'Message body',
  attachments: 'Any attachments',
}

/**
 * Why fields are withheld: the thread is private, or the sharing level of the mailboxes that
 * hold the mail (the most permissive of them already applies, so each of them withholds it).
 *
 * @param {{ mailboxes?: string[], isPrivate?: boolean }} source
 * @returns {string}
 */
export function withheldReason(source) {
  if (source.isPrivate === true) return 'withheld: the thread is private'
  const mailboxes = source.mailboxes ?? []
  if (mailboxes.length === 0) return "withheld by its mailbox's sharing level"
  return `withheld by ${owners(mailboxes)} sharing level${mailboxes.length === 1 ? '' : 's'}`
}

/**
 * Whether the API withheld a field of a thread or an email.
 *
 * @param {{ withheld?: string[] }} item
 * @param {'subject' | 'snippet' | 'body' | 'attachments'} field
 */
export function isWithheld(item, field) {
  return (item.withheld ?? []).includes(field)
}

/**
 * A visible marker in place of a withheld field ("Subject withheld by ann's sharing level").
 *
 * @param {'subject' | 'snippet' | 'body' | 'attachments'} field
 * @param {string} reason from {@link withheldReason}
 * @param {{ tag?: string, class?: string }} [options]
 * @returns {HTMLElement}
 */
export function withheldMarker(field, reason, options = {}) {
  const text = `${FIELD_NAMES[field]} ${reason}`
  return el(
    options.tag ?? 'span',
    { class: `withheld${options.class === undefined ? '' : ` ${options.class}`}`, title: text, dataset: { withheld: field } },
    icon('lock'),
    el('span', { class: 'withheld-text', text }),
  )
}

/**
 * The badge of a thread an owner of its mailboxes marked private.
 *
 * @returns {HTMLElement}
 */
export function privateBadge() {
  return el(
    'span',
    { class: 'badge badge-warning private-badge', title: 'Marked private: only the owners of its mailboxes see more than who and when' },
    icon('lock'),
    'Private',
  )
}
