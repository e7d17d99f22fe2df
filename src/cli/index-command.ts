import type { IndexReport } from '../vectors/indexer.js'
import { UsageError, expectOperands, type ParsedArgs } from './args.js'
import type { CliContext } from './cli-integration.js'
import { withIntegration } from './commands.js'
import { ExitCodes, writeLines } from './output.js'
import { listenForStop } from './sync-command.js'

/** The lines `index` prints for a report. */
function reportLines(report: IndexReport): string[] {
  const a = report.attachments
  return [
    `attachments: ${a.extracted} read, ${a.empty} without text, ${a.unsupported} unsupported, ${a.failed} failed, ${a.remaining} still to read`,
    `vectors: ${report.embedded} emails embedded (${report.chunks} chunks), ${report.removed} removed, ${report.payloadsUpdated} payloads updated, ${report.pending} pending`,
    ...(report.error === null ? [] : [`error: ${report.error} (the next run carries on)`]),
  ]
}

/** `--limit`: a whole number of emails, 1 or more. */
function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^[1-9]\d{0,8}$/.test(text.trim())) throw new UsageError(`--limit: expected a whole number of emails, 1 or more, got ${JSON.stringify(text)}`)
  return Number(text.trim())
}

/**
 * `index [--limit N] [--json]`: runs the content indexer once: reads the text of stored
 * attachments, and with vectors configured (CRM_GMAIL_EMBEDDINGS_URL / _MODEL) brings the vector
 * store in step, embedding at most N emails (default 2,000). SIGINT / SIGTERM stop after the
 * current batch. Exit code 1 when the run stopped on an error (an endpoint or store down).
 *
 * @example
 * ```ts
 * const code = await indexCommand(parseCommandLine(['index', '--limit', '500']), context)
 * ```
 */
export async function indexCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments (a bound: --limit <n>)')
  const limit = limitOf(args.options.limit)
  const { stdout, stderr } = context.streams
  return withIntegration(context, { directory: 'none' }, async ({ email }) => {
    const controller = new AbortController()
    const stop = listenForStop(controller, (line) => {
      writeLines(stderr, line)
    })
    let report: IndexReport
    try {
      report = await email.search.index({ signal: controller.signal, ...(limit === undefined ? {} : { limit }) })
    } finally {
      stop.dispose()
    }
    if (args.options.json === true) writeLines(stdout, JSON.stringify(report, null, 2))
    else writeLines(stdout, ...reportLines(report))
    const received = stop.received()
    if (received !== null) return received === 'SIGINT' ? ExitCodes.interrupted : ExitCodes.terminated
    return report.error === null ? ExitCodes.ok : ExitCodes.failure
  })
}
