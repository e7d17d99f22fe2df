import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { DirectoryEntry, DirectoryEntryType } from '../hooks.js'
import { errorMessage } from '../errors.js'
import { UsageError } from './args.js'

/** The environment variable naming the directory file when `--directory` is not given. */
export const DIRECTORY_VARIABLE = 'CRM_GMAIL_DIRECTORY_FILE'

const TYPES: readonly DirectoryEntryType[] = ['fund', 'org', 'contact']
const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs'])

/** The directory file named by `--directory` or the variable, or `null` when neither is set. */
export function directoryPath(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string | null {
  const path = flag ?? env[DIRECTORY_VARIABLE]
  return path === undefined || path.trim() === '' ? null : path.trim()
}

/**
 * Reads the CRM directory from a file: a JSON array of entries, or a `.js` / `.mjs` / `.cjs`
 * module whose default export is such an array or a function (async or not) returning one.
 * Every entry is checked; the first bad one is a {@link UsageError} naming its index.
 */
export async function loadDirectoryFile(path: string): Promise<readonly DirectoryEntry[]> {
  const file = resolve(path)
  const where = `directory file ${file}`
  let value: unknown
  if (MODULE_EXTENSIONS.has(extname(file).toLowerCase())) {
    value = await importModule(file, where)
  } else {
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new UsageError(`${where}: cannot be read (${(error as { code?: string }).code ?? 'error'})`)
    })
    try {
      value = JSON.parse(text) as unknown
    } catch (error) {
      throw new UsageError(`${where}: not valid JSON (${errorMessage(error)})`)
    }
  }
  return validateDirectory(value, where)
}

async function importModule(file: string, where: string): Promise<unknown> {
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    throw new UsageError(`${where}: cannot be loaded (${errorMessage(error)})`)
  }
  const exported = module.default
  if (typeof exported !== 'function') return exported
  const produced: unknown = await (exported as () => unknown)()
  return produced
}

/** Checks that `value` is an array of directory entries; returns them frozen. */
export function validateDirectory(value: unknown, where: string): readonly DirectoryEntry[] {
  if (!Array.isArray(value)) throw new UsageError(`${where}: expected an array of entries ({ type, id, name, emails?, domains? })`)
  const entries = (value as unknown[]).map((entry, index) => validateEntry(entry, `${where}: entry ${index}`))
  return Object.freeze(entries)
}

function validateEntry(entry: unknown, where: string): DirectoryEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new UsageError(`${where}: expected an object`)
  const { type, id, name, emails, domains } = entry as Record<string, unknown>
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`${where}: type must be one of ${TYPES.join(', ')}`)
  }
  const validId = (typeof id === 'string' && id.trim() !== '') || (typeof id === 'number' && Number.isSafeInteger(id))
  if (!validId) throw new UsageError(`${where}: id must be a non-empty string or an integer`)
  if (typeof name !== 'string' || name.trim() === '') throw new UsageError(`${where}: name must be a non-empty string`)
  return {
    type: type as DirectoryEntryType,
    id,
    name,
    ...(emails === undefined ? {} : { emails: stringList(emails, `${where}: emails`) }),
    ...(domains === undefined ? {} : { domains: stringList(domains, `${where}: domains`) }),
  }
}

function stringList(value: unknown, where: string): readonly string[] {
  if (!Array.isArray(value) || !(value as unknown[]).every((v) => typeof v === 'string')) {
    throw new UsageError(`${where}: expected an array of strings`)
  }
  return value as string[]
}
