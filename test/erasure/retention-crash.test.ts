import { expect } from 'vitest'
import { createEmailIntegration } from '../../src/index.js'
import { describeLifecycleCrashes } from './crash-world.js'
import { dbOf } from './lifecycle-checks.js'

// Retention killed with SIGKILL at every stage (the expired round, the erasure batch, the
// files, the audit entry), on both dialects: no email is left half deleted, and the next run
// erases the rest.

/** Ten days after the sharing world's third email: alpha and beta are older than the cutoff. */
const NOW = '2026-06-13T12:00:00.000Z'

describeLifecycleCrashes({
  title: 'email.retention.run killed with SIGKILL',
  action: { action: 'retention', retentionDays: 10, now: NOW },
  seed: 311,
  expectReport: (report) => {
    expect(report).toEqual({ retentionDays: 10, cutoff: '2026-06-03T12:00:00.000Z', emails: 2, attachments: 2, blobsRemoved: 2, bytesFreed: expect.any(Number) as unknown })
  },
  // The erasure committed, the run not ended: its audit entry is not written.
  midway: async ({ t }) => {
    const left = await dbOf(t).selectFrom('emails').select('message_id').where('message_id', 'in', ['alpha@acme.vc', 'beta@acme.vc']).execute()
    const entries = await dbOf(t).selectFrom('email_audit_log').select('id').where('action', '=', 'mail.expired').execute()
    return left.length === 0 && entries.length === 0
  },
  finish: async ({ t, w }) => {
    const email = createEmailIntegration({
      db: t.db,
      config: { attachmentsDir: w.attachmentsDir, retentionDays: 10 },
      directory: () => Promise.resolve([]),
      clock: { now: () => new Date(NOW) },
    })
    await email.retention.run()
    await email.close()
  },
})
