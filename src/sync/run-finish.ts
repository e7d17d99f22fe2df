import { nowIso } from '../context.js'
import { UpstreamError, errorMessage, isEmailIntegrationError } from '../errors.js'
import type { RunState } from './run-state.js'
import type { SyncReport } from './types.js'

/**
 * Ends a run: writes its row (status, counters, units, strategy, error) and the account's
 * (last sync, last success, last error, `needs_attention` when Google refused its credentials or
 * the configuration is invalid, back to `active` after a good run), logs a failure, and returns
 * the report.
 *
 * @example
 * ```ts
 * return finishRun(state, startedAt, finished, error)
 * ```
 */
export async function finishRun(state: RunState, startedAt: string, finished: boolean, error: unknown): Promise<SyncReport> {
  const { context, counts } = state
  const finishedAt = nowIso(context)
  const message = error === null ? null : errorMessage(error)
  const status = error !== null ? 'error' : !finished || counts.failed > 0 ? 'partial' : 'ok'
  const revoked = error instanceof UpstreamError && error.reason === 'invalid_grant'
  const configuration = isEmailIntegrationError(error) && error.code === 'configuration_invalid'

  await context.db
    .updateTable('email_sync_runs')
    .set({
      ...counts,
      kind: state.kind,
      strategy: state.strategy,
      units_spent: state.client.unitsSpent,
      status: error !== null ? 'error' : finished ? status : 'aborted',
      error: message,
      finished_at: finishedAt,
    })
    .where('id', '=', state.runId)
    .execute()
  await context.db
    .updateTable('email_accounts')
    .set({
      last_sync_at: finishedAt,
      updated_at: finishedAt,
      ...(error === null
        ? { last_error: null, ...(finished ? { last_success_at: finishedAt } : {}), ...(state.account.status === 'needs_attention' ? { status: 'active' as const, status_reason: null } : {}) }
        : { last_error: message }),
      ...(revoked || configuration ? { status: 'needs_attention' as const, status_reason: message } : {}),
    })
    .where('id', '=', state.account.id)
    .execute()
  if (error !== null) context.logger.error({ account: state.account.address, error: message }, 'email sync failed')

  return {
    account: state.account.address,
    kind: state.kind,
    status,
    listed: counts.listed,
    fetched: counts.fetched,
    captured: counts.captured,
    skipped: counts.skipped,
    failed: counts.failed,
    discarded: counts.discarded,
    recallSampled: counts.recall_sampled,
    recallMissed: counts.recall_missed,
    strategy: state.strategy,
    unitsSpent: state.client.unitsSpent,
    startedAt,
    finishedAt,
    ...(message === null ? {} : { error: message }),
  }
}
