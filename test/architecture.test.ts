import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** The library's source root. */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src')

/**
 * The read side: it reads the database and never borrows from the write side. `directory/` (the
 * directory cache the read side shares) is held to the same rule.
 */
const READ_SIDE = ['mail', 'search', 'digest', 'http', 'directory']

/** The write side, which the read side must not import (values and types alike). */
const WRITE_SIDE = ['capture', 'sync']

/** Module specifiers of every static import, re-export, side-effect import and dynamic import. */
const SPECIFIER = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g

/** Every `.ts` file under `dir`, recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** The write-side modules `source` (the text of the file at `file`) imports, as paths under src/. */
function writeSideImports(file: string, source: string): string[] {
  const found: string[] = []
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? ''
    if (!specifier.startsWith('.')) continue
    const target = relative(SRC, resolve(dirname(file), specifier)).split(sep).join('/')
    if (WRITE_SIDE.some((folder) => target === folder || target.startsWith(`${folder}/`))) found.push(target)
  }
  return found
}

describe('architecture: the read side imports nothing from capture/ or sync/', () => {
  const files = READ_SIDE.flatMap((folder) => sourceFiles(join(SRC, folder)))

  it('finds the read side\'s files', () => {
    for (const folder of READ_SIDE) expect(files.some((f) => f.startsWith(join(SRC, folder) + sep)), folder).toBe(true)
  })

  it('has no import of capture/ or sync/ in mail/, search/, digest/ or http/', () => {
    const offending = files.flatMap((file) => writeSideImports(file, readFileSync(file, 'utf8')).map((target) => `${relative(SRC, file)} -> ${target}`))
    expect(offending).toEqual([])
  })

  it('catches every form of import, type-only and dynamic included', () => {
    const file = join(SRC, 'http', 'routes', 'x-routes.ts')
    const source = [
      "import type { AuditReport } from '../../sync/audit-types.js'",
      "import {\n  rematchEmails,\n} from '../../capture/rematch.js'",
      "export { lastRuns } from '../../sync/last-runs.js'",
      "import '../../capture/side-effect.js'",
      "const m = await import('../../sync/leases.js')",
      "import { json } from '../respond.js'",
      "import { normalizeAddress } from '../../address.js'",
      "import { syncLike } from '../../db/sync-things.js'",
    ].join('\n')
    expect(writeSideImports(file, source)).toEqual(['sync/audit-types.js', 'capture/rematch.js', 'sync/last-runs.js', 'capture/side-effect.js', 'sync/leases.js'])
  })
})
