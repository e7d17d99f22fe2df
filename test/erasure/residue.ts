/**
 * Looking for bytes left behind: in the SQLite files (the database, its write-ahead log and
 * shared-memory index), in every text column of the library's PostgreSQL tables, and in every
 * file under the attachment store.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../../src/db/database.js'
import type { TestDatabase } from '../helpers/databases.js'

/** Each needle with where it was found; empty when none is anywhere. */
export type Residue = readonly string[]

/** Every file under a folder, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
}

function found(files: readonly string[], needles: readonly (string | Buffer)[]): string[] {
  const hits: string[] = []
  for (const file of files) {
    const bytes = readFileSync(file)
    for (const needle of needles) {
      const probe = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle
      if (bytes.includes(probe)) hits.push(`${typeof needle === 'string' ? needle : 'bytes'} in ${file}`)
    }
  }
  return hits
}

/** Needles found in the SQLite database file and its -wal and -shm files. */
export async function sqliteResidue(db: Kysely<EmailDatabase>, needles: readonly (string | Buffer)[]): Promise<Residue> {
  const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db)
  const main = rows.find((r) => r.name === 'main')?.file ?? ''
  return found([main, `${main}-wal`, `${main}-shm`].filter((f) => existsSync(f)), needles)
}

/** Needles found (case-insensitively) in any column, as text, of any of the library's PostgreSQL tables. */
export async function postgresResidue(db: Kysely<EmailDatabase>, needles: readonly string[]): Promise<Residue> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and (table_name = 'emails' or table_name like 'email\\_%')`.execute(db)
  const hits: string[] = []
  for (const { table_name: table, column_name: column } of columns) {
    for (const needle of needles) {
      const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}
        where position(${needle.toLowerCase()} in lower(${sql.ref(column)}::text)) > 0`.execute(db)
      if (Number(rows[0]?.n ?? 0) > 0) hits.push(`${needle} in ${table}.${column}`)
    }
  }
  return hits
}

/** Needles found in the database of either dialect (bytes only on SQLite). */
export async function databaseResidue(t: TestDatabase, needles: readonly string[]): Promise<Residue> {
  const db = t.db as unknown as Kysely<EmailDatabase>
  return t.dialect === 'sqlite' ? sqliteResidue(db, needles) : postgresResidue(db, needles)
}

/** Needles found in any file under the attachment store. */
export function storeResidue(dir: string, needles: readonly (string | Buffer)[]): Residue {
  return found(filesUnder(dir), needles)
}
