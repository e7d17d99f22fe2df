import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * What the demo remembers between runs, next to its database. The emulator keeps its mail in
 * memory, so each run rebuilds the same mailbox from the same seed and moment, then replays the
 * new mail of every earlier run and adds this run's: Gmail's history then reads exactly as if
 * the mailbox had lived on, and the stored cursor picks up only what is new.
 */
export interface DemoState {
  /** The moment the generated year of mail ends (the first run's start), epoch ms. */
  readonly anchor: number
  /** When each run started, epoch ms; run `i` adds the new mail of `runs[i]`. */
  readonly runs: readonly number[]
}

/** The demo's files under its data folder. */
export interface DemoPaths {
  readonly dir: string
  readonly database: string
  readonly attachments: string
  readonly state: string
  readonly log: string
}

/** Where the demo keeps its files. */
export function demoPaths(dir: string): DemoPaths {
  return {
    dir,
    database: join(dir, 'crm.sqlite'),
    attachments: join(dir, 'attachments'),
    state: join(dir, 'state.json'),
    log: join(dir, 'demo.log'),
  }
}

function readState(path: string): DemoState | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<DemoState>
    const runs = value.runs
    if (typeof value.anchor !== 'number' || !Array.isArray(runs) || !runs.every((r) => typeof r === 'number')) return null
    return { anchor: value.anchor, runs }
  } catch {
    return null
  }
}

/**
 * Starts this run: the saved state plus one run at `now`, written before anything else so a
 * crash never replays a run's mail under another run's number. Without a database (first run,
 * or the folder was cleared) the demo starts over, attachments included.
 */
export function beginRun(paths: DemoPaths, now: number): DemoState & { readonly fresh: boolean } {
  mkdirSync(paths.dir, { recursive: true })
  const saved = existsSync(paths.database) ? readState(paths.state) : null
  if (saved === null) {
    rmSync(paths.database, { force: true })
    rmSync(paths.attachments, { recursive: true, force: true })
  }
  const state: DemoState = saved === null ? { anchor: now, runs: [now] } : { anchor: saved.anchor, runs: [...saved.runs, now] }
  const temp = `${paths.state}.tmp`
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`)
  renameSync(temp, paths.state)
  return { ...state, fresh: saved === null }
}
