/**
 * A stand-in extraction worker for the runner's bounds: given the text `loop` it never answers,
 * given `allocate` it fills its heap; anything else it echoes as the file's text.
 */
import { parentPort, workerData } from 'node:worker_threads'

const { bytes } = workerData as { bytes: Uint8Array }
const command = new TextDecoder().decode(bytes)
if (command === 'loop') {
  for (;;) {
    // spins until terminated
  }
} else if (command === 'allocate') {
  const kept: string[][] = []
  for (let i = 0; ; i += 1) kept.push(Array.from({ length: 10_000 }, (_, j) => `${i}:${j}`))
} else {
  parentPort?.postMessage({ ok: true, text: command })
}
