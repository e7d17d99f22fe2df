/**
 * The host's cron job: sync every enrolled mailbox, download the attachments left pending, then
 * send the daily digest if it is due.
 * A host that runs a long-lived server with `email.scheduler.start()` needs no cron job; both
 * together are safe (account leases and the digest's claimed day keep them from doubling up).
 *
 * crontab (every 30 minutes; `.env` holds the CRM_GMAIL_* variables and DATABASE_PATH):
 *
 *   0,30 * * * * cd /srv/crm && set -a && . ./.env && set +a && npx tsx examples/host-job/job.ts >> /var/log/crm-email.log 2>&1
 *
 * Prints one line per account and one for the digest; exits 1 when a run or the digest
 * failed, or the configuration is invalid, so cron's mail or the host's monitoring notices.
 */
import { createEmailIntegration, loadConfig, type EmailIntegration, type ScheduledDigestResult, type SyncReport } from 'crm-email-integration'
import { openCrm, type HostCrm } from '../host/crm.js'
import { outboxDelivery, outboxDir } from '../host/outbox.js'
import { stderrLogger } from '../host/serve.js'

function reportLine(r: SyncReport): string {
  const counts = `listed ${r.listed}, captured ${r.captured}, skipped ${r.skipped}, failed ${r.failed}`
  return `${r.account}: ${r.kind} ${r.status} (${counts})${r.error === undefined ? '' : `: ${r.error}`}`
}

function digestLine(result: ScheduledDigestResult, outbox: string): string {
  if (result.sent) return `digest ${result.period}: sent to ${outbox}`
  return `digest ${result.period}: not sent (${result.reason}${result.error === undefined ? '' : `: ${result.error}`})`
}

/** One pass of the job; resolves the exit code. */
async function run(email: EmailIntegration, outbox: string): Promise<number> {
  await email.migrate()
  if (!email.config.enabled) {
    console.log('email integration disabled (CRM_GMAIL_INTEGRATION_ENABLED): nothing to do')
    return 0
  }
  const reports = await email.sync.runAll()
  if (reports.length === 0) console.log('no account to sync')
  for (const report of reports) console.log(reportLine(report))
  // Attachments of messages too large to fetch whole are downloaded apart, after the sync.
  const files = await email.attachments.downloadPending()
  if (files.stored + files.failed + files.remaining > 0) {
    console.log(`attachments: ${files.stored} downloaded, ${files.failed} failed, ${files.remaining} still pending`)
  }
  const digest = await email.digest.runScheduled()
  console.log(digestLine(digest, outbox))
  const failed = reports.some((r) => r.status === 'error') || (!digest.sent && digest.reason === 'delivery failed')
  return failed ? 1 : 0
}

let crm: HostCrm | null = null
let email: EmailIntegration | null = null
try {
  crm = await openCrm(process.env)
  const outbox = outboxDir(process.env)
  email = createEmailIntegration({
    db: crm.db,
    config: loadConfig(process.env),
    directory: crm.directory,
    deliverDigest: outboxDelivery(outbox),
    logger: stderrLogger,
  })
  process.exitCode = await run(email, outbox)
} catch (error) {
  // The library's errors carry a message meant for the operator (a configuration error lists
  // every bad variable); a stack trace would only bury it.
  console.error(`email job failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await email?.close()
  await crm?.close()
}
