/**
 * The library's routes (`/api/email/*`, `/api/admin/digest/*`) on this origin, and what their
 * errors mean to a reader. Every answer is JSON; every error is `{ error: { code, message } }`.
 */

/** Threads per page of the list. */
const PAGE_SIZE = 25

/** An error answer of the API (or the network failing), with the API's stable code. */
export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status, 0 when the server was not reached
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

/**
 * @param {Record<string, string | number | null | undefined>} query
 */
function searchParams(query) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/**
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {{ query?: Record<string, string | number | null | undefined>, body?: unknown, signal?: AbortSignal }} [options]
 */
async function request(method, path, options = {}) {
  const headers = { accept: 'application/json' }
  const init = { method, headers, credentials: 'same-origin', signal: options.signal }
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(options.body)
  }
  let response
  try {
    response = await fetch(`${path}${searchParams(options.query ?? {})}`, init)
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error
    throw new ApiError(0, 'network', 'The server could not be reached. Check that it is running, then try again.')
  }
  const data = await response.json().catch(() => null)
  if (!response.ok) {
    const error = data !== null && typeof data === 'object' ? data.error : undefined
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `The server answered ${response.status}.`)
  }
  return data
}

/**
 * The shapes the routes answer (README "Routes"), for the reader of this script.
 *
 * @typedef {{ identity?: string, from?: string, to?: string }} MailFilter
 * @typedef {{ address: string, name: string | null }} Address
 * @typedef {{ key: string, type: 'fund' | 'org' | 'contact' | 'addr', id: string, name: string }} Identity
 * @typedef {{ id: string, filename: string, mimeType: string, size: number, sha256: string | null,
 *   status: 'stored' | 'pending' | 'skipped' | 'failed' }} Attachment
 * @typedef {'owner' | 'everything' | 'subject' | 'metadata'} Access what the reader may see of an email
 * @typedef {'subject' | 'snippet' | 'body' | 'attachments'} Withheld a field the reader's access withholds
 * @typedef {{ id: string, messageId: string, threadId: string, subject: string, date: string, from: Address,
 *   to: Address[], cc: Address[], snippet: string, identities: Identity[], mailboxes: string[],
 *   attachments: Attachment[], access: Access, withheld: Withheld[] }} EmailSummary
 * @typedef {{ id: string, subject: string, firstAt: string, lastAt: string, messageCount: number,
 *   participants: Address[], identities: Identity[], snippet: string, withheld: Withheld[], private: boolean }} ThreadSummary
 * @typedef {{ id: string, subject: string, withheld: Withheld[], private: boolean, emails: EmailSummary[] }} ThreadDetail
 * @typedef {{ email: string, name: string, isAdmin: boolean }} Person someone a visitor of the demo may sign in as
 * @typedef {{ id: string, subject: string, lastAt: string, messageCount: number, participants: Address[] }} DigestThread
 * @typedef {{ identity: Identity, summary: string, summarizer?: 'llm' | 'extractive', emailCount?: number,
 *   threads: DigestThread[] }} DigestGroup
 * @typedef {{ window: { from: string, to: string }, groups: DigestGroup[], summary: string,
 *   summarizer: 'llm' | 'extractive', truncated?: boolean }} Digest
 */

/** The routes the page calls. */
export const api = {
  /** @param {MailFilter} filter @param {string | null} cursor @param {AbortSignal} [signal] */
  threads: (filter, cursor, signal) =>
    request('GET', '/api/email/threads', { query: { ...filter, limit: PAGE_SIZE, cursor }, signal }),
  /** @param {string} id */
  thread: (id) => request('GET', `/api/email/threads/${encodeURIComponent(id)}`),
  /** The facet answers for the dates only, so every identity stays choosable. @param {MailFilter} filter @param {AbortSignal} [signal] */
  identities: (filter, signal) => request('GET', '/api/email/identities', { query: { from: filter.from, to: filter.to }, signal }),
  /** @param {string} id */
  detail: (id) => request('GET', '/api/email/detail', { query: { id } }),
  /**
   * Marks a thread private (only the owners of its mailboxes see its content) or shares it again.
   *
   * @param {string} id @param {boolean} isPrivate
   */
  setPrivate: (id, isPrivate) => request('POST', `/api/email/threads/${encodeURIComponent(id)}/${isPrivate ? 'private' : 'unprivate'}`, { body: {} }),
  /** @param {string} id */
  hide: (id) => request('POST', `/api/email/${encodeURIComponent(id)}/hide`, { body: {} }),
  /** @param {string} id */
  restore: (id) => request('POST', `/api/email/${encodeURIComponent(id)}/restore`, { body: {} }),
  /** @param {string} q @param {MailFilter} filter @param {AbortSignal} [signal] @param {string} [mode] the library's default when left out */
  search: (q, filter, signal, mode) => request('GET', '/api/email/search', { query: { q, ...filter, mode }, signal }),
  /** The demo's search modes (the default first) and who embeds. */
  searchModes: () => request('GET', '/demo/search'),
  status: () => request('GET', '/api/email/status'),
  /** @param {string} address @param {'everything' | 'subject' | 'metadata'} level */
  setSharing: (address, level) => request('POST', '/api/email/accounts/sharing', { body: { address, level } }),
  /** The demo's own sign-in: who the visitor is and who they may be. */
  people: () => request('GET', '/demo/people'),
  /** @param {string} email */
  signIn: (email) => request('POST', '/demo/sign-in', { body: { email } }),
  /** @param {string} [account] every account when left out */
  runNow: (account) => request('POST', '/api/email/sync/run-now', { body: account === undefined ? {} : { account } }),
  /** @param {{ hours: number } | { since: string }} window */
  digestPreview: (window) => request('POST', '/api/admin/digest/preview', { body: window }),
  /** @param {string} id */
  attachmentUrl: (id) => `/api/email/attachments/${encodeURIComponent(id)}`,
}

/** What a reader should be told for the codes whose own message is written for operators. */
const FRIENDLY = {
  integration_disabled: 'The email integration is switched off on this server (CRM_GMAIL_INTEGRATION_ENABLED).',
  backend_unavailable:
    'Content search is unavailable right now: its search service cannot be reached. The thread list still works; try searching again in a minute.',
  unauthenticated: 'You are signed out. Choose who you are in "Signed in as" to see mail.',
}

/**
 * The sentence to show for an error: the API's message, or a plainer one for a few codes.
 *
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  if (error instanceof ApiError) return FRIENDLY[error.code] ?? error.message
  return error instanceof Error ? error.message : 'Something went wrong.'
}

/**
 * Whether an error only says a request was cancelled (a newer one replaced it).
 *
 * @param {unknown} error
 */
export function isAbort(error) {
  return error instanceof DOMException && error.name === 'AbortError'
}
