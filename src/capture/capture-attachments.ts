import type { BlobStore } from '../db/blob-store.js'
import type { ParsedAttachment } from './parse/parsed-email.js'
import type { AttachmentInput } from './store.js'

/** Bytes in a mebibyte, for `CRM_GMAIL_MAX_ATTACHMENT_MB`. */
export const MIB = 1024 * 1024

/**
 * Decides what becomes of each attachment of a parsed message, and stores the bytes that came
 * with it: within the limit and present, `stored` (written to the blob store now, before the
 * database transaction, so a row never points at a missing file); within the limit but only
 * given as a Gmail attachment id, `pending` (the download worker fetches it); over the limit,
 * `skipped` (recorded, never written); neither bytes nor an id, `failed`.
 */
export async function prepareAttachments(
  attachments: readonly ParsedAttachment[],
  blobs: BlobStore,
  maxBytes: number,
): Promise<AttachmentInput[]> {
  const prepared: AttachmentInput[] = []
  for (const a of attachments) {
    const base = {
      filename: a.filename,
      mimeType: a.mimeType,
      size: a.size,
      contentId: a.contentId,
      inline: a.inline,
      gmailAttachmentId: a.gmailAttachmentId,
      partId: a.partId,
    }
    if (a.size > maxBytes) {
      prepared.push({ ...base, status: 'skipped', sha256: null, error: `larger than ${Math.round(maxBytes / MIB)} MB` })
    } else if (a.content !== null) {
      const blob = await blobs.put(a.content)
      prepared.push({ ...base, size: blob.size, status: 'stored', sha256: blob.sha256, error: null })
    } else if (a.gmailAttachmentId !== null) {
      prepared.push({ ...base, status: 'pending', sha256: null, error: null })
    } else {
      prepared.push({ ...base, status: 'failed', sha256: null, error: 'the message carried neither the bytes nor an attachment id' })
    }
  }
  return prepared
}
