/**
 * What crosses the thread boundary between the runner and the extraction worker: the format
 * and the file's bytes in, the text or the reader's error out.
 */
import type { TextFormat } from './formats.js'

/** The worker's input (its `workerData`; the bytes' buffer is transferred, not copied). */
export interface ExtractRequest {
  readonly format: TextFormat
  readonly bytes: Uint8Array
}

/** The worker's one message back. */
export type ExtractAnswer = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string }
