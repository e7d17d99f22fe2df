/**
 * `email.accounts.setSharing`'s transaction: the level, its audit entry and the vector payloads
 * of the account's mail (whose `sharedInFull` may change), together or not at all.
 */
import { nowIso, type IntegrationContext } from '../context.js'
import { setAccountSharing, type EmailAccount } from '../db/accounts.js'
import { recordAudit } from '../audit-log/store.js'
import type { SharingLevel } from '../sharing/levels.js'
import { markPayloadDirty } from '../vectors/index-state.js'

/**
 * Sets an enrolled account's sharing level; audits and logs a change, and marks the vector
 * payloads of its mail for rewriting. Setting the level it has changes nothing.
 *
 * @example
 * ```ts
 * const account = await changeSharing(context, 'ann@fund.example', 'subject', 'ann@fund.example')
 * ```
 */
export async function changeSharing(context: IntegrationContext, address: string, level: SharingLevel, actor: string | null): Promise<EmailAccount> {
  const now = nowIso(context)
  const change = await context.db.transaction().execute(async (trx) => {
    const made = await setAccountSharing({ ...context, db: trx }, address, level, now)
    if (made.changed) {
      const details = { from: made.from, to: level, fromDefault: made.fromDefault }
      await recordAudit(trx, now, { action: 'account.sharing_changed', actor, target: { kind: 'account', id: address }, details })
      await markPayloadDirty(trx, { accountId: Number(made.account.id) })
    }
    return made
  })
  if (change.changed) context.logger.info({ account: address, actor, from: change.from, to: level }, 'email account sharing level changed')
  return change.account
}
