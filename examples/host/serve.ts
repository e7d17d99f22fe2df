/**
 * The example servers' process plumbing: where to listen, the one line that says where they
 * listen, a logger, and a clean shutdown on SIGINT / SIGTERM.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LogFields, Logger } from 'crm-email-integration'

/** `PORT` (default 3000; `0` picks a free port) and `HOST` (default 127.0.0.1). */
export function listenAddress(env: NodeJS.ProcessEnv): { port: number; host: string } {
  const port = Number(env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT: expected a port number, got ${env.PORT ?? ''}`)
  return { port, host: env.HOST ?? '127.0.0.1' }
}

/** Prints `listening on http://<host>:<port>` (with the port actually bound when `PORT=0`). */
export function announce(server: Server, host: string): void {
  const { port } = server.address() as AddressInfo
  console.log(`listening on http://${host}:${port}`)
}

/** Whether the environment asks for the background sync and daily digest (`EMAIL_SCHEDULER=on`). */
export function schedulerWanted(env: NodeJS.ProcessEnv): boolean {
  return env.EMAIL_SCHEDULER === 'on'
}

function line(message: string, fields?: LogFields): string {
  return fields === undefined ? message : `${message} ${JSON.stringify(fields)}`
}

/** The integration's warnings and errors on stderr; the library never puts secrets in them. */
export const stderrLogger: Logger = {
  warn: (fields, message) => {
    console.warn(line(message, fields))
  },
  error: (fields, message) => {
    console.error(line(message, fields))
  },
}

/** Runs `close` once on SIGINT or SIGTERM, then exits 0 (1 if closing failed). */
export function closeOnSignal(close: () => Promise<void>): void {
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** Stops accepting connections and waits for open requests; idle keep-alive sockets are dropped. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error === undefined) resolve()
      else reject(error)
    })
  })
  server.closeIdleConnections()
  await closed
}
