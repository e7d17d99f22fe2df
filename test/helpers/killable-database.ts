/**
 * The database side of a child process the crash tests kill at an exact point: it opens the
 * SQLite file or PostgreSQL schema the parent names, counts the statements run once armed, and
 * SIGKILLs its own process as soon as `killAfter` of them have run (between any two statements).
 */
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'

/** Which database a child opens, and where it dies. */
export interface KillableTarget {
  readonly sqlite?: string
  readonly postgres?: { readonly url: string; readonly schema: string }
  readonly killAfter?: number
}

/** The opened database, and the switch that starts the statement count. */
export interface KillableDatabase {
  readonly db: Kysely<Record<string, never>>
  /** Connects, then counts every later statement: the parent's kill points start here. */
  readonly arm: () => Promise<void>
  /** Statements run since `arm()`. */
  readonly statements: () => number
}

/**
 * Opens `target`'s database with a statement counter that kills the process at `killAfter`.
 *
 * @example
 * const { db, arm, statements } = openKillable(JSON.parse(process.env.MIGRATE_CHILD ?? '{}'), 'MIGRATE_CHILD')
 * await arm()
 */
export function openKillable(target: KillableTarget, variable: string): KillableDatabase {
  let count = -1
  // Kysely's query log calls it after each statement (a failed one too).
  const onQuery = (): void => {
    if (count < 0) return
    count += 1
    if (count === target.killAfter) process.kill(process.pid, 'SIGKILL')
  }
  let db: Kysely<Record<string, never>>
  if (target.sqlite !== undefined) {
    const database = new Database(target.sqlite)
    database.pragma('foreign_keys = ON')
    db = new Kysely({ dialect: new SqliteDialect({ database }), log: onQuery })
  } else if (target.postgres !== undefined) {
    const pool = new pg.Pool({ connectionString: target.postgres.url, options: `-c search_path=${target.postgres.schema}`, max: 2 })
    db = new Kysely({ dialect: new PostgresDialect({ pool }), log: onQuery })
  } else {
    throw new Error(`${variable} names no database`)
  }
  return {
    db,
    arm: async () => {
      // Connected before counting, so that the parent's delays fall inside the work itself.
      await sql`select 1`.execute(db)
      count = 0
    },
    statements: () => count,
  }
}
