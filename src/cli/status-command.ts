import type { AccountSyncStatus, BusyHolder, FailureCounts } from '../index.js'
import { expectOperands, type ParsedArgs } from './args.js'
import type { CliContext } from './cli-integration.js'
import { withIntegration } from './commands.js'
import { ExitCodes, formatTable, writeLines } from './output.js'

function tableOf(accounts: readonly AccountSyncStatus[]): string[] {
  const rows = accounts.map((a) => {
    const run = a.lastRun
    const count = (n: number | undefined) => (n === undefined ? '-' : String(n))
    return [
      a.address,
      a.status,
      a.sharingIsDefault ? `${a.sharing} (default)` : a.sharing,
      run?.kind ?? '-',
      run?.status ?? '-',
      count(run?.listed),
      count(run?.captured),
      count(run?.skipped),
      count(run?.failed),
      run?.finishedAt ?? '-',
    ]
  })
  return formatTable(['ACCOUNT', 'STATUS', 'SHARING', 'LAST RUN', 'RESULT', 'LISTED', 'CAPTURED', 'SKIPPED', 'FAILED', 'FINISHED'], rows)
}

/** What an account's failed messages ask of an operator, if anything. */
function failureNotes(address: string, failures: FailureCounts): string[] {
  const notes: string[] = []
  if (failures.permanent > 0) {
    notes.push(`${address}: ${failures.permanent} failed for good, never fetched again by a sync (\`crm-email-integration retry-failures --account ${address}\` tries them now)`)
  }
  if (failures.waiting > 0) notes.push(`${address}: ${failures.waiting} waiting to be retried (next attempt ${failures.nextAttemptAt ?? 'unknown'})`)
  return notes
}

/** Who is syncing an account now, if anyone: `busy (held by …)`, or a dead holder the next sync replaces. */
function leaseNote(address: string, holder: BusyHolder | null): string[] {
  if (holder === null) return []
  if (holder.dead) return [`${address}: held by ${holder.description}, whose process is gone: the next sync takes it over`]
  return [`${address}: busy (held by ${holder.description})`]
}

/**
 * `status [--json]`: every account with its last run, failed messages, since when it is paused
 * when it is, and, while a process syncs it, who holds its lease (`busy`); JSON for machines.
 */
export async function statusCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments')
  return withIntegration(context, { directory: 'none' }, async ({ email, config, database }) => {
    const { accounts } = await email.status()
    const { stdout } = context.streams
    if (args.options.json === true) {
      writeLines(stdout, JSON.stringify({ enabled: config.enabled, accounts }, null, 2))
      return ExitCodes.ok
    }
    writeLines(stdout, `integration ${config.enabled ? 'enabled' : 'disabled'}; ${accounts.length} account${accounts.length === 1 ? '' : 's'} in ${database.label}`)
    if (accounts.length === 0) return ExitCodes.ok
    writeLines(stdout, '', ...tableOf(accounts))
    // Why an account needs attention or its last run failed, below the table where it fits.
    const notes = accounts.flatMap((a) => [
      ...(a.pausedAt !== null
        ? [`${a.address}: paused since ${a.pausedAt}: not synced until an admin resumes it`]
        : a.statusReason === null
          ? []
          : [`${a.address}: ${a.status}: ${a.statusReason}`]),
      ...((a.lastRun?.error ?? null) === null ? [] : [`${a.address}: last run: ${a.lastRun?.error ?? ''}`]),
      ...failureNotes(a.address, a.failures),
      ...leaseNote(a.address, a.busy),
      ...(a.searchFallback === null ? [] : [`${a.address}: reads every message's headers since ${a.searchFallback.at}: ${a.searchFallback.reason}`]),
      ...((a.lastRun?.discarded ?? 0) === 0 ? [] : [`${a.address}: last run discarded ${a.lastRun?.discarded ?? 0} message(s) Gmail's search listed that are not CRM mail`]),
    ])
    if (notes.length > 0) writeLines(stdout, '', ...notes)
    return ExitCodes.ok
  })
}
