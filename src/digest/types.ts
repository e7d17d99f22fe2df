import type { Address, Identity } from '../mail/types.js'
import type { DigestWindow } from './window.js'

/** Which summarizer wrote a summary: the model, or the extractive fallback. */
export type SummarySource = 'llm' | 'extractive'

/** A thread in a digest group; counts and dates are within the window. */
export interface DigestThread {
  readonly id: string
  readonly subject: string
  /** The newest email of the thread in the window (ISO). */
  readonly lastAt: string
  /** The thread's CRM-linked, visible emails in the window. */
  readonly messageCount: number
  readonly participants: readonly Address[]
}

/** The mail of one identity in the window. */
export interface DigestGroup {
  readonly identity: Identity
  readonly summary: string
  /** Which summarizer wrote this group's summary. */
  readonly summarizer: SummarySource
  /** Emails of the window linked to this identity. */
  readonly emailCount: number
  /** Newest activity first. */
  readonly threads: readonly DigestThread[]
}

/**
 * A digest (SPEC §10), plus counts. `summarizer` is `'llm'` only when the model wrote every
 * summary in it; when any part fell back it is `'extractive'`, and each group says which
 * wrote it, so a reader never takes a quoted sentence for the model's judgement.
 */
export interface Digest {
  readonly window: DigestWindow
  /** By precedence (fund, org, contact, addr), then most emails, then newest activity. */
  readonly groups: readonly DigestGroup[]
  readonly summary: string
  readonly summarizer: SummarySource
  /** Plain-text rendering, for email bodies and logs. */
  readonly text: string
  /** HTML rendering; every piece of mail content in it is escaped. */
  readonly html: string
  /** Distinct emails in the window (an email linked to two identities counts once). */
  readonly emailCount: number
  /** Whether the window held more than the digest reads (the newest were kept). */
  readonly truncated: boolean
}
