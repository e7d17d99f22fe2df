/**
 * The integration as this example host creates it: configured from the environment, matching
 * against the host's own CRM table, signing users in with the host's tokens, delivering the
 * digest to the outbox, migrated before the server takes a request. Every server example mounts
 * what this returns; only the mounting differs between frameworks.
 */
import { createEmailIntegration, loadConfig, type EmailIntegration } from 'crm-email-integration'
import { bearerAuthenticate } from './auth.js'
import type { HostCrm } from './crm.js'
import { outboxDelivery, outboxDir } from './outbox.js'
import { stderrLogger } from './serve.js'

/** Creates and migrates the host's email integration. */
export async function startHostIntegration(crm: HostCrm, env: NodeJS.ProcessEnv): Promise<EmailIntegration> {
  const email = createEmailIntegration({
    db: crm.db,
    config: loadConfig(env),
    directory: crm.directory,
    authenticate: bearerAuthenticate(env),
    deliverDigest: outboxDelivery(outboxDir(env)),
    logger: stderrLogger,
  })
  await email.migrate()
  return email
}
