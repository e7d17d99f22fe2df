#!/usr/bin/env node
import { auditCommand } from './audit-command.js'
import { errorMessage } from '../errors.js'
import { parseCommandLine, type CommandName, type ParsedArgs } from './args.js'
import type { CliContext } from './cli-integration.js'
import { digestCommand, enrollCommand, migrateCommand, rollbackCommand } from './commands.js'
import { ExitCodes, packageVersion, reportError, writeLines, type CliStreams } from './output.js'
import { retryFailuresCommand } from './retry-command.js'
import { statusCommand } from './status-command.js'
import { indexCommand } from './index-command.js'
import { syncCommand } from './sync-command.js'
import { USAGE } from './usage.js'

/**
 * How long the process may linger after the command returned: an idle keep-alive socket or a
 * pool that is slow to end must not keep a cron job running.
 */
const EXIT_GRACE_MS = 2_000

const HANDLERS: Record<Exclude<CommandName, 'help'>, (args: ParsedArgs, context: CliContext) => Promise<number>> = {
  migrate: migrateCommand,
  rollback: rollbackCommand,
  enroll: enrollCommand,
  sync: syncCommand,
  status: statusCommand,
  index: indexCommand,
  'retry-failures': retryFailuresCommand,
  digest: digestCommand,
  audit: auditCommand,
}

/** Runs one command line; resolves to the exit code. Never throws. */
async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, streams: CliStreams): Promise<number> {
  let args: ParsedArgs
  try {
    args = parseCommandLine(argv)
  } catch (error) {
    // Called wrongly: say what was wrong, then how to call it.
    writeLines(streams.stderr, `error: ${errorMessage(error)}`, '', USAGE)
    return ExitCodes.usage
  }
  if (args.options.version === true) {
    writeLines(streams.stdout, packageVersion())
    return ExitCodes.ok
  }
  if (args.command === null || args.command === 'help' || args.options.help === true) {
    const asked = args.command === 'help' || args.options.help === true
    writeLines(asked ? streams.stdout : streams.stderr, USAGE)
    return asked ? ExitCodes.ok : ExitCodes.usage
  }
  try {
    return await HANDLERS[args.command](args, { options: args.options, env, streams })
  } catch (error) {
    return reportError(error, streams.stderr)
  }
}

const code = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr })
process.exitCode = code
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
