/**
 * What the stand-in servers share: answers held open to play a service that does not answer,
 * and a close that ends them with every connection, so a test's teardown never waits on one.
 */
import type { Server, ServerResponse } from 'node:http'

/**
 * Ends every held answer (the service "answers" again, by dropping them).
 *
 * @example
 * ```ts
 * releaseHanging(hanging)
 * ```
 */
export function releaseHanging(hanging: Set<ServerResponse>): void {
  for (const res of hanging) res.destroy()
  hanging.clear()
}

/**
 * Closes a stand-in: held answers, open connections, then the listening socket.
 *
 * @example
 * ```ts
 * await closeStandin(server, hanging)
 * ```
 */
export async function closeStandin(server: Server, hanging: Set<ServerResponse>): Promise<void> {
  releaseHanging(hanging)
  server.closeAllConnections()
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
}
