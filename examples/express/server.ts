/**
 * An Express host mounting the email integration. Run: `npx tsx examples/express/server.ts`
 * (see examples/README.md for the environment).
 */
import { createServer } from 'node:http'
import express from 'express'
import { emailIntegrationMiddleware } from 'crm-email-integration/express'
import { openCrm } from '../host/crm.js'
import { startHostIntegration } from '../host/integration.js'
import { announce, closeOnSignal, closeServer, listenAddress, schedulerWanted } from '../host/serve.js'

const crm = await openCrm(process.env)
const email = await startHostIntegration(crm, process.env)

const app = express()
app.use(express.json()) // the host parses JSON bodies first; the integration still reads its own
app.use(emailIntegrationMiddleware(email))
app.get('/api/crm/health', (_req, res) => {
  res.json({ ok: true })
})

const { port, host } = listenAddress(process.env)
const server = createServer(app).listen(port, host, () => {
  announce(server, host)
})
if (schedulerWanted(process.env)) email.scheduler.start()
closeOnSignal(async () => {
  await closeServer(server)
  await email.close()
  await crm.close()
})
