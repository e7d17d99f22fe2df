/**
 * A mailbox's sharing level in the Mailboxes panel: what teammates see of its mail. Its owner
 * and the admin change it with a select (`POST /api/email/accounts/sharing`); everyone else
 * reads it.
 */
import { el } from './dom.js'

/** The levels, most permissive first, as a reader knows them. */
export const SHARING_LEVELS = [
  ['everything', 'Everything', 'Teammates see subjects, previews, bodies and attachments'],
  ['subject', 'Subjects only', 'Teammates see who, when and the subject; previews, bodies and attachments are withheld'],
  ['metadata', 'Who and when only', 'Teammates see who and when; subjects, previews, bodies and attachments are withheld'],
]

/**
 * Whether the signed-in person may change a mailbox's level: an admin, or its owner.
 *
 * @param {import('./api.js').Person | null} me
 * @param {string} address
 */
export function mayChangeSharing(me, address) {
  return me !== null && (me.isAdmin || me.email === address)
}

/**
 * The level of one mailbox: a select for its owner and the admin, else read-only text.
 *
 * @param {{ address: string, sharing: string, sharingIsDefault: boolean }} account
 * @param {import('./api.js').Person | null} me
 * @param {(address: string, level: string) => void} onChange
 * @returns {HTMLElement}
 */
export function sharingControl(account, me, onChange) {
  const current = SHARING_LEVELS.find(([level]) => level === account.sharing)
  const label = current?.[1] ?? account.sharing
  const note = account.sharingIsDefault ? el('span', { class: 'sharing-default', text: '(default)' }) : null
  if (!mayChangeSharing(me, account.address)) {
    return el(
      'p',
      { class: 'account-sharing' },
      'Teammates see: ',
      el('span', { class: 'sharing-level', title: current?.[2], dataset: { level: account.sharing }, text: label }),
      note,
    )
  }
  const id = `sharing-${account.address.replace(/[^a-z0-9]/gi, '-')}`
  const select = el(
    'select',
    {
      id,
      class: 'sharing-select',
      'aria-label': `Sharing level of ${account.address}`,
      title: current?.[2],
      on: { change: (event) => onChange(account.address, /** @type {HTMLSelectElement} */ (event.currentTarget).value) },
    },
    SHARING_LEVELS.map(([level, name, help]) => el('option', { value: level, title: help, selected: level === account.sharing, text: name })),
  )
  return el('p', { class: 'account-sharing' }, el('label', { for: id, text: 'Teammates see:' }), select, note)
}
