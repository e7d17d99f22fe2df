/**
 * Content search: `GET /api/email/search` with the filter bar's identity and dates. The
 * API's highlight is plain text with matches between « and »; it is split into text nodes and
 * `<mark>` elements, never parsed as HTML.
 */
import { api, isAbort } from './api.js'
import { arrowNavigation, byId, el, icon, whileBusy } from './dom.js'
import { identityChips, renderEmail } from './email-view.js'
import { fullDate, personName, plural, shortDate } from './format.js'
import { clearError, showError } from './notice.js'
import { isWithheld, withheldMarker, withheldReason } from './withheld.js'

/** The backends' names as a reader knows them. */
const BACKENDS = { fts5: 'SQLite full-text', postgres: 'PostgreSQL full-text', hybrid: 'Hybrid (keywords + vectors)', embedded: 'Vectors in the database', qdrant: 'Qdrant' }
/** The modes as the selector names them. */
const MODES = { hybrid: 'Hybrid: words and meaning', keyword: 'Keyword: exact words', semantic: 'Semantic: by meaning' }

/**
 * The highlight as nodes: text, with each «match» as a `<mark>`.
 *
 * @param {string} highlight
 * @returns {(string | HTMLElement)[]}
 */
function highlightNodes(highlight) {
  return highlight
    .split(/(«[^«»]*»)/)
    .filter((part) => part !== '')
    .map((part) => (part.startsWith('«') && part.endsWith('»') && part.length > 2 ? el('mark', { text: part.slice(1, -1) }) : part))
}

/** @param {number} score */
function scoreText(score) {
  return Number.isFinite(score) ? score.toPrecision(3) : String(score)
}

/**
 * Wires the search form and results.
 *
 * @param {{ filter: () => import('./api.js').MailFilter, alertRegion: HTMLElement, isAdmin: boolean, onQuery: (q: string) => void }} options
 */
export function createSearch(options) {
  const form = byId('search-form')
  const input = /** @type {HTMLInputElement} */ (byId('search-input'))
  const results = byId('search-results')
  const status = byId('search-status')
  const modeSelect = /** @type {HTMLSelectElement} */ (byId('search-mode'))
  // The selector shows only when the server can search by meaning (an embeddings endpoint is set).
  api.searchModes().then(
    (/** @type {{ modes: string[], embeddings: string }} */ info) => {
      if (info.modes.length < 2) return
      modeSelect.replaceChildren(...info.modes.map((mode) => el('option', { value: mode, text: MODES[mode] ?? mode })))
      modeSelect.title = `How results are ranked; meaning by ${info.embeddings}`
      modeSelect.hidden = false
    },
    () => {
      // Without the demo's answer the page searches by keyword, the library's default there.
    },
  )
  let controller = new AbortController()
  let serial = 0

  /**
   * The file a hit was found in, linked for download.
   *
   * @param {{ id: number | string, filename: string }} attachment
   */
  function attachmentLink(attachment) {
    const name = attachment.filename.trim() === '' ? 'an unnamed attachment' : attachment.filename
    return el(
      'p',
      { class: 'match-attachment' },
      'Found in the attachment ',
      el('a', { href: api.attachmentUrl(String(attachment.id)), download: name, title: `Download ${name}`, text: name }),
    )
  }

  /** @param {{ email: import('./api.js').EmailSummary, score: number, highlight: string, attachment?: { id: number | string, filename: string } }} item */
  function renderResult(item) {
    const { email } = item
    const panelId = `search-panel-${++serial}`
    const subject = email.subject.trim() === '' ? '(no subject)' : email.subject
    const toggle = el(
      'button',
      { type: 'button', class: 'result-toggle', 'aria-expanded': 'false', 'aria-controls': panelId },
      el(
        'span',
        { class: 'thread-main' },
        el(
          'span',
          { class: 'thread-line' },
          isWithheld(email, 'subject')
            ? withheldMarker('subject', withheldReason({ mailboxes: email.mailboxes }), { class: 'thread-subject' })
            : el('span', { class: 'thread-subject', text: subject }),
          el('span', { class: 'score', title: 'Relevance score (higher is better)', text: `score ${scoreText(item.score)}` }),
          el('time', { class: 'thread-date', datetime: email.date, title: fullDate(email.date), text: shortDate(email.date) }),
        ),
        el('span', { class: 'thread-people', text: `From ${personName(email.from)}` }),
        el('span', { class: 'highlight' }, highlightNodes(item.highlight)),
        identityChips(email.identities),
      ),
      icon('chevron', 'icon chevron'),
    )
    const panel = el('div', { class: 'thread-panel', id: panelId, role: 'region', 'aria-label': `Message: ${subject}`, hidden: true })
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true'
      toggle.setAttribute('aria-expanded', String(open))
      panel.hidden = !open
      if (open && panel.childElementCount === 0) panel.append(renderEmail(email, { alertRegion: options.alertRegion, isAdmin: options.isAdmin, showBody: true }))
    })
    // The link sits outside the toggle button: a link inside a button is neither valid nor reachable by keyboard.
    const found = item.attachment === undefined || item.attachment === null ? null : attachmentLink(item.attachment)
    return el('li', { class: 'search-result', dataset: { emailId: email.id } }, el('h3', { class: 'thread-heading' }, toggle), found, panel)
  }

  /** @param {string} q */
  async function run(q) {
    controller.abort()
    controller = new AbortController()
    const { signal } = controller
    if (q.trim() === '') {
      results.replaceChildren()
      status.textContent = 'Type a word to search subjects, names, addresses and message bodies.'
      return
    }
    status.textContent = 'Searching…'
    try {
      const mode = modeSelect.hidden ? undefined : modeSelect.value
      const answer = await whileBusy(results, () => api.search(q, options.filter(), signal, mode))
      results.replaceChildren(...answer.items.map(renderResult))
      const backend = BACKENDS[answer.backend] ?? answer.backend
      status.replaceChildren(
        answer.items.length === 0 ? `No messages match “${q}”.` : `${plural(answer.items.length, 'result')} for “${q}”, best first`,
        el('span', { class: 'badge badge-neutral backend', title: `Search backend: ${answer.backend}`, text: backend }),
        el('span', { class: 'badge badge-accent search-mode', dataset: { mode: answer.mode ?? 'keyword' }, text: `mode: ${answer.mode ?? 'keyword'}` }),
        // Degraded: the vector side failed or is not configured, so these are keyword results only.
        ...(answer.degraded === true
          ? [el('span', { class: 'badge badge-warning degraded', title: answer.reason ?? '', text: `keyword results only: ${answer.reason ?? 'vector search unavailable'}` })]
          : []),
      )
      clearError(options.alertRegion)
    } catch (error) {
      if (isAbort(error)) return
      results.replaceChildren()
      status.textContent = ''
      showError(options.alertRegion, error, 'Search failed')
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    options.onQuery(input.value)
    void run(input.value)
  })
  arrowNavigation(results, '.result-toggle')

  return {
    /** Runs the current query again (the filters changed). */
    rerun: () => run(input.value),
    /** @param {string} q */
    setQuery(q) {
      input.value = q
    },
    query: () => input.value,
    focus: () => input.focus(),
  }
}
