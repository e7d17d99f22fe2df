import { isEmailIntegrationError } from '../errors.js'
import { UsageError, expectOperands, type ParsedArgs } from './args.js'
import { openIntegration, type CliContext, type CliIntegration } from './cli-integration.js'
import { ExitCodes, writeLines } from './output.js'

/** Enrolling more addresses than this at once is almost surely a mistake (a file pasted in). */
export const MAX_ENROLL_ADDRESSES = 200

/** Runs `body` on an integration over the command's database, closing both afterwards. */
export async function withIntegration(
  context: CliContext,
  options: Parameters<typeof openIntegration>[1],
  body: (integration: CliIntegration) => Promise<number>,
): Promise<number> {
  const integration = await openIntegration(context, options)
  try {
    return await body(integration)
  } finally {
    await integration.close()
  }
}

/** `migrate`: creates or updates the tables; a second run applies nothing. */
export async function migrateCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments')
  return withIntegration(context, { directory: 'none', create: true }, async ({ email, database }) => {
    const { applied } = await email.migrate()
    writeLines(
      context.streams.stdout,
      applied.length === 0
        ? `${database.label}: the email tables are up to date`
        : `${database.label}: applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}`,
    )
    return ExitCodes.ok
  })
}

/** `rollback --yes`: drops every table the library made, with its rows. */
export async function rollbackCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 0, max: 0 }, 'no arguments')
  if (args.options.yes !== true) {
    throw new UsageError('rollback drops every email table and all the mail in it; run it again with --yes to confirm')
  }
  return withIntegration(context, { directory: 'none' }, async ({ email, database }) => {
    await email.rollback()
    writeLines(context.streams.stdout, `${database.label}: dropped the email tables`)
    return ExitCodes.ok
  })
}

/** `enroll <address>...`: enrolls each mailbox (idempotent); a refused address does not stop the others. */
export async function enrollCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  expectOperands(args, { min: 1, max: MAX_ENROLL_ADDRESSES }, `1 to ${MAX_ENROLL_ADDRESSES} addresses`)
  return withIntegration(context, { directory: 'none' }, async ({ email }) => {
    const known = new Set((await email.accounts.list()).map((a) => a.address))
    let refused = 0
    for (const address of args.operands) {
      try {
        const account = await email.accounts.enroll(address)
        const what = known.has(account.address) ? 'already enrolled' : 'enrolled'
        known.add(account.address)
        writeLines(context.streams.stdout, `${what} ${account.address} (${account.status})`)
      } catch (error) {
        if (!(isEmailIntegrationError(error) && error.code === 'validation_failed')) throw error
        refused += 1
        writeLines(context.streams.stderr, `error: ${error.message}`)
      }
    }
    return refused === 0 ? ExitCodes.ok : ExitCodes.usage
  })
}

/** `digest preview`: builds the digest of a window and prints it; nothing is sent. */
export async function digestCommand(args: ParsedArgs, context: CliContext): Promise<number> {
  const { options } = args
  if (args.operands.length !== 1 || args.operands[0] !== 'preview') throw new UsageError('digest: expected `digest preview`')
  if (options.since !== undefined && options.hours !== undefined) throw new UsageError('digest preview: give --since or --hours, not both')
  if (options.json === true && options.html === true) throw new UsageError('digest preview: give --json or --html, not both')
  const window = options.since !== undefined ? { since: options.since } : { hours: options.hours ?? 24 }
  return withIntegration(context, { directory: 'optional' }, async ({ email }) => {
    const digest = await email.digest.preview(window)
    const out = options.json === true ? JSON.stringify(digest, null, 2) : options.html === true ? digest.html : digest.text
    writeLines(context.streams.stdout, out.trimEnd())
    return ExitCodes.ok
  })
}
