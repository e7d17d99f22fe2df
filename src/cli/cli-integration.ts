import { loadConfig } from '../config/index.js'
import type { EmailConfig } from '../config/types.js'
import { createEmailIntegration, type EmailIntegration } from '../create-email-integration.js'
import { DisabledError } from '../errors.js'
import type { DirectoryEntry, LogFields, Logger } from '../hooks.js'
import { UsageError, type CliOptions } from './args.js'
import { DIRECTORY_VARIABLE, directoryPath, loadDirectoryFile } from './directory-file.js'
import { databaseTarget, openDatabase, type OpenDatabase } from './open-database.js'
import { writeLines, type CliStreams } from './output.js'

/** What every command runs in: the command line, the environment and the streams. */
export interface CliContext {
  readonly options: CliOptions
  readonly env: Readonly<Record<string, string | undefined>>
  readonly streams: CliStreams
}

/** How a command uses the CRM directory. */
export type DirectoryNeed =
  /** Not at all (migrate, enroll, status). */
  | 'none'
  /** When one is given; without it identities show as addresses (digest). */
  | 'optional'
  /** Required in `matched` capture mode, where without it nothing would ever match (sync). */
  | 'matching'

/** Options of {@link openIntegration}. */
export interface OpenIntegrationOptions {
  readonly directory: DirectoryNeed
  /** Create the SQLite file when missing (migrate). */
  readonly create?: boolean
  /** Refuse at once when the integration is disabled (sync), before reading anything else. */
  readonly requireEnabled?: boolean
}

/** An integration over the command's database, and how to close both. */
export interface CliIntegration {
  readonly email: EmailIntegration
  readonly config: EmailConfig
  readonly database: OpenDatabase
  readonly directory: readonly DirectoryEntry[] | null
  /** Sends the library's log lines elsewhere from now on (the sync's progress display). */
  setLog(log: (line: string) => void): void
  close(): Promise<void>
}

function logLine(level: string, message: string, fields: LogFields | undefined): string {
  const extra = fields === undefined || Object.keys(fields).length === 0 ? '' : ` ${JSON.stringify(fields)}`
  return `${level}: ${message}${extra}`
}

/**
 * Reads the configuration (`loadConfig(env)`: the host's `CRM_GMAIL_*` variables), the
 * directory when the command needs it, opens the database and mounts the integration on it.
 * Configuration problems come first, before anything is opened.
 */
export async function openIntegration(context: CliContext, options: OpenIntegrationOptions): Promise<CliIntegration> {
  const { env, streams } = context
  const config = loadConfig(env)
  if (options.requireEnabled === true && !config.enabled) throw new DisabledError()
  const target = databaseTarget(context.options.db, env)
  const directory = await readDirectory(context, config, options.directory)
  let log = (line: string) => {
    writeLines(streams.stderr, line)
  }
  // Quiet unless asked: retries and the like are routine, and the reports say what failed.
  const logger: Logger =
    context.options.verbose === true
      ? {
          info(fields, message) {
            log(logLine('info', message, fields))
          },
          warn(fields, message) {
            log(logLine('warning', message, fields))
          },
          error(fields, message) {
            log(logLine('error', message, fields))
          },
        }
      : {}
  const database = await openDatabase(target, { create: options.create === true })
  try {
    const email = createEmailIntegration({ db: database.db, config, directory: () => Promise.resolve(directory ?? []), logger })
    return {
      email,
      config,
      database,
      directory,
      setLog(next) {
        log = next
      },
      async close() {
        await email.close()
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}

async function readDirectory(context: CliContext, config: EmailConfig, need: DirectoryNeed): Promise<readonly DirectoryEntry[] | null> {
  if (need === 'none') return null
  const path = directoryPath(context.options.directory, context.env)
  if (path !== null) return loadDirectoryFile(path)
  if (need === 'matching' && config.capture === 'matched') {
    throw new UsageError(
      `sync needs the CRM directory to match mail against (CRM_GMAIL_CAPTURE=matched): pass --directory <file> or set ${DIRECTORY_VARIABLE}`,
    )
  }
  if (need === 'optional') {
    writeLines(context.streams.stderr, `note: no CRM directory (--directory or ${DIRECTORY_VARIABLE}): mail is grouped by address`)
  }
  return null
}
