import type { SyncReport } from '../sync/types.js'
import { expectOperands, type ParsedArgs } from './args.js'
import type { CliContext, CliIntegration } from './cli-integration.js'
import { withIntegration } from './commands.js'
import { ExitCodes, writeLines } from './output.js'
import { createTerminalProgress, type TerminalProgress } from '../sync/progress/terminal.js'

/** The account statuses `runAll` syncs (the others wait for consent or are paused). */
const SYNCABLE = new Set(['active', 'needs_attention'])

type StopSignal = 'SIGINT' | 'SIGTERM'

/**
 * Stops the runs on SIGINT / SIGTERM through their AbortSignal: each stops after its current
 * page (the database holds only whole pages) and the command exits once they returned. A
 * second signal exits at once. Returns the signal received, and how to stop listening.
 */
export function listenForStop(controller: AbortController, notice: (line: string) => void): { received: () => StopSignal | null; dispose: () => void } {
  let received: StopSignal | null = null
  const onSignal = (name: StopSignal) => {
    if (received !== null) process.exit(name === 'SIGINT' ? ExitCodes.interrupted : ExitCodes.terminated)
    received = name
    notice(`${name}: stopping after the current page (send it again to quit at once)`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    received: () => received,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

async function runSync(integration: CliIntegration, account: string | undefined, progress: TerminalProgress, signal: AbortSignal): Promise<SyncReport[]> {
  const { email } = integration
  if (account === undefined) return email.sync.runAll({ onProgress: progress.onProgress, onReport: progress.onReport, signal })
  const report = await email.sync.run({ account, onProgress: progress.onProgress, signal })
  progress.onReport(report)
  return [report]
}

/**
 * `sync [--account <address>]`: syncs every active account (three at a time) or one, showing
 * progress on stdout (a bar on a terminal, plain lines otherwise; on stderr with `--json`,
 * which prints the reports as JSON on stdout). Exit code 1 when a run ended in `error`; a
 * `partial` run (messages that will be retried, or a stop) exits 0 with a warning.
 */
export async function syncCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments (one account: --account <address>)')
  const { stdout, stderr } = context.streams
  const json = args.options.json === true
  const account = args.options.account
  return withIntegration(context, { directory: 'matching', requireEnabled: true }, async (integration) => {
    const { email, directory } = integration
    if (directory?.length === 0) writeLines(stderr, 'warning: the CRM directory is empty: no mail will match')
    const enrolled = await email.accounts.list()
    const syncable = enrolled.filter((a) => SYNCABLE.has(a.status)).map((a) => a.address)
    if (account === undefined && syncable.length === 0) {
      writeLines(stderr, 'warning: no account to sync; enroll one with `crm-email-integration enroll <address>`')
      return ExitCodes.ok
    }

    const stream = json ? stderr : stdout
    const progress = createTerminalProgress({ stream, accounts: account === undefined ? syncable.length : 1 })
    const tty = stream.isTTY === true
    // On a terminal, other lines go through the display so they do not break the bar.
    const notice = (line: string) => {
      if (tty) progress.log(line)
      else writeLines(stderr, line)
    }
    integration.setLog(notice)
    const controller = new AbortController()
    const stop = listenForStop(controller, notice)
    let reports: SyncReport[]
    try {
      reports = await runSync(integration, account, progress, controller.signal)
    } finally {
      stop.dispose()
    }
    progress.finish(reports)
    if (!controller.signal.aborted) {
      // Attachments of messages too large to fetch whole are downloaded apart, after the sync.
      const files = await email.attachments.downloadPending({ signal: controller.signal })
      if (files.stored + files.failed + files.remaining > 0) {
        writeLines(stream, `attachments: ${files.stored} downloaded, ${files.failed} failed, ${files.remaining} still pending`)
      }
    }

    if (json) writeLines(stdout, JSON.stringify(reports, null, 2))
    const reported = new Set(reports.map((r) => r.account))
    for (const address of account === undefined ? syncable : []) {
      if (!reported.has(address)) {
        const why = controller.signal.aborted ? 'stopped before its turn' : 'another process is syncing it'
        writeLines(stderr, `note: ${address} was not synced: ${why}`)
      }
    }
    const received = stop.received()
    const partial = reports.filter((r) => r.status === 'partial')
    if (partial.length > 0) {
      const next = received === null ? 'failed messages are retried by the next sync' : 'the next sync resumes where they stopped'
      writeLines(stderr, `warning: ${partial.length} run${partial.length === 1 ? '' : 's'} partial (${partial.map((r) => r.account).join(', ')}): ${next}`)
    }
    if (received !== null) return received === 'SIGINT' ? ExitCodes.interrupted : ExitCodes.terminated
    return reports.some((r) => r.status === 'error') ? ExitCodes.failure : ExitCodes.ok
  })
}
