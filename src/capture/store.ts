import type { Kysely } from 'kysely'
import { inChunks } from '../db/chunks.js'
import type { EmailDatabase, ParticipantRole } from '../db/database.js'
import { indexEmails } from '../db/search-index.js'
import type { ParsedAddress, ParsedEmail } from './parse/parsed-email.js'
import type { AttachmentInput, CaptureRecord, CopyRecord, LinkInput, StoreOutcome } from './store-types.js'
import { refreshThread, resolveThread } from '../db/threads.js'
import { markPayloadDirty } from '../vectors/index-state.js'

/**
 * References kept per email for threading. A long References header lists the whole ancestry;
 * the newest entries are enough to join a conversation, and the cap bounds the size of the
 * `IN (...)` lists that threading queries send (SQLite and PostgreSQL both cap parameters).
 */
export const MAX_THREAD_REFERENCES = 100

export type { AttachmentInput, CaptureRecord, CopyRecord, LinkInput, StoreOutcome } from './store-types.js'

/**
 * Stores one message inside the caller's transaction: the email (once across mailboxes), this
 * mailbox's copy, participants, references, identity links, attachments and the thread.
 * Idempotent: storing the same (mailbox, Gmail id) again changes nothing but its labels.
 */
export async function storeMessage(db: Kysely<EmailDatabase>, record: CaptureRecord, now: string): Promise<StoreOutcome> {
  const repeat = await repeatedCopy(db, record, now)
  if (repeat !== null) return repeat

  const { email } = record
  const existing = await db
    .selectFrom('emails')
    .select(['id', 'thread_id'])
    .where('message_id', '=', email.messageId)
    .where('fingerprint', '=', record.fingerprint)
    .where('is_draft', '=', record.isDraft ? 1 : 0)
    .executeTakeFirst()

  const parentIds = threadParents(email)
  const threadId = await resolveThread(
    db,
    {
      accountId: record.accountId,
      gmailThreadId: record.gmailThreadId,
      messageId: email.messageId,
      parentIds,
      existingThreadId: existing?.thread_id ?? null,
    },
    email.subject,
    now,
  )
  const emailId = existing?.id ?? (await insertEmail(db, record, threadId, parentIds, now))
  if (existing !== undefined) await addMissingBcc(db, emailId, record.email.bcc)
  const copyId = await addCopy(db, record, emailId, threadId, now)
  if (existing === undefined) await insertAttachments(db, emailId, copyId, record.attachments, now)
  return { emailId, threadId, createdEmail: existing === undefined, createdCopy: true }
}

/**
 * Stores a mailbox's copy of an email already stored from another mailbox (recognised from
 * its headers, so its content was not downloaded again). Idempotent like {@link storeMessage}.
 */
export async function storeCopyOf(db: Kysely<EmailDatabase>, record: CopyRecord, now: string): Promise<StoreOutcome> {
  const repeat = await repeatedCopy(db, record, now)
  if (repeat !== null) return repeat
  const email = await db
    .selectFrom('emails')
    .select(['id', 'thread_id', 'message_id'])
    .where('id', '=', record.emailId)
    .executeTakeFirstOrThrow()
  const threadId = await resolveThread(
    db,
    {
      accountId: record.accountId,
      gmailThreadId: record.gmailThreadId,
      messageId: email.message_id,
      parentIds: [],
      existingThreadId: email.thread_id,
    },
    '',
    now,
  )
  await addMissingBcc(db, email.id, record.bcc)
  await addCopy(db, record, email.id, threadId, now)
  return { emailId: email.id, threadId, createdEmail: false, createdCopy: true }
}

/** The outcome of storing a (mailbox, Gmail id) already stored: only its labels are updated. */
async function repeatedCopy(db: Kysely<EmailDatabase>, record: Omit<CopyRecord, 'emailId' | 'bcc'>, now: string): Promise<StoreOutcome | null> {
  const copy = await db
    .selectFrom('email_copies')
    .innerJoin('emails', 'emails.id', 'email_copies.email_id')
    .select(['email_copies.id', 'email_copies.email_id', 'emails.thread_id'])
    .where('email_copies.account_id', '=', record.accountId)
    .where('email_copies.gmail_id', '=', record.gmailId)
    .executeTakeFirst()
  if (copy === undefined) return null
  await db
    .updateTable('email_copies')
    .set({ label_ids: JSON.stringify(record.labelIds), deleted_at: null, updated_at: now })
    .where('id', '=', copy.id)
    .execute()
  return { emailId: copy.email_id, threadId: copy.thread_id, createdEmail: false, createdCopy: false }
}

/** Inserts the copy row and the links, re-points orphaned pending attachments, refreshes the thread. */
async function addCopy(
  db: Kysely<EmailDatabase>,
  record: Omit<CopyRecord, 'emailId' | 'bcc'>,
  emailId: number,
  threadId: number,
  now: string,
): Promise<number> {
  const copy = await db
    .insertInto('email_copies')
    .values({
      email_id: emailId,
      account_id: record.accountId,
      gmail_id: record.gmailId,
      gmail_thread_id: record.gmailThreadId,
      label_ids: JSON.stringify(record.labelIds),
      internal_date: record.internalDate,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await attachPendingSource(db, emailId, copy.id)
  // Links only through the email's own participants, whichever reading of the headers found them.
  const present = new Set(
    (await db.selectFrom('email_participants').select('address').where('email_id', '=', emailId).execute()).map((p) => p.address),
  )
  await insertLinks(db, emailId, record.links.filter((l) => present.has(l.address)), now)
  // Another mailbox holds it now: who may read it in full changed, so its vector payload did.
  await markPayloadDirty(db, { emailIds: [emailId] })
  await refreshThread(db, threadId, now)
  return copy.id
}

/** Adds Bcc addresses the stored email lacks (it was first stored from a recipient's copy). */
async function addMissingBcc(db: Kysely<EmailDatabase>, emailId: number, bcc: readonly ParsedAddress[]): Promise<void> {
  if (bcc.length === 0) return
  const rows = await db.selectFrom('email_participants').select(['address', 'role', 'position']).where('email_id', '=', emailId).execute()
  const known = new Set(rows.map((r) => r.address))
  let position = Math.max(-1, ...rows.filter((r) => r.role === 'bcc').map((r) => r.position)) + 1
  const missing: ParsedAddress[] = []
  for (const a of bcc) {
    if (known.has(a.address)) continue
    known.add(a.address)
    missing.push(a)
  }
  for (const chunk of inChunks(missing)) {
    await db
      .insertInto('email_participants')
      .values(chunk.map((a) => ({ email_id: emailId, role: 'bcc' as const, position: position++, address: a.address, name: a.name })))
      .execute()
  }
}

/** In-Reply-To and References, deduplicated, newest last, capped. */
function threadParents(email: ParsedEmail): string[] {
  const ids = new Set(email.references)
  if (email.inReplyTo !== null) ids.add(email.inReplyTo)
  ids.delete(email.messageId)
  return [...ids].slice(-MAX_THREAD_REFERENCES)
}

async function insertEmail(
  db: Kysely<EmailDatabase>,
  record: CaptureRecord,
  threadId: number,
  parentIds: readonly string[],
  now: string,
): Promise<number> {
  const { email } = record
  const row = await db
    .insertInto('emails')
    .values({
      message_id: email.messageId,
      message_id_synthetic: email.messageIdSynthetic ? 1 : 0,
      fingerprint: record.fingerprint,
      is_draft: record.isDraft ? 1 : 0,
      thread_id: threadId,
      subject: email.subject,
      from_address: email.from?.address ?? null,
      from_name: email.from?.name ?? null,
      sent_at: email.date,
      in_reply_to: email.inReplyTo,
      snippet: email.snippet,
      body_text: email.text,
      body_html: email.html,
      size_bytes: email.sizeBytes,
      has_attachments: email.attachments.length > 0 ? 1 : 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()

  const participants = participantRows(row.id, email)
  // A header of thousands of recipients is split so no statement passes the parameter limit.
  for (const chunk of inChunks(participants)) {
    await db.insertInto('email_participants').values(chunk).execute()
  }
  const references = parentIds.map((ref, position) => ({ email_id: row.id, ref_message_id: ref, position }))
  if (references.length > 0) await db.insertInto('email_references').values(references).execute()
  // In the capture's transaction: an email is searchable exactly when it is stored.
  await indexEmails(db, [row.id])
  return row.id
}

function participantRows(emailId: number, email: ParsedEmail) {
  const roles: [ParticipantRole, readonly ParsedAddress[]][] = [
    ['from', email.from === null ? [] : [email.from]],
    ['sender', email.sender === null ? [] : [email.sender]],
    ['reply_to', email.replyTo],
    ['to', email.to],
    ['cc', email.cc],
    ['bcc', email.bcc],
  ]
  return roles.flatMap(([role, addresses]) =>
    addresses.map((a, position) => ({ email_id: emailId, role, position, address: a.address, name: a.name })),
  )
}

async function insertAttachments(
  db: Kysely<EmailDatabase>,
  emailId: number,
  copyId: number,
  attachments: readonly AttachmentInput[],
  now: string,
): Promise<void> {
  for (const [position, a] of attachments.entries()) {
    if (a.sha256 !== null) {
      await db
        .insertInto('email_blobs')
        .values({ sha256: a.sha256, size: a.size, created_at: now })
        // Locks the row until this transaction ends, so housekeeping cannot release the blob under it.
        .onConflict((oc) => oc.column('sha256').doUpdateSet((eb) => ({ size: eb.ref('excluded.size') })))
        .execute()
    }
    await db
      .insertInto('email_attachments')
      .values({
        email_id: emailId,
        position,
        copy_id: copyId,
        gmail_attachment_id: a.gmailAttachmentId,
        part_id: a.partId,
        filename: a.filename,
        mime_type: a.mimeType,
        size: a.size,
        content_id: a.contentId,
        is_inline: a.inline ? 1 : 0,
        sha256: a.sha256,
        status: a.status,
        error: a.error,
        created_at: now,
        updated_at: now,
      })
      .execute()
  }
}

/** A pending attachment whose source copy was deleted can be fetched from this new copy. */
async function attachPendingSource(db: Kysely<EmailDatabase>, emailId: number, copyId: number): Promise<void> {
  await db
    .updateTable('email_attachments')
    .set({ copy_id: copyId })
    .where('email_id', '=', emailId)
    .where('status', '=', 'pending')
    .where('copy_id', 'is', null)
    .execute()
}

async function insertLinks(db: Kysely<EmailDatabase>, emailId: number, links: readonly LinkInput[], now: string): Promise<void> {
  if (links.length === 0) return
  const rows = links.map((l) => ({
    email_id: emailId,
    identity_key: l.identityKey,
    identity_type: l.type,
    identity_id: l.id,
    address: l.address,
    match_kind: l.matchKind,
    created_at: now,
  }))
  for (const chunk of inChunks(rows)) {
    await db
      .insertInto('email_identity_links')
      .values(chunk)
      .onConflict((oc) => oc.columns(['email_id', 'identity_key', 'address']).doNothing())
      .execute()
  }
}
