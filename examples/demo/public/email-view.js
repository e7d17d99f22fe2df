/**
 * One email as a card: who, when, in whose mailboxes, the snippet, the attachments, and on
 * demand the full text body (`GET /api/email/detail`), always as text. What the reader's
 * access withholds shows as withheld, with the reason. Admins can hide it.
 */
import { api } from './api.js'
import { el, icon, whileBusy } from './dom.js'
import { fileSize, fullDate, initials, mailboxPhrase, peopleLine, personName, shortDate, typeName } from './format.js'
import { announce, showError } from './notice.js'
import { isWithheld, withheldMarker, withheldReason } from './withheld.js'

/** What an attachment that is not stored means for the reader. */
const ATTACHMENT_STATUS = {
  pending: 'Downloading',
  skipped: 'Too large, not stored',
  failed: 'Download failed',
}

let serial = 0

/**
 * The CRM identities of a thread or email as chips, coloured by type.
 *
 * @param {import('./api.js').Identity[]} identities
 * @param {number} [max] chips shown before the rest are counted
 */
export function identityChips(identities, max = 3) {
  if (identities.length === 0) return null
  const shown = identities.slice(0, max)
  return el(
    'span',
    { class: 'chips' },
    shown.map((identity) =>
      el('span', { class: `chip chip-${identity.type}`, title: `${identity.name} (${typeName(identity.type)})` },
        el('span', { class: 'chip-type', text: typeName(identity.type) }),
        el('span', { class: 'chip-name', text: identity.name })),
    ),
    identities.length > max ? el('span', { class: 'chip chip-more', text: `+${identities.length - max}` }) : null,
  )
}

/** @param {{ id: string, filename: string, mimeType: string, size: number, status: string }} attachment */
function renderAttachment(attachment) {
  const stored = attachment.status === 'stored'
  const name = attachment.filename.trim() === '' ? 'Unnamed attachment' : attachment.filename
  const body = [
    icon('paperclip'),
    el('span', { class: 'attachment-name', text: name }),
    el('span', { class: 'attachment-size', text: fileSize(attachment.size) }),
    stored ? null : el('span', { class: `badge badge-${attachment.status === 'pending' ? 'warning' : 'danger'}`, text: ATTACHMENT_STATUS[attachment.status] ?? attachment.status }),
  ]
  return el(
    'li',
    {},
    stored
      ? el('a', { class: 'attachment', href: api.attachmentUrl(attachment.id), download: name, title: `Download ${name} (${attachment.mimeType})` }, body)
      : el('span', { class: 'attachment attachment-unavailable' }, body),
  )
}

/**
 * The "Show full message" button and the body block it fills.
 *
 * @param {string} emailId
 * @param {HTMLElement} alertRegion
 */
function bodyToggle(emailId, alertRegion) {
  const bodyId = `email-body-${++serial}`
  const block = el('pre', { class: 'email-body', id: bodyId, tabindex: '0', 'aria-label': 'Full message', hidden: true })
  let loaded = false
  const button = el('button', { type: 'button', class: 'button button-small show-body', 'aria-expanded': 'false', 'aria-controls': bodyId, text: 'Show full message' })
  const setOpen = (open) => {
    block.hidden = !open
    button.setAttribute('aria-expanded', String(open))
    button.textContent = open ? 'Hide full message' : 'Show full message'
  }
  let loading = false
  const open = async () => {
    if (loading) return
    if (!loaded) {
      loading = true
      try {
        const detail = await whileBusy(button, () => api.detail(emailId))
        block.textContent = detail.bodyText.trim() === '' ? '(This message has no text body.)' : detail.bodyText
        loaded = true
      } catch (error) {
        showError(alertRegion, error, 'Could not load the full message')
        return
      } finally {
        loading = false
      }
    }
    setOpen(true)
  }
  button.addEventListener('click', () => {
    if (button.getAttribute('aria-expanded') === 'true') setOpen(false)
    else void open()
  })
  return { button, block, open }
}

/**
 * Renders an email card.
 *
 * @param {import('./api.js').EmailSummary} email
 * @param {{ alertRegion: HTMLElement, showBody?: boolean, isAdmin?: boolean, threadPrivate?: boolean }} options
 *   `showBody` opens the full message at once (when the reader may read it); `isAdmin` offers
 *   Hide; `threadPrivate` says the email's thread is marked private
 * @returns {HTMLElement}
 */
export function renderEmail(email, options) {
  const headingId = `email-heading-${++serial}`
  const recipients = [
    email.to.length > 0 ? `To ${peopleLine(email.to, 6)}` : null,
    email.cc.length > 0 ? `Cc ${peopleLine(email.cc, 6)}` : null,
  ].filter((part) => part !== null)
  const sender = personName(email.from)
  const reason = withheldReason({ mailboxes: email.mailboxes, isPrivate: options.threadPrivate === true && email.access !== 'owner' })
  const marker = (field) => withheldMarker(field, reason, { tag: 'p', class: 'email-withheld' })
  const body = isWithheld(email, 'body') ? null : bodyToggle(email.id, options.alertRegion)
  const card = el(
    'article',
    { class: 'email', 'aria-labelledby': headingId, dataset: { emailId: email.id } },
    el(
      'header',
      { class: 'email-head' },
      el('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(sender) }),
      el(
        'div',
        { class: 'email-who' },
        el(
          'h4',
          { class: 'email-from', id: headingId },
          el('span', { class: 'email-from-name', text: sender }),
          sender === email.from.address ? null : el('span', { class: 'email-from-address', text: email.from.address }),
        ),
        recipients.length === 0 ? null : el('p', { class: 'email-recipients', text: recipients.join(' · ') }),
      ),
      el('time', { class: 'email-date', datetime: email.date, title: fullDate(email.date), text: shortDate(email.date) }),
    ),
    el('p', { class: 'email-mailboxes' }, icon('inbox'), mailboxPhrase(email.mailboxes)),
    isWithheld(email, 'subject') ? marker('subject') : null,
    isWithheld(email, 'snippet') ? marker('snippet') : el('p', { class: 'email-snippet', text: email.snippet }),
    isWithheld(email, 'attachments')
      ? marker('attachments')
      : email.attachments.length === 0
        ? null
        : el('ul', { class: 'attachments', 'aria-label': `Attachments of the message from ${sender}` }, email.attachments.map(renderAttachment)),
    el(
      'div',
      { class: 'email-actions' },
      body === null ? marker('body') : body.button,
      options.isAdmin !== true ? null : el('button', {
        type: 'button',
        class: 'button button-small button-quiet hide-email',
        text: 'Hide',
        'aria-label': `Hide the message from ${sender} from the CRM`,
        on: { click: () => void hide(card, email, options) },
      }),
    ),
    body?.block,
  )
  if (options.showBody === true) void body?.open()
  return card
}

/**
 * Hides the email everywhere, leaving an undo in its place.
 *
 * @param {HTMLElement} card
 * @param {import('./api.js').EmailSummary} email
 * @param {{ alertRegion: HTMLElement }} options
 */
async function hide(card, email, options) {
  try {
    await api.hide(email.id)
  } catch (error) {
    showError(options.alertRegion, error, 'Could not hide the message')
    return
  }
  const undo = el('button', { type: 'button', class: 'button button-small', text: 'Undo' })
  const note = el('div', { class: 'email-hidden' }, el('p', { text: `Message from ${personName(email.from)} hidden from the CRM.` }), undo)
  undo.addEventListener('click', () => {
    api.restore(email.id).then(
      () => {
        const restored = renderEmail(email, options)
        note.replaceWith(restored)
        restored.querySelector('.show-body')?.focus()
        announce('Message restored.')
      },
      (error) => showError(options.alertRegion, error, 'Could not restore the message'),
    )
  })
  card.replaceWith(note)
  undo.focus()
  announce('Message hidden. Undo is available.')
}
