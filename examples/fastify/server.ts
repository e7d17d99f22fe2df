/**
 * A Fastify host mounting the email integration. Run: `npx tsx examples/fastify/server.ts`
 * (see examples/README.md for the environment).
 */
import Fastify from 'fastify'
import { createEmailIntegration, loadConfig } from 'crm-email-integration'
import { emailIntegrationPlugin } from 'crm-email-integration/fastify'
import { bearerAuthenticate } from '../host/auth.js'
import { openCrm } from '../host/crm.js'
import { outboxDelivery, outboxDir } from '../host/outbox.js'
import { announce, closeOnSignal, listenAddress, schedulerWanted, stderrLogger } from '../host/serve.js'

const crm = await openCrm(process.env)
const email = createEmailIntegration({
  db: crm.db,
  config: loadConfig(process.env),
  directory: crm.directory,
  authenticate: bearerAuthenticate(process.env),
  deliverDigest: outboxDelivery(outboxDir(process.env)),
  logger: stderrLogger,
})
await email.migrate()

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
