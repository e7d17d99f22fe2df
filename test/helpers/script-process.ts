import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const tsx = resolve(root, 'node_modules/.bin/tsx')

/** A TypeScript program of the repository running as its own process, as a user runs it. */
export interface ScriptProcess {
  readonly child: ChildProcess
  /** Everything it printed on stdout and stderr so far. */
  output(): string
  /** Resolves with the first match of `pattern` in the output, or rejects when the process exits first or `ms` pass. */
  waitFor(pattern: RegExp, ms: number): Promise<RegExpMatchArray>
  /** Sends `signal` and resolves with the exit code (`null` when a signal ended it). */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>
}

/** Runs `script` (a path from the repository root) with tsx, in the repository root. */
export function runScript(script: string, env: Readonly<Record<string, string>>): ScriptProcess {
  const child = spawn(tsx, [script], { cwd: root, env: { ...process.env, ...env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  const waiters = new Set<() => void>()
  const changed = () => { for (const wake of waiters) wake() }
  child.stdout.on('data', (chunk: Buffer) => { text += chunk.toString(); changed() })
  child.stderr.on('data', (chunk: Buffer) => { text += chunk.toString(); changed() })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => { done(code); changed() }))
  return {
    child,
    output: () => text,
    waitFor(pattern, ms) {
      return new Promise((done, fail) => {
        const timer = setTimeout(() => { finish(); fail(new Error(`${script}: no ${String(pattern)} within ${ms} ms; output:\n${text}`)) }, ms)
        const check = () => {
          const match = pattern.exec(text)
          if (match !== null) { finish(); done(match); return }
          if (child.exitCode !== null || child.signalCode !== null) { finish(); fail(new Error(`${script} exited (${String(child.exitCode ?? child.signalCode)}) before ${String(pattern)}; output:\n${text}`)) }
        }
        const finish = () => { clearTimeout(timer); waiters.delete(check) }
        waiters.add(check)
        check()
      })
    },
    async stop(signal = 'SIGTERM', ms = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
