/**
 * A plain `node:http` host mounting the email integration. Run: `npx tsx examples/node/server.ts`
 * (see examples/README.md for the environment).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createNodeHandler } from 'crm-email-integration/node'
import { openCrm } from '../host/crm.js'
import { startHostIntegration } from '../host/integration.js'
import { announce, closeOnSignal, closeServer, listenAddress, schedulerWanted } from '../host/serve.js'

const crm = await openCrm(process.env)
const email = await startHostIntegration(crm, process.env)

/** The host's own routes: whatever the integration did not answer. */
function hostRoutes(req: IncomingMessage, res: ServerResponse): void {
  const found = req.method === 'GET' && req.url === '/api/crm/health'
  res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' })
  res.end(JSON.stringify(found ? { ok: true } : { error: 'not found' }))
}

const handleEmail = createNodeHandler(email)
const server = createServer((req, res) => {
  void handleEmail(req, res).then((handled) => {
    if (!handled) hostRoutes(req, res)
  })
})

const { port, host } = listenAddress(process.env)
server.listen(port, host, () => {
  announce(server, host)
})
if (schedulerWanted(process.env)) email.scheduler.start()
closeOnSignal(async () => {
  await closeServer(server)
  await email.close()
  await crm.close()
})
