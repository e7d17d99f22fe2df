/**
 * The Digest panel (admin): `POST /api/admin/digest/preview` over the last 24 hours or since
 * a date, shown from the digest's JSON with DOM calls (its `html` rendering is for email, not
 * for this page). A preview never moves the daily digest's cursor.
 */
import { api } from './api.js'
import { byId, el, whileBusy } from './dom.js'
import { ago, dateRange, fullDate, localDate, peopleLine, plural, typeName } from './format.js'
import { announce, clearError, showError, showMessage } from './notice.js'

/** Identities shown before "Show more": a busy day can name dozens. */
const GROUPS_SHOWN = 6
/** Threads listed per identity before the rest fold away. */
const THREADS_SHOWN = 2

const SUMMARIZERS = { llm: ['AI summary', 'accent'], extractive: ['Extractive summary', 'neutral'] }

/** @param {string} summarizer */
function summarizerBadge(summarizer) {
  const [label, tone] = SUMMARIZERS[summarizer] ?? [summarizer, 'neutral']
  const title = summarizer === 'llm' ? 'Written by the configured language model' : 'Sentences quoted from the mail itself'
  return el('span', { class: `badge badge-${tone}`, title, text: label })
}

/** @param {import('./api.js').DigestThread} thread */
function renderThread(thread) {
  return el(
    'li',
    {},
    el('span', { class: 'digest-thread-subject', text: thread.subject.trim() === '' ? '(no subject)' : thread.subject }),
    el(
      'span',
      { class: 'digest-thread-meta' },
      `${plural(thread.messageCount, 'message')} · `,
      el('time', { datetime: thread.lastAt, title: fullDate(thread.lastAt), text: ago(thread.lastAt) }),
      thread.participants.length > 0 ? ` · ${peopleLine(thread.participants, 3)}` : '',
    ),
  )
}

/**
 * @param {import('./api.js').DigestGroup} group
 * @param {string} overall the digest's summarizer: a group's own is shown only when it differs
 */
function renderGroup(group, overall) {
  const rest = group.threads.slice(THREADS_SHOWN)
  return el(
    'section',
    { class: 'digest-group', 'aria-label': group.identity.name, tabindex: '-1' },
    el(
      'header',
      { class: 'digest-group-head' },
      el('h4', { text: group.identity.name }),
      el('span', { class: `chip chip-${group.identity.type}` }, el('span', { class: 'chip-name', text: typeName(group.identity.type) })),
      el('span', { class: 'digest-count', text: plural(group.emailCount ?? group.threads.length, 'email') }),
      group.summarizer !== undefined && group.summarizer !== overall ? summarizerBadge(group.summarizer) : null,
    ),
    el('p', { class: 'digest-group-summary', text: group.summary }),
    el('ul', { class: 'digest-threads' }, group.threads.slice(0, THREADS_SHOWN).map(renderThread)),
    rest.length === 0
      ? null
      : el(
        'details',
        { class: 'digest-more-threads' },
        el('summary', { text: `${plural(rest.length, 'more thread')}` }),
        el('ul', { class: 'digest-threads' }, rest.map(renderThread)),
      ),
  )
}

/**
 * The groups, the first few shown and the rest behind a button, so a busy day does not bury
 * the page.
 *
 * @param {import('./api.js').Digest} digest
 */
function renderGroups(digest) {
  const sections = digest.groups.map((group) => renderGroup(group, digest.summarizer))
  const hidden = sections.slice(GROUPS_SHOWN)
  for (const section of hidden) section.hidden = true
  const more =
    hidden.length === 0
      ? null
      : el('button', {
        type: 'button',
        class: 'button button-small digest-show-all',
        text: `Show ${plural(hidden.length, 'more identity', 'more identities')}`,
        on: {
          click: (event) => {
            for (const section of hidden) section.hidden = false
            event.currentTarget.closest('.digest-more')?.remove()
            hidden[0].focus()
          },
        },
      })
  return el('div', { class: 'digest-groups' }, sections, more === null ? null : el('div', { class: 'digest-more' }, more))
}

/** @param {import('./api.js').Digest} digest */
function renderDigest(digest) {
  return [
    el(
      'div',
      { class: 'digest-meta' },
      el('p', { class: 'digest-window' }, 'Window: ', el('span', { text: dateRange(digest.window.from, digest.window.to) })),
      summarizerBadge(digest.summarizer),
    ),
    el('p', { class: 'digest-summary', text: digest.summary }),
    digest.truncated === true ? el('p', { class: 'digest-note', text: 'The window held more mail than a digest reads; the newest was kept.' }) : null,
    digest.groups.length === 0
      ? el('p', { class: 'empty-inline', text: 'No CRM mail in this window. A quiet day is still sent, so the team can tell it from a broken digest.' })
      : renderGroups(digest),
  ].filter((node) => node !== null)
}

/** Wires the Digest panel. */
export function createDigest() {
  const form = byId('digest-form')
  const hours = /** @type {HTMLInputElement} */ (byId('digest-hours'))
  const since = /** @type {HTMLInputElement} */ (byId('digest-since'))
  const sinceDate = /** @type {HTMLInputElement} */ (byId('digest-since-date'))
  const preview = byId('digest-preview')
  const result = byId('digest-result')
  const alertRegion = byId('digest-alert')

  sinceDate.max = localDate()
  sinceDate.value = localDate(7)
  // Choosing a date means the "Since" window.
  for (const type of ['input', 'change']) {
    sinceDate.addEventListener(type, () => {
      since.checked = true
    })
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    void run()
  })

  let busy = false

  async function run() {
    if (busy) return
    const span = hours.checked ? { hours: 24 } : { since: sinceDate.value }
    if ('since' in span && span.since === '') {
      showMessage(alertRegion, 'Choose the date the digest should start from.')
      sinceDate.focus()
      return
    }
    busy = true
    preview.setAttribute('aria-disabled', 'true')
    try {
      const digest = await whileBusy(result, () => api.digestPreview(span))
      result.replaceChildren(...renderDigest(digest))
      clearError(alertRegion)
      announce(`Digest preview ready: ${plural(digest.groups.length, 'identity', 'identities')}.`)
    } catch (error) {
      showError(alertRegion, error, 'Could not build the digest preview')
    } finally {
      busy = false
      preview.removeAttribute('aria-disabled')
    }
  }
}
