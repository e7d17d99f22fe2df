/**
 * The Mailboxes panel and the top bar's summary: `GET /api/email/status`, each mailbox's
 * sharing level (its owner and the admin change it), "Run now" per account and "Sync all"
 * (`POST /api/email/sync/run-now`, 202, admins), then polling every two seconds until no
 * account is syncing.
 */
import { api } from './api.js'
import { byId, el, icon } from './dom.js'
import { ago, fullDate, plural } from './format.js'
import { announce, clearError, showError } from './notice.js'
import { SHARING_LEVELS, sharingControl } from './sharing.js'

/** How often the status is polled while a sync runs. */
const POLL_MS = 2000
/** How often the status is refreshed otherwise, so "5 min ago" stays true. */
const REFRESH_MS = 60_000

/** Badges of accounts that cannot sync as they are. */
const ACCOUNT_STATUS = {
  needs_consent: ['Needs consent', 'warning'],
  needs_attention: ['Needs attention', 'danger'],
  paused: ['Paused', 'neutral'],
}
/** Badges of an active account's last run. */
const RUN_STATUS = {
  ok: ['Synced', 'success'],
  partial: ['Partly synced', 'warning'],
  error: ['Failed', 'danger'],
  aborted: ['Stopped', 'neutral'],
}
const RUN_KIND = { backfill: 'Backfill', incremental: 'Incremental', catchup: 'Catch-up' }

/** @param {EventTarget | null} button */
function isDisabled(button) {
  return button instanceof HTMLElement && button.getAttribute('aria-disabled') === 'true'
}

/** @param {{ scheduler: { running: boolean }, accounts: { lastRun: { status: string } | null }[] }} status */
function isRunning(status) {
  return status.scheduler.running || status.accounts.some((account) => account.lastRun?.status === 'running')
}

/**
 * Wires the Mailboxes panel.
 *
 * @param {{ me: import('./api.js').Person | null, onSynced: () => void, onSharingChanged: () => void }} hooks
 *   `me` is the signed-in person (admins sync by hand); `onSynced` runs when a sync ends, so new
 *   mail shows; `onSharingChanged` after a mailbox's level changed, so the mail shows it
 */
export function createAccounts(hooks) {
  const list = byId('accounts')
  const syncAll = /** @type {HTMLButtonElement} */ (byId('sync-all'))
  const alertRegion = byId('accounts-alert')
  const summary = byId('sync-summary')
  const summaryText = byId('sync-summary-text')
  const schedulerNote = byId('scheduler-note')
  let timer = 0
  /** The last run of each account when the page asked for a sync, to tell which ones ran. */
  let before = null
  /** Whether the last status showed a sync running (one this page started, or the scheduler's). */
  let wasRunning = false
  /** Admins run syncs by hand; everyone sees the status. */
  const isAdmin = hooks.me?.isAdmin === true

  function statusBadge(account) {
    const run = account.lastRun
    if (run?.status === 'running') return el('span', { class: 'badge badge-accent' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Syncing')
    const [label, tone] =
      ACCOUNT_STATUS[account.status] ?? (run === null ? ['Not synced yet', 'neutral'] : RUN_STATUS[run.status] ?? [run.status, 'neutral'])
    return el('span', { class: `badge badge-${tone}`, text: label })
  }

  function renderAccount(account, running) {
    const run = account.lastRun
    const problem = account.statusReason ?? run?.error ?? account.lastError
    const kind = run === null ? null : RUN_KIND[run.kind] ?? run.kind
    const when = run === null ? null : run.finishedAt ?? run.startedAt
    return el(
      'li',
      { class: 'account', dataset: { address: account.address } },
      el(
        'div',
        { class: 'account-info' },
        el('p', { class: 'account-address', text: account.address }),
        el(
          'p',
          { class: 'account-run' },
          statusBadge(account),
          run === null
            ? null
            : el(
              'span',
              {},
              `${kind} · ${run.status === 'running' ? 'started ' : `${run.captured} new · `}`,
              el('time', { datetime: when, title: fullDate(when), text: ago(when) }),
              run.failed > 0 ? ` · ${run.failed} failed` : '',
            ),
        ),
        problem === null || problem === undefined ? null : el('p', { class: 'account-problem', text: problem }),
        sharingControl(account, hooks.me, (address, level) => void setLevel(address, level)),
      ),
      !isAdmin ? null : el(
        'button',
        {
          type: 'button',
          class: 'button button-small run-now',
          'aria-label': `Run now: sync ${account.address}`,
          // aria-disabled, not disabled: a focused button keeps focus while a sync runs.
          'aria-disabled': String(running || account.status !== 'active'),
          on: {
            click: (event) => {
              if (!isDisabled(event.currentTarget)) void runNow(account.address)
            },
          },
        },
        icon('refresh'),
        'Run now',
      ),
    )
  }

  function renderSummary(status) {
    const accounts = status.accounts
    const troubled = accounts.filter((account) => account.status !== 'active' || account.lastRun?.status === 'error')
    const last = accounts.map((account) => account.lastSuccessAt).filter((at) => at !== null).sort().at(-1)
    let state = 'ok'
    let text = `${plural(accounts.length, 'mailbox', 'mailboxes')} · ${last === undefined ? 'not synced yet' : `synced ${ago(last)}`}`
    if (!status.enabled) [state, text] = ['off', 'Sync is switched off']
    else if (accounts.length === 0) [state, text] = ['off', 'No mailboxes enrolled']
    else if (isRunning(status)) [state, text] = ['running', 'Syncing mailboxes…']
    else if (troubled.length > 0) [state, text] = ['warning', `${plural(troubled.length, 'mailbox', 'mailboxes')} need${troubled.length === 1 ? 's' : ''} attention`]
    summary.dataset.state = state
    summaryText.textContent = text
    const scheduler = status.scheduler
    schedulerNote.textContent = scheduler.scheduled
      ? `Syncs every ${scheduler.intervalMin} min${scheduler.nextRunAt === null ? '' : `; next ${fullDate(scheduler.nextRunAt)}`}.`
      : 'Automatic sync is off; run a sync by hand.'
  }

  function render(status) {
    const running = isRunning(status)
    const active = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement : null
    const focused = active?.closest('.account')
    const focusAddress = focused instanceof HTMLElement ? focused.dataset.address : undefined
    const focusControl = active?.classList.contains('sharing-select') ? '.sharing-select' : '.run-now'
    list.replaceChildren(...status.accounts.map((account) => renderAccount(account, running)))
    if (status.accounts.length === 0) list.append(el('li', { class: 'empty-inline', text: 'No mailboxes are enrolled yet.' }))
    if (focusAddress !== undefined) list.querySelector(`.account[data-address="${CSS.escape(focusAddress)}"] ${focusControl}`)?.focus()
    syncAll.setAttribute('aria-disabled', String(running || status.accounts.length === 0))
    renderSummary(status)
  }

  /** Announces the end of the sync this page started, with what it captured. */
  function announceFinished(status) {
    const ran = status.accounts.filter((account) => account.lastRun !== null && account.lastRun.startedAt !== before.get(account.address))
    const captured = ran.reduce((sum, account) => sum + account.lastRun.captured, 0)
    const failed = ran.filter((account) => account.lastRun.status === 'error')
    const where = ran.length === 1 ? ran[0].address : plural(ran.length, 'mailbox', 'mailboxes')
    announce(`Sync finished for ${where}: ${plural(captured, 'new email')}.${failed.length > 0 ? ` ${plural(failed.length, 'mailbox', 'mailboxes')} failed.` : ''}`)
  }

  async function refresh() {
    window.clearTimeout(timer)
    list.setAttribute('aria-busy', 'true')
    try {
      const status = await api.status()
      render(status)
      clearError(alertRegion)
      const running = isRunning(status)
      if (!running && (before !== null || wasRunning)) {
        if (before !== null) announceFinished(status)
        before = null
        hooks.onSynced()
      }
      wasRunning = running
      timer = window.setTimeout(() => void refresh(), running ? POLL_MS : REFRESH_MS)
    } catch (error) {
      showError(alertRegion, error, 'Could not read the sync status')
      summary.dataset.state = 'warning'
      summaryText.textContent = 'Sync status unavailable'
      timer = window.setTimeout(() => void refresh(), REFRESH_MS)
    } finally {
      list.removeAttribute('aria-busy')
    }
  }

  /** @param {string} [account] */
  async function runNow(account) {
    syncAll.setAttribute('aria-disabled', 'true')
    for (const button of list.querySelectorAll('.run-now')) button.setAttribute('aria-disabled', 'true')
    let failure = null
    try {
      const snapshot = await api.status()
      before = new Map(snapshot.accounts.map((a) => [a.address, a.lastRun?.startedAt]))
      const answer = await api.runNow(account)
      announce(answer.started ? `Sync started for ${account ?? 'every mailbox'}.` : 'A sync is already running; waiting for it to finish.')
    } catch (error) {
      before = null
      failure = error
    }
    await refresh()
    // After the refresh, which clears the panel's alert when the status reads fine.
    if (failure !== null) showError(alertRegion, failure, 'Could not start the sync')
  }

  /**
   * @param {string} address
   * @param {string} level
   */
  async function setLevel(address, level) {
    let failure = null
    try {
      await api.setSharing(address, level)
      const name = SHARING_LEVELS.find(([l]) => l === level)?.[1] ?? level
      announce(`${address} now shares: ${name}.`)
      hooks.onSharingChanged()
    } catch (error) {
      failure = error
    }
    // The panel shows the stored level either way (the select goes back when the change failed).
    await refresh()
    if (failure !== null) showError(alertRegion, failure, 'Could not change the sharing level')
  }

  syncAll.hidden = !isAdmin
  syncAll.addEventListener('click', () => {
    if (!isDisabled(syncAll)) void runNow()
  })

  return { refresh }
}
