/**
 * A thread's privacy in the thread view: a private thread says so, and an owner of a mailbox
 * holding its mail (the API answers `access: 'owner'` on such an email) can mark it private
 * (`POST /api/email/threads/:id/private`) or share it again (`/unprivate`). Everyone else
 * then sees only who and when of it, whatever the mailboxes' sharing levels.
 */
import { api } from './api.js'
import { append, el } from './dom.js'
import { announce, showError } from './notice.js'
import { privateBadge } from './withheld.js'

/**
 * The privacy bar of an open thread, or null when there is nothing to show or do.
 *
 * @param {import('./api.js').ThreadDetail} detail
 * @param {{ alertRegion: HTMLElement, onChange: (isPrivate: boolean) => void }} options
 *   `onChange` runs after the API stored a change (the thread's row updates its badge)
 * @returns {HTMLElement | null}
 */
export function privacyBar(detail, options) {
  const isOwner = detail.emails.some((email) => email.access === 'owner')
  if (!detail.private && !isOwner) return null
  let isPrivate = detail.private
  const bar = el('div', { class: 'thread-privacy' })
  const button = el('button', { type: 'button', class: 'button button-small privacy-toggle' })
  let busy = false

  function render() {
    button.textContent = isPrivate ? 'Share again' : 'Make private'
    button.setAttribute('aria-label', isPrivate ? 'Share this thread again at its mailboxes\u2019 sharing levels' : 'Make this thread private: teammates see only who and when')
    bar.replaceChildren()
    append(bar, [
      isPrivate ? privateBadge() : null,
      el('p', {
        class: 'thread-privacy-note',
        text: isPrivate
          ? 'Only the owners of its mailboxes see its subject and content.'
          : 'Shared at its mailboxes\u2019 sharing levels.',
      }),
      isOwner ? button : null,
    ])
  }

  button.addEventListener('click', () => {
    if (busy) return
    busy = true
    button.setAttribute('aria-disabled', 'true')
    api.setPrivate(detail.id, !isPrivate).then(
      (answer) => {
        isPrivate = answer.private
        render()
        button.focus()
        options.onChange(isPrivate)
        announce(isPrivate ? 'Thread marked private.' : 'Thread shared again.')
      },
      (error) => showError(options.alertRegion, error, 'Could not change the thread\u2019s privacy'),
    ).finally(() => {
      busy = false
      button.removeAttribute('aria-disabled')
    })
  })
  render()
  return bar
}
