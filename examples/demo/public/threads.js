/**
 * The thread list: pages of `GET /api/email/threads` (newest first, "Load more" follows
 * `nextCursor`), each thread a disclosure button that loads its emails on first open. A
 * subject or preview the reader's access withholds shows as withheld; a private thread says so.
 */
import { api, isAbort } from './api.js'
import { arrowNavigation, byId, el, icon, whileBusy } from './dom.js'
import { identityChips, renderEmail } from './email-view.js'
import { fullDate, initials, peopleLine, plural, shortDate } from './format.js'
import { clearError, showError } from './notice.js'
import { privacyBar } from './privacy.js'
import { isWithheld, privateBadge, withheldMarker, withheldReason } from './withheld.js'

/**
 * Wires the thread list.
 *
 * @param {{ filter: () => import('./api.js').MailFilter, alertRegion: HTMLElement, isAdmin: boolean }} options
 */
export function createThreadList(options) {
  const list = byId('thread-list')
  const more = byId('load-more')
  const empty = byId('thread-empty')
  const status = byId('thread-status')
  let cursor = null
  let controller = new AbortController()
  let shown = 0

  /** @param {boolean} append */
  async function loadPage(append) {
    controller.abort()
    controller = new AbortController()
    const { signal } = controller
    if (!append) {
      cursor = null
      shown = 0
    }
    more.setAttribute('aria-disabled', 'true')
    status.textContent = append ? 'Loading more conversations…' : 'Loading conversations…'
    try {
      const page = await whileBusy(list, () => api.threads(options.filter(), cursor, signal))
      const firstNew = page.items.length > 0 ? renderThread(page.items[0]) : null
      const rows = page.items.slice(1).map(renderThread)
      const kept = append ? null : openState()
      if (!append) list.replaceChildren()
      if (firstNew !== null) list.append(firstNew, ...rows)
      if (kept !== null) restoreOpenState(kept)
      shown += page.items.length
      cursor = page.nextCursor
      more.hidden = cursor === null
      empty.hidden = shown > 0
      status.textContent = shown === 0 ? '' : `${plural(shown, 'conversation')}${cursor === null ? '' : ', more to load'}`
      clearError(options.alertRegion)
      // Keyboard users who asked for more land on the first new thread, not back at the top.
      if (append && firstNew !== null) firstNew.querySelector('.thread-toggle')?.focus()
    } catch (error) {
      if (isAbort(error)) return
      status.textContent = ''
      if (!append) {
        list.replaceChildren()
        empty.hidden = true
        more.hidden = true
      }
      showError(options.alertRegion, error, append ? 'Could not load more conversations' : 'Could not load conversations')
    } finally {
      if (!signal.aborted) more.removeAttribute('aria-disabled')
    }
  }

  /** Which threads are open and which has focus, so a reload (after a sync) does not lose the reader's place. */
  function openState() {
    const open = new Set([...list.querySelectorAll('.thread-toggle[aria-expanded="true"]')].map((toggle) => toggle.closest('.thread')?.dataset.threadId))
    const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement.closest('.thread') : null
    return { open, focused: focused instanceof HTMLElement ? focused.dataset.threadId : undefined }
  }

  /** @param {{ open: Set<string | undefined>, focused: string | undefined }} state */
  function restoreOpenState(state) {
    for (const row of list.querySelectorAll('.thread')) {
      if (!(row instanceof HTMLElement)) continue
      const toggle = row.querySelector('.thread-toggle')
      if (state.open.has(row.dataset.threadId)) toggle?.click()
      if (state.focused === row.dataset.threadId) toggle?.focus()
    }
  }

  /** @param {import('./api.js').ThreadSummary} thread */
  function renderThread(thread) {
    const panelId = `thread-panel-${thread.id}`
    const subject = thread.subject.trim() === '' ? '(no subject)' : thread.subject
    const lead = thread.identities[0]?.name ?? thread.participants[0]?.address ?? subject
    const reason = withheldReason({ isPrivate: thread.private })
    const flags = el('span', { class: 'thread-flags' }, thread.private ? privateBadge() : null)
    const toggle = el(
      'button',
      { type: 'button', class: 'thread-toggle', 'aria-expanded': 'false', 'aria-controls': panelId },
      el('span', { class: `avatar avatar-${thread.identities[0]?.type ?? 'addr'}`, 'aria-hidden': 'true', text: initials(lead) }),
      el(
        'span',
        { class: 'thread-main' },
        el(
          'span',
          { class: 'thread-line' },
          isWithheld(thread, 'subject') ? withheldMarker('subject', reason, { class: 'thread-subject' }) : el('span', { class: 'thread-subject', text: subject }),
          flags,
          thread.messageCount > 1
            ? el('span', { class: 'count', title: plural(thread.messageCount, 'message') }, String(thread.messageCount), el('span', { class: 'visually-hidden', text: ' messages' }))
            : null,
          el('time', { class: 'thread-date', datetime: thread.lastAt, title: fullDate(thread.lastAt), text: shortDate(thread.lastAt) }),
        ),
        el('span', { class: 'thread-people', text: peopleLine(thread.participants) }),
        isWithheld(thread, 'snippet') ? withheldMarker('snippet', reason, { class: 'thread-snippet' }) : el('span', { class: 'thread-snippet', text: thread.snippet }),
        identityChips(thread.identities),
      ),
      icon('chevron', 'icon chevron'),
    )
    const panel = el('div', { class: 'thread-panel', id: panelId, role: 'region', 'aria-label': `Messages in ${subject}`, hidden: true })
    let loaded = false
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true'
      toggle.setAttribute('aria-expanded', String(open))
      panel.hidden = !open
      if (open && !loaded) {
        loaded = true
        void loadThread(thread.id, panel, flags).catch(() => {
          loaded = false
        })
      }
    })
    return el('li', { class: 'thread', dataset: { threadId: thread.id } }, el('h3', { class: 'thread-heading' }, toggle), panel)
  }

  /**
   * @param {string} id
   * @param {HTMLElement} panel
   * @param {HTMLElement} flags the row's badges, updated when the reader changes the thread's privacy
   */
  async function loadThread(id, panel, flags) {
    panel.replaceChildren(el('p', { class: 'loading', text: 'Loading messages…' }))
    try {
      /** @type {import('./api.js').ThreadDetail} */
      const detail = await whileBusy(panel, () => api.thread(id))
      const privacy = privacyBar(detail, { alertRegion: options.alertRegion, onChange: (isPrivate) => flags.replaceChildren(...(isPrivate ? [privateBadge()] : [])) })
      const cards = detail.emails.map((email) => renderEmail(email, { alertRegion: options.alertRegion, isAdmin: options.isAdmin, threadPrivate: detail.private }))
      panel.replaceChildren(...(privacy === null ? [] : [privacy]), ...(cards.length > 0 ? cards : [el('p', { class: 'loading', text: 'Every message of this thread is hidden.' })]))
    } catch (error) {
      panel.replaceChildren(el('p', { class: 'loading', text: 'The messages could not be loaded.' }))
      showError(options.alertRegion, error, 'Could not open the conversation')
      throw error
    }
  }

  more.addEventListener('click', () => {
    if (more.getAttribute('aria-disabled') !== 'true') void loadPage(true)
  })
  arrowNavigation(list, '.thread-toggle')

  return {
    /** Reloads the first page for the current filters, keeping open threads open. */
    reload: () => loadPage(false),
  }
}
