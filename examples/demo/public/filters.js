/**
 * The filter bar: the identity facet (`GET /api/email/identities` over the chosen dates,
 * grouped by type) and the date range. `to` is sent as a date, which the API reads as
 * including that whole day.
 */
import { api } from './api.js'
import { byId, el, whileBusy } from './dom.js'
import { IDENTITY_GROUPS, typeName } from './format.js'

/**
 * @typedef {{ identity: string, from: string, to: string }} FilterState
 */

/**
 * Wires the filter bar.
 *
 * @param {{ onChange: () => void, onError: (error: unknown) => void }} hooks
 */
export function createFilters(hooks) {
  const identity = /** @type {HTMLSelectElement} */ (byId('identity'))
  const from = /** @type {HTMLInputElement} */ (byId('from'))
  const to = /** @type {HTMLInputElement} */ (byId('to'))
  const clear = /** @type {HTMLButtonElement} */ (byId('clear-dates'))
  /** Labels of identities seen before, so a chosen one stays listed when the dates leave it out. */
  const known = new Map()
  let facetController = new AbortController()

  /** @returns {FilterState} */
  function value() {
    return { identity: identity.value, from: from.value, to: to.value }
  }

  function syncBounds() {
    to.min = from.value
    from.max = to.value
    clear.disabled = from.value === '' && to.value === ''
  }

  /** @param {{ key: string, type: string, name: string, count: number }[]} items */
  function renderFacet(items) {
    const chosen = identity.value
    const groups = IDENTITY_GROUPS.map(([type, label]) => {
      const members = items.filter((item) => item.type === type)
      if (chosen !== '' && chosen.startsWith(`${type}:`) && !members.some((item) => item.key === chosen)) {
        members.push({ key: chosen, type, name: known.get(chosen) ?? chosen.slice(type.length + 1), count: 0 })
      }
      if (members.length === 0) return null
      return el(
        'optgroup',
        { label },
        members.map((item) => {
          known.set(item.key, item.name)
          return el('option', { value: item.key, text: `${item.name} · ${typeName(item.type)} (${item.count})` })
        }),
      )
    })
    identity.replaceChildren(el('option', { value: '', text: 'All identities' }), ...groups.filter((group) => group !== null))
    identity.value = chosen
    // A key of an unknown type (typed into the address bar) matches nothing: show that plainly.
    if (identity.value !== chosen) {
      identity.append(el('option', { value: chosen, text: `${chosen} (0)` }))
      identity.value = chosen
    }
  }

  async function loadFacet() {
    facetController.abort()
    facetController = new AbortController()
    const { signal } = facetController
    try {
      const facet = await whileBusy(identity, () => api.identities(value(), signal))
      renderFacet(facet.items)
    } catch (error) {
      hooks.onError(error)
    }
  }

  // Every control applies on change; Enter in a date field must not reload the page.
  byId('filters').addEventListener('submit', (event) => event.preventDefault())
  identity.addEventListener('change', () => hooks.onChange())
  for (const input of [from, to]) {
    input.addEventListener('change', () => {
      syncBounds()
      void loadFacet()
      hooks.onChange()
    })
  }
  clear.addEventListener('click', () => {
    from.value = ''
    to.value = ''
    syncBounds()
    void loadFacet()
    hooks.onChange()
    from.focus()
  })

  return {
    value,
    loadFacet,
    /**
     * Sets the filters without announcing a change (restoring them from the address bar).
     *
     * @param {FilterState} state
     */
    set(state) {
      if (state.identity !== '' && identity.querySelector(`option[value="${CSS.escape(state.identity)}"]`) === null) {
        identity.append(el('option', { value: state.identity, text: state.identity }))
      }
      identity.value = state.identity
      from.value = state.from
      to.value = state.to
      syncBounds()
    },
  }
}
