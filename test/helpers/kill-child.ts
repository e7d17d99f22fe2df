/**
 * The parent side of the crash tests: runs a built child script with its target in an
 * environment variable, and either lets it run (it may kill itself at a statement count, see
 * killable-database.ts) or SIGKILLs it a while after it says `ready`.
 */
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Runs `script` with `target` as JSON in `variable`; with `delayMs`, kills it that long after
 * it prints `ready`. Resolves to everything it printed once it has exited.
 *
 * @example
 * const output = await runKillableChild(built.script, 'HOUSEKEEPING_CHILD', { ...target, killAfter: 3 })
 */
export async function runKillableChild(script: string, variable: string, target: object, delayMs?: number): Promise<string> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, [variable]: JSON.stringify(target) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise<void>((resolve) => {
    child.on('close', () => {
      resolve()
    })
  })
  if (delayMs !== undefined) {
    while (!output.includes('ready') && child.exitCode === null) await sleep(2)
    await sleep(delayMs)
    child.kill('SIGKILL')
  }
  await exited
  return output
}
