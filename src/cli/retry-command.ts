import type { RetryReport } from '../sync/types.js'
import { expectOperands, type ParsedArgs } from './args.js'
import type { CliContext } from './cli-integration.js'
import { withIntegration } from './commands.js'
import { ExitCodes, writeLines } from './output.js'
import { reportText } from '../sync/progress/format.js'
import { listenForStop } from './sync-command.js'

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function retryText(report: RetryReport): string {
  return `${report.account}: retried ${plural(report.retried, 'failed message')}: ${report.resolved} captured or settled, ${report.failing} still failing`
}

/**
 * `retry-failures [--account <address>] [--json]`: fetches failed messages again now, the
 * permanent ones (which a sync never fetches again) included. Each account holding one gets a
 * run that retries them first and then syncs the account; a line per account says what came
 * of them (`--json`: the reports on stdout). SIGINT / SIGTERM stop after the current page.
 * Exit code 1 when a run ended in `error`.
 */
export async function retryFailuresCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments (one account: --account <address>)')
  const { stdout, stderr } = context.streams
  const account = args.options.account
  return withIntegration(context, { directory: 'matching', requireEnabled: true }, async (integration) => {
    const controller = new AbortController()
    const stop = listenForStop(controller, (line) => {
      writeLines(stderr, line)
    })
    let reports: RetryReport[]
    try {
      reports = await integration.email.sync.retryFailures({ ...(account === undefined ? {} : { account }), signal: controller.signal })
    } finally {
      stop.dispose()
    }
    if (args.options.json === true) writeLines(stdout, JSON.stringify(reports, null, 2))
    else if (reports.length === 0) writeLines(stdout, `no failed messages to retry${account === undefined ? '' : ` for ${account}`}`)
    else for (const report of reports) writeLines(stdout, retryText(report), reportText(report.run))
    const received = stop.received()
    if (received !== null) return received === 'SIGINT' ? ExitCodes.interrupted : ExitCodes.terminated
    return reports.some((r) => r.run.status === 'error') ? ExitCodes.failure : ExitCodes.ok
  })
}
