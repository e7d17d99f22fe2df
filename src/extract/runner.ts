/**
 * Runs one file's reader in a worker thread with its own heap limit, and stops it when it takes
 * too long: a parser that loops or allocates without end costs one file, never the process.
 * A worker per file: a reader that ran out of memory leaves nothing behind for the next file.
 */
import { existsSync, readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { errorMessage } from '../errors.js'
import type { TextFormat } from './formats.js'
import { EXTRACT_YOUNG_GENERATION_MB, MAX_EXTRACT_ERROR_CHARS, resolveExtractionLimits, type ExtractionLimits } from './limits.js'
import type { ExtractAnswer, ExtractRequest } from './protocol.js'
import { boundText } from './text.js'

/** The result of reading one file: text, no text, or why not. */
export type ExtractionOutcome =
  | { readonly status: 'extracted'; readonly text: string; readonly error: null }
  | { readonly status: 'empty'; readonly text: null; readonly error: null }
  | { readonly status: 'failed'; readonly text: null; readonly error: string }

/** The worker's script, and whether it is TypeScript (the sources, loaded through tsx). */
export interface WorkerScript {
  readonly path: string
  readonly typescript: boolean
}

/** A file to read: its bytes, or where it is on disk. */
export type ExtractionInput = Uint8Array | { readonly path: string }

/**
 * Reads one file's text within the limits; never rejects for the file's sake (only when
 * `signal` stops it).
 */
export type TextExtractor = (format: TextFormat, input: ExtractionInput, signal?: AbortSignal) => Promise<ExtractionOutcome>

/** The built worker, beside dist/index.js and dist/index.cjs. */
const BUILT_WORKER = 'extract-worker.js'
/** The worker's source, beside this file when running from source. */
const SOURCE_WORKER = 'worker.ts'

/**
 * Where the worker script is: built beside the package's entry points, or as TypeScript
 * beside this file (tests run from source, where tsx loads it).
 *
 * @example
 * ```ts
 * const script = extractWorkerScript() // { path: '/app/node_modules/crm-email-integration/dist/extract-worker.js', typescript: false }
 * ```
 */
export function extractWorkerScript(): WorkerScript {
  // The CommonJS build has no import.meta; the ESM build and the sources have no __dirname
  // (unless a test runner provides one, which then names the same folder).
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))
  const built = join(here, BUILT_WORKER)
  if (existsSync(built)) return { path: built, typescript: false }
  return { path: join(here, SOURCE_WORKER), typescript: true }
}

/**
 * A worker's script and options. Node 20 does not apply `--import` loaders given in a worker's
 * `execArgv`, so the sources are started by a small module that loads them through tsx's API.
 */
function workerEntry(script: WorkerScript): { readonly entry: string; readonly eval: boolean } {
  if (!script.typescript) return { entry: script.path, eval: false }
  const tsx = pathToFileURL(tsxModuleApi(script.path)).href
  const source = pathToFileURL(script.path).href
  return { entry: `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`, eval: true }
}

/** tsx's ES module API, as its package declares it (its CommonJS twin cannot load modules in a worker). */
function tsxModuleApi(from: string): string {
  const manifest = createRequire(from).resolve('tsx/package.json')
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }
  const api = exports['./esm/api']?.import.default
  if (api === undefined) throw new Error('tsx does not declare its module API')
  return join(dirname(manifest), api)
}

/**
 * A {@link TextExtractor} that starts `script` for each file under `limits`.
 *
 * @example
 * ```ts
 * const extract = workerExtractor(extractWorkerScript(), resolveExtractionLimits({ timeoutMs: 5_000 }))
 * const outcome = await extract('pdf', bytes) // { status: 'extracted', text: 'Quarterly plan ...', error: null }
 * ```
 */
export function workerExtractor(script: WorkerScript, limits: ExtractionLimits = resolveExtractionLimits()): TextExtractor {
  return async (format, input, signal) => {
    let bytes: Uint8Array
    if (input instanceof Uint8Array) {
      bytes = input
    } else {
      // The size first: a file over the cap is never read into memory.
      const size = await fileSize(input.path)
      if (size === null) return failed('the stored file is missing')
      if (size > limits.maxBytes) return tooLarge(limits)
      try {
        bytes = await readFile(input.path)
      } catch {
        return failed('the stored file is missing')
      }
    }
    if (bytes.byteLength > limits.maxBytes) return tooLarge(limits)
    return runWorker(script, limits, format, bytes, signal)
  }
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size
  } catch {
    return null
  }
}

function tooLarge(limits: ExtractionLimits): ExtractionOutcome {
  return failed(`larger than ${megabytes(limits.maxBytes)} MB`)
}

function runWorker(
  script: WorkerScript,
  limits: ExtractionLimits,
  format: TextFormat,
  bytes: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<ExtractionOutcome> {
  signal?.throwIfAborted()
  // A copy the worker owns: the caller's buffer may be a view into a larger one it still uses.
  const own = bytes.slice()
  const request: ExtractRequest = { format, bytes: own }
  return new Promise((resolve, reject) => {
    const { entry, eval: isCode } = workerEntry(script)
    const worker = new Worker(entry, {
      eval: isCode,
      workerData: request,
      transferList: [own.buffer],
      resourceLimits: { maxOldGenerationSizeMb: limits.maxMemoryMb, maxYoungGenerationSizeMb: EXTRACT_YOUNG_GENERATION_MB },
      stdout: true,
      stderr: true,
    })
    // The readers' own console warnings (pdf.js has many) are not the host's logs.
    worker.stdout.resume()
    worker.stderr.resume()
    let settled = false
    const finish = (outcome: ExtractionOutcome | Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      void worker.terminate()
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    const timer = setTimeout(() => { finish(failed(`took longer than ${limits.timeoutMs / 1000} s`)); }, limits.timeoutMs)
    const onAbort = (): void => { finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted')); }
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (answer: ExtractAnswer) => { finish(outcomeOf(answer)); })
    worker.on('error', (error: Error & { code?: string }) => {
      finish(failed(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : errorMessage(error)))
    })
    worker.on('exit', (code) => { finish(failed(`the reader stopped without an answer (exit code ${code})`)); })
  })
}

function outcomeOf(answer: ExtractAnswer): ExtractionOutcome {
  if (!answer.ok) return failed(answer.error)
  const text = boundText(answer.text)
  return text === '' ? { status: 'empty', text: null, error: null } : { status: 'extracted', text, error: null }
}

function failed(error: string): ExtractionOutcome {
  return { status: 'failed', text: null, error: error.slice(0, MAX_EXTRACT_ERROR_CHARS) }
}

function megabytes(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 10) / 10)
}
