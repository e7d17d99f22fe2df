import { parseArgs } from 'node:util'
import { errorMessage } from '../errors.js'

/** A mistake in how the command was called or set up: the message and the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The commands, with the options each accepts besides the global ones. */
export const COMMANDS = {
  migrate: [],
  rollback: ['yes'],
  enroll: [],
  sync: ['account', 'directory', 'json'],
  'retry-failures': ['account', 'directory', 'json'],
  status: ['json'],
  index: ['limit', 'json'],
  audit: ['account', 'identity', 'no-headers', 'directory', 'json'],
  digest: ['directory', 'since', 'hours', 'json', 'html'],
  help: [],
} as const satisfies Record<string, readonly string[]>

/** A command name. */
export type CommandName = keyof typeof COMMANDS

/** Options every command accepts. */
const GLOBAL_OPTIONS = ['db', 'verbose', 'help', 'version'] as const

const OPTIONS = {
  db: { type: 'string' },
  directory: { type: 'string' },
  account: { type: 'string' },
  identity: { type: 'string' },
  'no-headers': { type: 'boolean' },
  since: { type: 'string' },
  hours: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'boolean' },
  yes: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/** The options as given on the command line. */
export interface CliOptions {
  readonly db?: string | undefined
  readonly directory?: string | undefined
  readonly account?: string | undefined
  readonly identity?: string | undefined
  readonly 'no-headers'?: boolean | undefined
  readonly since?: string | undefined
  readonly hours?: string | undefined
  readonly limit?: string | undefined
  readonly json?: boolean | undefined
  readonly html?: boolean | undefined
  readonly yes?: boolean | undefined
  readonly verbose?: boolean | undefined
  readonly help?: boolean | undefined
  readonly version?: boolean | undefined
}

/** A parsed command line. */
export interface ParsedArgs {
  /** `null` when no command was given (only `--help` or `--version`, or nothing). */
  readonly command: CommandName | null
  /** The words after the command (`enroll`'s addresses, `digest`'s `preview`). */
  readonly operands: readonly string[]
  readonly options: CliOptions
}

function isCommand(word: string): word is CommandName {
  return Object.hasOwn(COMMANDS, word)
}

function parseStrict(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    // node:util names the offending option in its message.
    throw new UsageError(errorMessage(error))
  }
}

/**
 * Reads the command line (without `node` and the script). Unknown commands and options, and
 * options that do not apply to the command, are a {@link UsageError}.
 */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const parsed = parseStrict(argv)
  const [first, ...operands] = parsed.positionals
  if (first !== undefined && !isCommand(first)) throw new UsageError(`unknown command ${JSON.stringify(first)}`)
  const command = first ?? null
  const options: CliOptions = parsed.values
  if (command !== null) {
    const allowed = new Set<string>([...GLOBAL_OPTIONS, ...COMMANDS[command]])
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && !allowed.has(name)) throw new UsageError(`option --${name} does not apply to ${command}`)
    }
  }
  return { command, operands, options }
}

/** Refuses operands a command does not take. */
export function expectOperands(args: ParsedArgs, count: { min: number; max: number }, what: string): void {
  const n = args.operands.length
  if (n < count.min || n > count.max) throw new UsageError(`${args.command ?? 'the command'}: expected ${what}`)
}
