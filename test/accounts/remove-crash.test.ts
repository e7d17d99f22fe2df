import { expect } from 'vitest'
import { dbOf } from '../erasure/lifecycle-checks.js'
import { describeLifecycleCrashes, type CrashTarget } from '../erasure/crash-world.js'
import { ANN, BOB, CAT } from '../helpers/team.js'

// Removing an account killed with SIGKILL at every stage (the mark, the shared copies, the
// erasure of the mail only it held, the files, the final transaction), on both dialects: the
// account is whole, marked removing or gone; its shared mail stays readable; the next remove
// finishes the job.

const accountRow = (target: CrashTarget) =>
  dbOf(target.t).selectFrom('email_accounts').select(['status', 'removal_requested_at']).where('address', '=', CAT).executeTakeFirst()

describeLifecycleCrashes({
  title: 'email.accounts.remove killed with SIGKILL',
  action: { action: 'remove', address: CAT },
  seed: 211,
  expectReport: (report) => {
    expect(report).toMatchObject({ account: CAT, emails: 1, attachments: 1, blobsRemoved: 1, sharedKept: 2, resumed: false })
  },
  afterKill: async (target, when) => {
    const row = await accountRow(target)
    // Killed before the mark committed: untouched; after it: removing until finished; or gone.
    if (row !== undefined) expect([['active', null], ['removing', 'marked']], when).toContainEqual([row.status, row.removal_requested_at === null ? null : 'marked'])
    const { w } = target
    expect((await w.email.emails.get(w.emails.delta.emailId)).mailboxes.filter((m) => m !== CAT), when).toEqual([BOB])
    expect((await w.email.emails.get(w.emails.epsilon.emailId)).mailboxes.filter((m) => m !== CAT), when).toEqual([ANN])
  },
  midway: async (target) => (await accountRow(target))?.status === 'removing',
  finish: async (target) => {
    if ((await accountRow(target)) !== undefined) await target.w.email.accounts.remove(CAT)
  },
})
