import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errorMessage, isEmailIntegrationError, type ErrorCode } from '../errors.js'
import { UsageError } from './args.js'

/** The CLI's exit codes. */
export const ExitCodes = {
  ok: 0,
  /** A run failed: a sync `error`, the database or Gmail unreachable, an unexpected error. */
  failure: 1,
  /** The command was called wrongly or the setup is wrong: usage, configuration, a bad argument. */
  usage: 2,
  /** Stopped by SIGINT (128 + 2) or SIGTERM (128 + 15), after the runs in progress ended. */
  interrupted: 130,
  terminated: 143,
} as const

/** Library errors that mean "fix how you called it or set it up", not "it broke". */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['configuration_invalid', 'validation_failed', 'integration_disabled', 'not_found'])

/** Where the CLI writes: the process's streams, or a test's. */
export interface CliStreams {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number }
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number }
}

/** Writes lines to a stream. */
export function writeLines(stream: NodeJS.WritableStream, ...lines: readonly string[]): void {
  for (const line of lines) stream.write(`${line}\n`)
}

/** Right-pads columns into an aligned table (numbers are right-aligned). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^(\d+|-)$/.test(r[i] ?? '')))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)]
}

/**
 * Prints an error the way an operator needs it: its message, never a stack (the library's
 * messages never carry a secret), with a hint when the tables are missing. Returns the exit code.
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream): number {
  if (error instanceof UsageError) {
    writeLines(stderr, `error: ${error.message}`, 'Run `crm-email-integration help` for usage.')
    return ExitCodes.usage
  }
  if (isEmailIntegrationError(error)) {
    writeLines(stderr, `error: ${error.message}`)
    return USAGE_CODES.has(error.code) ? ExitCodes.usage : ExitCodes.failure
  }
  const message = errorMessage(error)
  writeLines(stderr, `error: ${message}`)
  if (/no such table|relation "?email\w*"? does not exist/i.test(message)) {
    writeLines(stderr, 'The email tables are missing: run `crm-email-integration migrate` first.')
  }
  return ExitCodes.failure
}

/** The package's version, from the package.json above this file (in `dist/` or in `src/cli/`). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === 'crm-email-integration' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // not here: look in the parent directory
    }
    const parent = dirname(dir)
    if (parent === dir) return 'unknown'
    dir = parent
  }
}
