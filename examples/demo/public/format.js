/** How dates, sizes, people and identities read on the page. */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })
const dayMonth = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
const dayMonthYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' })
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' })

/** Plural labels of the identity types, as the facet groups them. */
export const IDENTITY_GROUPS = [
  ['fund', 'Funds'],
  ['org', 'Organizations'],
  ['contact', 'Contacts'],
  ['addr', 'Addresses'],
]

const TYPE_NAMES = { fund: 'fund', org: 'organization', contact: 'contact', addr: 'address' }

/**
 * The singular, lower-case name of an identity type.
 *
 * @param {string} type
 */
export function typeName(type) {
  return TYPE_NAMES[type] ?? type
}

/**
 * A date as a list shows it: the time today, the weekday this week, else the day.
 *
 * @param {string} iso
 * @param {Date} [now]
 */
export function shortDate(iso, now = new Date()) {
  const date = new Date(iso)
  const age = now.getTime() - date.getTime()
  if (age >= 0 && age < HOUR) return age < MINUTE ? 'Just now' : `${Math.floor(age / MINUTE)} min ago`
  if (date.toDateString() === now.toDateString()) return timeOnly.format(date)
  if (age >= 0 && age < 6 * DAY) return `${weekday.format(date)} ${timeOnly.format(date)}`
  return date.getFullYear() === now.getFullYear() ? dayMonth.format(date) : dayMonthYear.format(date)
}

/**
 * How long ago, in words ("5 min ago", "3 h ago", "2 days ago").
 *
 * @param {string} iso
 * @param {Date} [now]
 */
export function ago(iso, now = new Date()) {
  const age = now.getTime() - new Date(iso).getTime()
  if (age < MINUTE) return 'just now'
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`
  if (age < DAY) return `${Math.floor(age / HOUR)} h ago`
  const days = Math.floor(age / DAY)
  return days === 1 ? 'yesterday' : `${days} days ago`
}

/**
 * A full date and time, for titles and detail views.
 *
 * @param {string} iso
 */
export function fullDate(iso) {
  return full.format(new Date(iso))
}

/**
 * A date range ("Nov 23, 8:01 AM – Nov 24, 8:01 AM").
 *
 * @param {string} from
 * @param {string} to
 */
export function dateRange(from, to) {
  return full.formatRange(new Date(from), new Date(to))
}

/**
 * A byte count in words.
 *
 * @param {number} bytes
 */
export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

/**
 * How a person is named: the display name, else the address.
 *
 * @param {{ address: string, name: string | null }} person
 */
export function personName(person) {
  return person.name !== null && person.name.trim() !== '' ? person.name : person.address
}

/**
 * People as one line, the first few by name and the rest counted.
 *
 * @param {{ address: string, name: string | null }[]} people
 * @param {number} [max]
 */
export function peopleLine(people, max = 4) {
  const names = people.slice(0, max).map(personName)
  return people.length > max ? `${names.join(', ')} +${people.length - max}` : names.join(', ')
}

/**
 * Which teammates hold a copy: "In ann's and bob's mailboxes".
 *
 * @param {string[]} mailboxes
 */
export function mailboxPhrase(mailboxes) {
  if (mailboxes.length === 0) return 'No longer in any mailbox'
  return `In ${owners(mailboxes)} ${mailboxes.length === 1 ? 'mailbox' : 'mailboxes'}`
}

/**
 * The owners of some mailboxes, possessive: "ann's", "ann's and bob's".
 *
 * @param {string[]} mailboxes at least one address
 */
export function owners(mailboxes) {
  const names = mailboxes.map((address) => `${address.split('@')[0]}'s`)
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

/**
 * Up to two initials of a name, for avatars.
 *
 * @param {string} name
 */
export function initials(name) {
  const words = name.replace(/@.*/, '').split(/[\s._-]+/).filter((w) => /\p{L}|\p{N}/u.test(w))
  const letters = words.slice(0, 2).map((w) => [...w][0] ?? '').join('')
  return letters.toUpperCase() || '?'
}

/**
 * Today's date where the browser is, as `YYYY-MM-DD` (what a date input holds).
 *
 * @param {number} [daysAgo]
 */
export function localDate(daysAgo = 0) {
  const date = new Date(Date.now() - daysAgo * DAY)
  const pad = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/**
 * A count with its noun ("1 email", "3 emails").
 *
 * @param {number} count
 * @param {string} noun
 * @param {string} [plural]
 */
export function plural(count, noun, plural = `${noun}s`) {
  return `${count} ${count === 1 ? noun : plural}`
}
