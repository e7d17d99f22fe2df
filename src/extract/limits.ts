/**
 * The bounds of reading attachment text. A mailbox holds files from anyone: a crafted PDF or a
 * zip bomb must cost one file's bounded time and memory, never the host process.
 */
import { ValidationError } from '../errors.js'

/** Characters of text kept per attachment: plenty for search, bounded for the index and the embedder. */
export const MAX_ATTACHMENT_TEXT_CHARS = 200_000

/** How long one file may be read before its worker is stopped. */
export const DEFAULT_EXTRACT_TIMEOUT_MS = 20_000

/** The old-generation heap of one worker: large office files fit, a runaway parser is stopped. */
export const DEFAULT_EXTRACT_MEMORY_MB = 256

/** The young generation of one worker, kept small so the heap cap above is what bounds it. */
export const EXTRACT_YOUNG_GENERATION_MB = 32

/** Files larger than this are not read at all: parsing cost grows with size, and search gains little. */
export const DEFAULT_EXTRACT_MAX_BYTES = 25 * 1024 * 1024

/** Characters of an error kept on the row: enough to act on, never the file's content. */
export const MAX_EXTRACT_ERROR_CHARS = 300

/** The limits one extraction runs under. */
export interface ExtractionLimits {
  /** Milliseconds before the worker is terminated (default {@link DEFAULT_EXTRACT_TIMEOUT_MS}). */
  readonly timeoutMs: number
  /** The worker's old-generation heap in MB (default {@link DEFAULT_EXTRACT_MEMORY_MB}). */
  readonly maxMemoryMb: number
  /** Files above this many bytes are recorded `failed` unread (default {@link DEFAULT_EXTRACT_MAX_BYTES}). */
  readonly maxBytes: number
}

/** The defaults of {@link ExtractionLimits}. */
export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = Object.freeze({
  timeoutMs: DEFAULT_EXTRACT_TIMEOUT_MS,
  maxMemoryMb: DEFAULT_EXTRACT_MEMORY_MB,
  maxBytes: DEFAULT_EXTRACT_MAX_BYTES,
})

/**
 * The limits with the given overrides, each checked: 0, NaN or a negative number would switch a
 * bound off, so they are refused.
 *
 * @example
 * ```ts
 * resolveExtractionLimits({ timeoutMs: 5_000 }) // { timeoutMs: 5000, maxMemoryMb: 256, maxBytes: 26214400 }
 * ```
 */
export function resolveExtractionLimits(overrides: Partial<ExtractionLimits> = {}): ExtractionLimits {
  const limits = { ...DEFAULT_EXTRACTION_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ValidationError(`Expected \`${name}\` to be a positive number, got ${String(value)}`)
    }
  }
  return Object.freeze(limits)
}
