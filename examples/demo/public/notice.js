/**
 * Telling the reader what happened: errors in a region's own `role="alert"` box (so the
 * message appears next to what failed), and quiet status changes through one polite live
 * region that screen readers announce without moving focus.
 */
import { ApiError, describeError, isAbort } from './api.js'
import { byId, el } from './dom.js'

/**
 * Shows an error in an alert region, with the API's code for anyone reporting it.
 *
 * @param {HTMLElement} region an element with `role="alert"`
 * @param {unknown} error
 * @param {string} [context] what was being done ("Could not load threads")
 */
export function showError(region, error, context) {
  if (isAbort(error)) return
  const code = error instanceof ApiError && error.status !== 0 ? error.code : null
  region.replaceChildren(
    el(
      'div',
      { class: 'alert-body' },
      context === undefined ? null : el('p', { class: 'alert-title', text: context }),
      el('p', { text: describeError(error) }),
      code === null ? null : el('p', { class: 'alert-code', text: `Error code: ${code}` }),
    ),
    el('button', {
      type: 'button',
      class: 'alert-dismiss',
      'aria-label': 'Dismiss this message',
      text: '×',
      on: { click: () => region.replaceChildren() },
    }),
  )
}

/**
 * Shows a plain message (not from an error) in an alert region.
 *
 * @param {HTMLElement} region
 * @param {string} message
 */
export function showMessage(region, message) {
  showError(region, new Error(message))
}

/**
 * Empties an alert region.
 *
 * @param {HTMLElement} region
 */
export function clearError(region) {
  region.replaceChildren()
}

let announceTimer = 0

/**
 * Announces a status change politely. The text is set after a short pause so that the same
 * sentence twice in a row is announced twice.
 *
 * @param {string} message
 */
export function announce(message) {
  const region = byId('announcer')
  region.textContent = ''
  window.clearTimeout(announceTimer)
  announceTimer = window.setTimeout(() => {
    region.textContent = message
  }, 100)
}
