/**
 * The demo's "Signed in as" selector: the visitor picks who they are (the admin or a
 * teammate) and the page reloads as that person. `POST /demo/sign-in` stores the choice in a
 * cookie the demo's `authenticate` reads; it accepts only the admin and the team.
 */
import { api } from './api.js'
import { append, byId, el } from './dom.js'
import { showError } from './notice.js'

/**
 * Fills the selector and answers who is signed in (null when nobody the demo knows is).
 *
 * @param {HTMLElement} alertRegion where a failure is shown
 * @returns {Promise<import('./api.js').Person | null>}
 */
export async function loadSession(alertRegion) {
  const select = /** @type {HTMLSelectElement} */ (byId('signed-in-as'))
  let answer
  try {
    answer = await api.people()
  } catch (error) {
    showError(alertRegion, error, 'Could not read who is signed in')
    return null
  }
  /** @type {import('./api.js').Person[]} */
  const people = answer.people
  const me = people.find((person) => person.email === answer.signedInAs) ?? null
  select.replaceChildren()
  append(select, [
    me === null ? el('option', { value: '', selected: true, disabled: true, text: 'Choose who you are' }) : null,
    ...people.map((person) =>
      el('option', { value: person.email, selected: person === me, text: person.isAdmin ? `${person.name} (admin)` : `${person.name} · ${person.email}` }),
    ),
  ])
  document.body.dataset.signedInAs = me?.email ?? ''
  select.addEventListener('change', () => {
    api.signIn(select.value).then(
      () => location.reload(),
      (error) => showError(alertRegion, error, 'Could not sign in'),
    )
  })
  return me
}
