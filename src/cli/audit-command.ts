import type { AuditMessage, AuditReport } from '../sync/audit/types.js'
import { UsageError, expectOperands, type ParsedArgs } from './args.js'
import type { CliContext } from './cli-integration.js'
import { withIntegration } from './commands.js'
import { ExitCodes, formatTable, writeLines } from './output.js'
import { listenForStop } from './sync-command.js'

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** One message as a line: id, reason, identities, date and what more there is to say. */
function messageLine(m: AuditMessage): string {
  const parts = [m.gmailId, m.reason, m.identities.join(',') || '-', m.date ?? '-', ...(m.detail === null ? [] : [m.detail])]
  return `  ${parts.join('  ')}`
}

/**
 * The report as an operator reads it: the window, a table of the identities (listed by search,
 * stored, missing, stored but not listed), each missing message with its reason, and the CRM
 * mail no search listed.
 *
 * @example
 * ```ts
 * writeLines(process.stdout, ...auditText(report, true))
 * ```
 */
export function auditText(report: AuditReport, headersRead: boolean): string[] {
  const window = report.window.after === null ? 'all mail' : `mail after ${report.window.after}`
  const lines = [`${report.account}: audit of ${window}, ${plural(report.identities.length, 'identity', 'identities')}, ${report.unitsSpent} quota units`]
  if (report.identities.length > 0) {
    const rows = report.identities.map((i) => [i.identityKey, i.name, String(i.terms.length), String(i.foundBySearch), String(i.stored), String(i.missing.length), String(i.storedNotFound)])
    lines.push('', ...formatTable(['IDENTITY', 'NAME', 'TERMS', 'LISTED', 'STORED', 'MISSING', 'STORED NOT LISTED'], rows))
  }
  const missing = report.identities.flatMap((i) => i.missing.map((m) => ({ ...m, identities: [i.identityKey] })))
  if (missing.length > 0) lines.push('', 'Listed by search, not stored (id, reason, identity, date, detail):', ...missing.map(messageLine))
  if (!headersRead) lines.push('', 'Headers of unlisted mail not read (--no-headers): mail the search missed is not looked for.')
  else if (report.missedBySearch.length === 0) lines.push('', 'No CRM mail of the window was missed by search.')
  else lines.push('', `CRM mail no search listed: ${report.missedBySearch.length} (id, reason, identities, date):`, ...report.missedBySearch.map(messageLine))
  const notListed = report.identities.reduce((sum, i) => sum + i.storedNotFound, 0)
  if (notListed > 0) lines.push('', `${plural(notListed, 'stored copy', 'stored copies')} not listed by their identity's search: the search misses mail the library holds.`)
  return lines
}

/**
 * `audit --account <address> [--identity <key>] [--no-headers] [--json]`: compares what Gmail's
 * search lists for each identity of the directory with what the account holds, and (unless
 * `--no-headers`) reads the headers of the rest of the window to find CRM mail no search
 * listed, one metadata get per such message. Read-only. SIGINT / SIGTERM stop it. Exit code 0
 * when the audit ran, whatever it found; 2 for a missing or unknown account or identity.
 *
 * @example
 * ```ts
 * const code = await auditCommand(parseCommandLine(['audit', '--account', 'ann@fund.example']), context)
 * ```
 */
export async function auditCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments (the account: --account <address>)')
  const { account, identity } = args.options
  if (account === undefined) throw new UsageError('audit: --account <address> is required')
  const readHeaders = args.options['no-headers'] !== true
  const { stdout, stderr } = context.streams
  return withIntegration(context, { directory: 'matching', requireEnabled: true }, async ({ email }) => {
    const controller = new AbortController()
    const stop = listenForStop(controller, (line) => {
      writeLines(stderr, line)
    })
    let report: AuditReport
    try {
      report = await email.audit({ account, readHeaders, signal: controller.signal, ...(identity === undefined ? {} : { identity }) })
    } catch (error) {
      const received = stop.received()
      if (received === null) throw error
      return received === 'SIGINT' ? ExitCodes.interrupted : ExitCodes.terminated
    } finally {
      stop.dispose()
    }
    if (args.options.json === true) writeLines(stdout, JSON.stringify(report, null, 2))
    else writeLines(stdout, ...auditText(report, readHeaders))
    return ExitCodes.ok
  })
}
