/**
 * What the library stored, checked against what it must store: every CRM copy exactly once,
 * nothing else, and the attachments of the CRM mail.
 */
import type { Kysely } from 'kysely'
import type { EmailDatabase } from 'crm-email-integration'

/** The mail a sync must have stored. */
export interface Expected {
  /** The CRM messages, by Message-ID. */
  readonly crm: ReadonlySet<string>
  /** The CRM copies, as `mailbox` + `\n` + Message-ID. */
  readonly crmCopyKeys: ReadonlySet<string>
}

/** The store after a sync, against {@link Expected}. */
export interface StoredFacts {
  /** Distinct emails stored, how many are CRM mail, the CRM mail missing and the other mail stored. */
  readonly storedMessages: number
  readonly crmCaptured: number
  readonly crmMissing: number
  readonly nonCrmCaptured: number
  /** Copies stored (one per mailbox and email), the CRM copies missing, copies of other mail, and copies stored twice. */
  readonly copiesStored: number
  readonly crmCopiesMissing: number
  readonly nonCrmCopies: number
  readonly duplicateCopies: number
  /** Attachments stored, and those still waiting for the download worker. */
  readonly attachmentsStored: number
  readonly attachmentsPending: number
}

/**
 * Reads the store and compares it with what a sync must have stored.
 *
 * @example
 * ```ts
 * const facts = await storedFacts(db, workload)
 * facts.crmCopiesMissing // 0 after a complete sync
 * ```
 */
export async function storedFacts(db: Kysely<EmailDatabase>, expected: Expected): Promise<StoredFacts> {
  const emails = await db.selectFrom('emails').select('message_id').execute()
  const copies = await db
    .selectFrom('email_copies')
    .innerJoin('emails', 'emails.id', 'email_copies.email_id')
    .innerJoin('email_accounts', 'email_accounts.id', 'email_copies.account_id')
    .select(['email_accounts.address', 'emails.message_id'])
    .where('email_copies.deleted_at', 'is', null)
    .execute()
  const attachments = await db.selectFrom('email_attachments').select('status').execute()
  const ids = new Set(emails.map((r) => r.message_id))
  const keys = copies.map((c) => `${c.address.toLowerCase()}\n${c.message_id}`)
  const distinct = new Set(keys)
  const crmCaptured = [...expected.crm].filter((id) => ids.has(id)).length
  return {
    storedMessages: emails.length,
    crmCaptured,
    crmMissing: expected.crm.size - crmCaptured,
    nonCrmCaptured: emails.filter((r) => !expected.crm.has(r.message_id)).length,
    copiesStored: keys.length,
    crmCopiesMissing: [...expected.crmCopyKeys].filter((k) => !distinct.has(k)).length,
    nonCrmCopies: keys.filter((k) => !expected.crmCopyKeys.has(k)).length,
    duplicateCopies: keys.length - distinct.size,
    attachmentsStored: attachments.filter((a) => a.status === 'stored').length,
    attachmentsPending: attachments.filter((a) => a.status !== 'stored').length,
  }
}
