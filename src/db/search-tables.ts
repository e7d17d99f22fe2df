import type { Generated } from 'kysely'

/**
 * The tables of content search beyond the keyword index (SPEC §9): the text read out of
 * attachments, and the vector index's bookkeeping and embedded store.
 */

/**
 * What became of reading an attachment's text: `extracted` (the text is kept), `empty` (the file
 * holds no text, such as a scanned PDF), `unsupported` (a type no extractor reads), `failed`
 * (the file could not be read, or its reader ran out of time or memory; `error` says which).
 */
export type AttachmentTextStatus = 'extracted' | 'empty' | 'unsupported' | 'failed'

/** The text of one stored attachment, once its extraction was tried. */
export interface EmailAttachmentTextsTable {
  attachment_id: number
  email_id: number
  status: AttachmentTextStatus
  /** The text, bounded in length; `null` unless `extracted`. */
  text: string | null
  /** Why there is no text, for `failed` (never the file's content). */
  error: string | null
  extracted_at: string
}

/** That an email's vectors are in a store, under which model; no foreign key (see migration 0013). */
export interface EmailVectorIndexTable {
  email_id: number
  /** The store's key: `embedded`, or `qdrant:<collection>`. */
  store: string
  /** The embedding model the vectors were made with. */
  model: string
  /** Points written for the email (its text's chunks and its attachments'). */
  chunks: number
  /** 1 when the email's filtering payload (identities, sharing) changed after it was indexed. */
  payload_dirty: Generated<number>
  indexed_at: string
}

/** One vector of the embedded store. */
export interface EmailVectorChunksTable {
  id: Generated<number>
  email_id: number
  /** 0-based, below the indexer's chunk cap per email. */
  chunk: number
  /** The attachment the chunk's text comes from; `null` for the email's own text. */
  attachment_id: number | null
  model: string
  /** Little-endian float32 values. */
  vector: Uint8Array
}
