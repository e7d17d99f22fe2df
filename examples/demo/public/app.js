/**
 * The Communications page: wires who is signed in, the filter bar, the two views of the mail
 * (threads and content search, as tabs), the Mailboxes panel and the Digest panel (admins).
 * The filters, the view and the query live in the address bar, so a reload or a shared link
 * shows the same mail.
 */
import { createAccounts } from './accounts.js'
import { createDigest } from './digest.js'
import { byId } from './dom.js'
import { createFilters } from './filters.js'
import { showError } from './notice.js'
import { createSearch } from './search.js'
import { loadSession } from './session.js'
import { createThreadList } from './threads.js'

const alertRegion = byId('alert')
const tabs = { threads: byId('mode-threads'), search: byId('mode-search') }
const panels = { threads: byId('threads-panel'), search: byId('search-panel') }
/** Which view still shows results of older filters (the other view is refreshed on change). */
const stale = { threads: true, search: true }
let mode = 'threads'

// Who the reader is decides what they see of each email and which controls they get.
const me = await loadSession(alertRegion)
const isAdmin = me?.isAdmin === true
for (const adminOnly of [byId('digest'), byId('nav-digest')]) adminOnly.hidden = !isAdmin

const filters = createFilters({ onChange: filtersChanged, onError: (error) => showError(alertRegion, error, 'Could not load the identities') })
const filter = () => filters.value()
const threads = createThreadList({ filter, alertRegion, isAdmin })
const search = createSearch({
  filter,
  alertRegion,
  isAdmin,
  onQuery: () => {
    stale.search = false
    saveState()
  },
})
const accounts = createAccounts({
  me,
  // A changed level changes what the reader sees: both views show it on their next look.
  onSharingChanged: () => {
    stale.search = true
    stale.threads = true
    refreshView()
  },
  // New mail shows in the thread list at once; search results the reader asked for stay put
  // until the next search, filter change or return to that tab.
  onSynced: () => {
    void filters.loadFacet()
    stale.search = true
    stale.threads = true
    if (mode === 'threads') refreshView()
  },
})
if (isAdmin) createDigest()

function saveState() {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(filters.value())) if (value !== '') params.set(key, value)
  if (mode === 'search') params.set('mode', 'search')
  if (search.query().trim() !== '') params.set('q', search.query())
  const query = params.toString()
  history.replaceState(null, '', `${location.pathname}${query === '' ? '' : `?${query}`}${location.hash}`)
}

function refreshView() {
  if (!stale[mode]) return
  stale[mode] = false
  void (mode === 'threads' ? threads.reload() : search.rerun())
}

function filtersChanged() {
  stale.threads = true
  stale.search = true
  saveState()
  refreshView()
}

/**
 * @param {'threads' | 'search'} next
 * @param {boolean} focusTab whether the keyboard moved between the tabs
 */
function setMode(next, focusTab) {
  mode = next
  for (const [name, tab] of Object.entries(tabs)) {
    const selected = name === next
    tab.setAttribute('aria-selected', String(selected))
    tab.tabIndex = selected ? 0 : -1
    panels[name].hidden = !selected
  }
  if (focusTab) tabs[next].focus()
  saveState()
  refreshView()
}

for (const [name, tab] of Object.entries(tabs)) {
  tab.addEventListener('click', () => {
    setMode(name, false)
    if (name === 'search') search.focus()
  })
  tab.addEventListener('keydown', (event) => {
    const other = name === 'threads' ? 'search' : 'threads'
    const target = { ArrowRight: other, ArrowLeft: other, Home: 'threads', End: 'search' }[event.key]
    if (target === undefined) return
    event.preventDefault()
    setMode(target, true)
  })
}

const params = new URLSearchParams(location.search)
filters.set({ identity: params.get('identity') ?? '', from: params.get('from') ?? '', to: params.get('to') ?? '' })
search.setQuery(params.get('q') ?? '')
void filters.loadFacet()
setMode(params.get('mode') === 'search' ? 'search' : 'threads', false)
void accounts.refresh()
