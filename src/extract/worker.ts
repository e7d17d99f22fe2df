/**
 * The extraction worker's entry (built as dist/extract-worker.js): reads the one file in its
 * `workerData` and posts its text or the reader's error. The runner bounds its time and heap.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { errorMessage } from '../errors.js'
import { TEXT_FORMATS } from './formats.js'
import type { ExtractAnswer, ExtractRequest } from './protocol.js'
import { readFormat } from './readers.js'

function isRequest(value: unknown): value is ExtractRequest {
  if (typeof value !== 'object' || value === null) return false
  const { format, bytes } = value as Record<string, unknown>
  return TEXT_FORMATS.includes(format as ExtractRequest['format']) && bytes instanceof Uint8Array
}

async function answer(): Promise<ExtractAnswer> {
  const request: unknown = workerData
  if (!isRequest(request)) return { ok: false, error: 'the reader was started without a file' }
  try {
    return { ok: true, text: await readFormat(request.format, request.bytes) }
  } catch (error) {
    return { ok: false, error: errorMessage(error) }
  }
}

void answer().then((message) => parentPort?.postMessage(message))
