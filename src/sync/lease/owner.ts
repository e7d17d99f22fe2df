import { readFileSync, readlinkSync } from 'node:fs'
import { hostname, uptime } from 'node:os'

/** Where a lease holder runs, as the lease row records it. */
export interface LeaseProcess {
  /** The host name. */
  readonly host: string
  /** The process id. */
  readonly pid: number
  /**
   * The identity of the host's current boot (and, on Linux, of the process-id namespace), so
   * that process ids are compared only within the boot and the container they belong to.
   */
  readonly bootId: string
}

/** The Linux kernel's random id of the current boot. */
const LINUX_BOOT_ID = '/proc/sys/kernel/random/boot_id'
/** The process-id namespace of this process: containers on one kernel share a boot id, not this. */
const LINUX_PID_NAMESPACE = '/proc/self/ns/pid'
/**
 * A boot identity made from the boot time (now minus uptime), where the kernel gives no boot
 * id. Rounded to the minute so that processes of one boot agree; it can still differ between
 * two processes on either side of a rounding edge, which only makes them fall back to expiry.
 */
const FALLBACK_ROUNDING_MS = 60_000

function readTrimmed(read: () => string): string | null {
  try {
    const text = read().trim()
    return text === '' ? null : text
  } catch {
    return null
  }
}

function machineBootId(): string {
  const boot = readTrimmed(() => readFileSync(LINUX_BOOT_ID, 'utf8'))
  if (boot === null) return `uptime:${Math.round((Date.now() - uptime() * 1000) / FALLBACK_ROUNDING_MS)}`
  const namespace = readTrimmed(() => readlinkSync(LINUX_PID_NAMESPACE))
  return namespace === null ? `linux:${boot}` : `linux:${boot}:${namespace}`
}

let current: LeaseProcess | null = null

/**
 * This process, as the leases it takes record it. Read once: the host name, pid and boot do
 * not change while the process lives.
 *
 * @example
 * ```ts
 * const { host, pid } = thisProcess()
 * ```
 */
export function thisProcess(): LeaseProcess {
  current ??= { host: hostname(), pid: process.pid, bootId: machineBootId() }
  return current
}

/**
 * Whether process `pid` exists on this machine. `process.kill(pid, 0)` sends no signal, it
 * only asks: `ESRCH` means no such process; `EPERM` means one exists that we may not signal
 * (another user's), which is alive.
 */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Whether the lease holder `holder` is known to be dead: it ran on this host, in this boot and
 * process namespace, and its process is gone. Anything else (another host, another boot or
 * container, a lease of an earlier version without these details, a live process, or a pid
 * the system gave to a new process since) is not known to be dead: such a lease is left to
 * expire.
 *
 * @example
 * ```ts
 * if (holderDiedHere({ host: row.lease_host, pid: row.lease_pid, bootId: row.lease_boot_id })) takeOver()
 * ```
 */
export function holderDiedHere(holder: { readonly host: string | null; readonly pid: number | null; readonly bootId: string | null }): boolean {
  const self = thisProcess()
  if (holder.host !== self.host || holder.bootId !== self.bootId || holder.pid === null) return false
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false
  return !processExists(holder.pid)
}
