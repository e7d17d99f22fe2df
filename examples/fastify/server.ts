/**
 * A Fastify host mounting the email integration. Run: `npx tsx examples/fastify/server.ts`
 * (see examples/README.md for the environment).
 */
import Fastify from 'fastify'
import { emailIntegrationPlugin } from 'crm-email-integration/fastify'
import { openCrm } from '../host/crm.js'
import { startHostIntegration } from '../host/integration.js'
import { announce, closeOnSignal, listenAddress, schedulerWanted } from '../host/serve.js'

const crm = await openCrm(process.env)
const email = await startHostIntegration(crm, process.env)

const app = Fastify()
await app.register(emailIntegrationPlugin, { integration: email })
app.get('/api/crm/health', () => ({ ok: true }))

const { port, host } = listenAddress(process.env)
await app.listen({ port, host })
announce(app.server, host)
if (schedulerWanted(process.env)) email.scheduler.start()
closeOnSignal(async () => {
  await app.close()
  await email.close()
  await crm.close()
})
